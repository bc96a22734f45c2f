//! `cargo xtask codegen [--check]`: see the library docs.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]

  codegen          generate crates/eiam-api/src/generated.rs from openapi/eiam.yaml
  codegen --check  regenerate in memory; fail with a diff if the committed file differs

environment:
  XTASK_ROOT       the repository root to work in (default: the one this xtask is built from)";

/// The variable that points the xtask at another repository root (used by its tests).
const ROOT_VAR: &str = "XTASK_ROOT";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = std::env::var_os(ROOT_VAR)
        .filter(|r| !r.is_empty())
        .map_or_else(xtask::repo_root, PathBuf::from);
    match args.as_slice() {
        ["codegen"] => match xtask::write(&root) {
            Ok(true) => {
                println!("wrote {}", xtask::GENERATED_PATH);
                ExitCode::SUCCESS
            }
            Ok(false) => {
                println!("{} is up to date", xtask::GENERATED_PATH);
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        ["codegen", "--check"] => match xtask::check(&root) {
            Ok(None) => {
                println!(
                    "{} is up to date with {}",
                    xtask::GENERATED_PATH,
                    xtask::SPEC_PATH
                );
                ExitCode::SUCCESS
            }
            Ok(Some(drift)) => {
                eprintln!("{drift}");
                ExitCode::FAILURE
            }
            Err(e) => fail(&e),
        },
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn fail(e: &xtask::CodegenError) -> ExitCode {
    match e {
        xtask::CodegenError::Invalid(problems) => {
            // One line per problem (`file:line: location: message`), then a summary.
            eprintln!("{e}");
            let s = if problems.len() == 1 { "" } else { "s" };
            eprintln!(
                "error: {} is not valid ({} problem{s}); nothing was generated",
                xtask::SPEC_PATH,
                problems.len()
            );
        }
        _ => eprintln!("error: {e}"),
    }
    ExitCode::FAILURE
}
