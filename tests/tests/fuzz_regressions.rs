//! Every file of `fuzz/seeds/` replayed through the checks of its fuzz target (the same
//! code: `fuzz/checks/*.rs` is included here), in the normal test run. A crash input the
//! fuzzer finds is added to `fuzz/seeds/TARGET/` and stays a regression test.

use std::path::PathBuf;

#[path = "../../fuzz/checks/decode_response.rs"]
mod decode_response;
#[path = "../../fuzz/checks/emulator_request.rs"]
mod emulator_request;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = eiam_tests::repo_file(&format!("fuzz/seeds/{target}"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{}: only {} seeds",
        dir.display(),
        files.len()
    );
    files
}

#[tokio::test]
async fn decode_response_seeds_pass_the_checks() {
    let client = eiam::fuzzing::client().expect("client");
    for (path, bytes) in seeds("decode_response") {
        eprintln!("{}", path.display());
        decode_response::check(&client, &bytes).await;
    }
}

#[tokio::test]
async fn decode_response_seeds_decode_as_intended() {
    // A few seeds are the documented answers: they must decode to success, so that the
    // fuzzer starts from inputs that reach the whole path.
    let client = eiam::fuzzing::client().expect("client");
    for name in [
        "session_ok",
        "login_expired",
        "captcha",
        "verify",
        "send_empty",
        "mobile",
        "bom",
    ] {
        let bytes = std::fs::read(eiam_tests::repo_file(&format!(
            "fuzz/seeds/decode_response/{name}"
        )))
        .expect("seed");
        let (call, status, headers, body) = decode_response::split(&bytes).expect(name);
        let result = eiam::fuzzing::decode_response(&client, call, status, &headers, body).await;
        assert!(result.is_ok(), "{name}: {result:?}");
    }
}

#[tokio::test]
async fn emulator_request_seeds_pass_the_checks() {
    for (path, bytes) in seeds("emulator_request") {
        eprintln!("{}", path.display());
        emulator_request::check(&bytes).await;
    }
}
