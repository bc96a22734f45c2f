//! The emulator's request handling: bytes parsed as an HTTP/1.1 request and handed to
//! `Emulator::router()` with tower's `oneshot`, no network. The input format and the
//! checks are in `fuzz/checks/emulator_request.rs`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../checks/emulator_request.rs"]
mod checks;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(checks::check(data));
});
