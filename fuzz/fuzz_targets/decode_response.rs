//! Response decoding: any status, headers and body as the answer to any call of the client
//! (`eiam::fuzzing::decode_response`: the whole client path without a network, with the
//! body cap, the byte-order-mark rule, the generated decoding, the error mapping and
//! masking). The input format and the checks are in `fuzz/checks/decode_response.rs`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../checks/decode_response.rs"]
mod checks;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: eiam::Client,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime"),
        client: eiam::fuzzing::client().expect("client"),
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    f.runtime.block_on(checks::check(&f.client, data));
});
