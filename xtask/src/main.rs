//! `cargo xtask codegen [--check]`: see the library docs.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]

  codegen          generate from openapi/eiam.yaml the client, crates/eiam-api/src/generated.rs,
                   and its typed httpmock extension, crates/eiam-mock/src/generated.rs
  codegen --check  regenerate both in memory; fail with a diff if a committed file differs

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
            Ok(written) => {
                for file in xtask::GENERATED_FILES {
                    if written.contains(&file) {
                        println!("wrote {file}");
                    } else {
                        println!("{file} is up to date");
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        ["codegen", "--check"] => match xtask::check(&root) {
            Ok(None) => {
                for file in xtask::GENERATED_FILES {
                    println!("{file} is up to date with {}", xtask::SPEC_PATH);
                }
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
