//! `xtask codegen [--check]` as a process, pointed by `XTASK_ROOT` at a temporary copy of the
//! repository's spec and generated files (the client and its httpmock extension).

use std::path::PathBuf;
use std::process::{Command, Output};

use xtask::{GENERATED_FILES, GENERATED_PATH, MOCK_PATH, SPEC_PATH};

/// A temporary repository root holding copies of the spec and the generated files; removed
/// when dropped.
struct Root(PathBuf);

impl Root {
    fn new(name: &str) -> Root {
        let dir = std::env::temp_dir().join(format!("xtask-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let repo = xtask::repo_root();
        for file in std::iter::once(SPEC_PATH).chain(GENERATED_FILES) {
            let to = dir.join(file);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).expect("create the temporary folders");
            }
            std::fs::copy(repo.join(file), &to).expect("copy into the temporary root");
        }
        Root(dir)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.0.join(file)).expect("read from the temporary root")
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.0.join(file), text).expect("write into the temporary root");
    }

    fn xtask(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .env("XTASK_ROOT", &self.0)
            .output()
            .expect("run the xtask binary");
        Run::from(output)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The replacement word: in neither file, so the diff can only show it because of the edit.
const NEW_WORD: &str = "xyzzy";

/// A word of a description in the spec that the generated client carries in a doc comment,
/// and that occurs once in the spec, so that replacing it edits that description only.
fn description_word(spec: &str, generated: &str) -> Option<String> {
    let spec_lines: Vec<&str> = spec.lines().collect();
    let in_description = |word: &str| {
        let Some(at) = spec_lines.iter().position(|l| l.contains(word)) else {
            return false;
        };
        let indent = |l: &str| l.len() - l.trim_start().len();
        // The line itself is `description: …`, or it continues the nearest line above it
        // that is less indented, which is `description: >-` (or `|`).
        spec_lines[at].trim_start().starts_with("description:")
            || spec_lines[..at]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty() && indent(l) < indent(spec_lines[at]))
                .is_some_and(|l| l.trim_start().starts_with("description:"))
    };
    generated
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("///"))
        .flat_map(|doc| doc.split(|c: char| !c.is_ascii_alphabetic()))
        .find(|word| word.len() >= 6 && spec.matches(word).count() == 1 && in_description(word))
        .map(str::to_owned)
}

/// Replaces one word of a description in the root's spec; returns that word.
fn edit_one_description_word(root: &Root) -> String {
    let spec = root.read(SPEC_PATH);
    let generated = root.read(GENERATED_PATH);
    assert!(!spec.contains(NEW_WORD) && !generated.contains(NEW_WORD));
    let word = description_word(&spec, &generated).expect("a description word to edit");
    root.write(SPEC_PATH, &spec.replacen(&word, NEW_WORD, 1));
    word
}

#[test]
fn check_passes_when_in_sync() {
    let root = Root::new("in-sync");
    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    for file in GENERATED_FILES {
        assert!(
            run.stdout
                .contains(&format!("{file} is up to date with {SPEC_PATH}")),
            "{run:?}"
        );
    }
    assert!(run.stderr.is_empty(), "{run:?}");
}

#[test]
fn check_fails_with_a_unified_diff_after_a_one_word_description_edit() {
    let root = Root::new("drift");
    let generated = root.read(GENERATED_PATH);
    let word = edit_one_description_word(&root);

    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let err = &run.stderr;
    assert!(
        err.contains("is out of date") && err.contains("run `cargo xtask codegen`"),
        "{err}"
    );
    assert!(err.contains(&format!("\n--- a/{GENERATED_PATH}")), "{err}");
    assert!(err.contains(&format!("\n+++ b/{GENERATED_PATH}")), "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("@@ -")),
        "no hunk header:\n{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with('-') && !l.starts_with("---") && l.contains(&word)),
        "no removed line with {word:?}:\n{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++") && l.contains(NEW_WORD)),
        "no added line with {NEW_WORD:?}:\n{err}"
    );
    assert_eq!(
        root.read(GENERATED_PATH),
        generated,
        "--check must not write"
    );
}

#[test]
fn codegen_writes_the_file_and_then_check_passes() {
    let root = Root::new("write");
    let word = edit_one_description_word(&root);

    let run = root.xtask(&["codegen"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains(&format!("wrote {GENERATED_PATH}")),
        "{run:?}"
    );
    // A description is documentation of the client only: the mocks do not change.
    assert!(
        run.stdout.contains(&format!("{MOCK_PATH} is up to date")),
        "{run:?}"
    );
    let generated = root.read(GENERATED_PATH);
    assert!(generated.starts_with(xtask::HEADER));
    assert!(generated.contains(NEW_WORD) && !generated.contains(&word));

    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let run = root.xtask(&["codegen"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("wrote"), "{run:?}");
    assert!(run.stdout.contains("is up to date"), "{run:?}");
}

#[test]
fn a_hand_edit_of_the_mocks_is_drift_and_codegen_restores_them() {
    let root = Root::new("mock-edit");
    let original = root.read(MOCK_PATH);
    let edited = original.replacen("pub fn ok(", "pub fn okay(", 1);
    assert_ne!(
        edited, original,
        "the mocks have no `ok` answer; update this test"
    );
    root.write(MOCK_PATH, &edited);

    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let err = &run.stderr;
    assert!(
        err.contains(&format!("{MOCK_PATH} is out of date with {SPEC_PATH}")),
        "{err}"
    );
    assert!(
        !err.contains(&format!("{GENERATED_PATH} is out of date")),
        "{err}"
    );
    assert!(err.contains(&format!("\n--- a/{MOCK_PATH}")), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with('-') && l.contains("pub fn okay(")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with('+') && l.contains("pub fn ok(")),
        "{err}"
    );
    assert_eq!(root.read(MOCK_PATH), edited, "--check must not write");

    let run = root.xtask(&["codegen"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains(&format!("wrote {MOCK_PATH}")),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains(&format!("{GENERATED_PATH} is up to date")),
        "{run:?}"
    );
    assert_eq!(root.read(MOCK_PATH), original);
}

#[test]
fn a_missing_mock_file_is_drift_and_codegen_creates_it() {
    let root = Root::new("mock-missing");
    let original = root.read(MOCK_PATH);
    std::fs::remove_dir_all(root.0.join("crates/eiam-mock")).expect("remove the mock crate");

    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("{MOCK_PATH} is out of date with {SPEC_PATH}")),
        "{run:?}"
    );

    let run = root.xtask(&["codegen"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(root.read(MOCK_PATH), original);
}

/// An operation's parameter is in both the client and the mocks: renaming one header
/// drifts both files, and both diffs are shown.
#[test]
fn a_header_rename_drifts_the_client_and_the_mocks() {
    let root = Root::new("header-rename");
    let spec = root.read(SPEC_PATH);
    let renamed = spec.replace("X-state-token", "X-flow-token");
    assert_ne!(
        renamed, spec,
        "the spec has no X-state-token; update this test"
    );
    root.write(SPEC_PATH, &renamed);

    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let err = &run.stderr;
    for file in GENERATED_FILES {
        assert!(
            err.contains(&format!("{file} is out of date with {SPEC_PATH}")),
            "{err}"
        );
        assert!(err.contains(&format!("\n--- a/{file}")), "{err}");
    }
    assert!(
        err.lines()
            .any(|l| l.starts_with('+') && l.contains("pub fn x_flow_token(")),
        "{err}"
    );
}

#[test]
fn an_invalid_spec_is_reported_by_location_and_line() {
    let root = Root::new("invalid");
    let spec = root.read(SPEC_PATH);
    let generated = root.read(GENERATED_PATH);
    // Point the first reference to a schema at one that does not exist.
    let target = "\"#/components/schemas/";
    let broken = spec.replacen(target, "\"#/components/schemas/NoSuch", 1);
    assert_ne!(
        broken, spec,
        "the spec has no schema reference; update this test"
    );
    root.write(SPEC_PATH, &broken);
    let line_number = broken
        .lines()
        .position(|l| l.contains("#/components/schemas/NoSuch"))
        .map_or(0, |i| i + 1);

    for args in [&["codegen", "--check"][..], &["codegen"][..]] {
        let run = root.xtask(args);
        assert_eq!(run.code, Some(1), "{run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "one line per problem, then a summary: {run:?}"
        );
        assert!(
            lines[0].starts_with(&format!("{SPEC_PATH}:{line_number}: ")),
            "{run:?}"
        );
        assert!(
            lines[0].contains(r##"["$ref"]: $ref "#/components/schemas/NoSuch"##)
                && lines[0].ends_with("does not resolve to anything in this document"),
            "{run:?}"
        );
        assert_eq!(
            lines[1],
            format!("error: {SPEC_PATH} is not valid (1 problem); nothing was generated")
        );
        assert_eq!(
            root.read(GENERATED_PATH),
            generated,
            "nothing may be written"
        );
    }
}

#[test]
fn a_yaml_syntax_error_names_its_line() {
    let root = Root::new("yaml");
    let spec = root.read(SPEC_PATH);
    root.write(SPEC_PATH, &spec.replacen("paths:\n", "paths: [\n", 1));
    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with(&format!("{SPEC_PATH}:")), "{run:?}");
    assert!(
        run.stderr.contains("not valid YAML") && run.stderr.contains("line "),
        "{run:?}"
    );
}

#[test]
fn a_missing_spec_is_an_error_naming_the_file() {
    let root = Root::new("missing");
    std::fs::remove_file(root.0.join(SPEC_PATH)).expect("remove the spec");
    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with("error: "), "{run:?}");
    assert!(
        run.stderr.contains(&format!("{SPEC_PATH}: cannot read")),
        "{run:?}"
    );
}

#[test]
fn usage() {
    let root = Root::new("usage");
    let run = root.xtask(&["--help"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("codegen --check") && run.stdout.contains("XTASK_ROOT"));
    assert!(run.stdout.contains(MOCK_PATH), "{run:?}");
    let run = root.xtask(&["frobnicate"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.starts_with("usage: cargo xtask codegen"),
        "{run:?}"
    );
}

/// The temporary root really is the one used: without the files, the real repository's
/// would have been found.
#[test]
fn xtask_root_is_honoured() {
    let root = Root::new("empty");
    std::fs::remove_dir_all(root.0.join("openapi")).expect("remove the spec folder");
    let run = root.xtask(&["codegen", "--check"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let shown = root.0.join(SPEC_PATH).display().to_string();
    assert!(run.stderr.contains(&shown), "{run:?}");
}
