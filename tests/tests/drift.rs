//! The committed client and its typed mocks must be what `cargo xtask codegen` generates
//! from the spec: drift fails `cargo test`, not only `cargo xtask codegen --check`.

use std::path::Path;

use xtask::{GENERATED_PATH, MOCK_PATH, SPEC_PATH, Spec};

fn read(root: &Path, relative: &str) -> String {
    match std::fs::read_to_string(root.join(relative)) {
        Ok(text) => text.replace("\r\n", "\n"),
        Err(e) => panic!("cannot read {relative}: {e}"),
    }
}

/// Both generated files: the client and the httpmock extension.
#[test]
fn generated_client_is_up_to_date_with_the_spec() {
    match xtask::check(&xtask::repo_root()) {
        Ok(None) => {}
        Ok(Some(drift)) => panic!("\n{drift}\n(run `cargo xtask codegen` to regenerate it)"),
        Err(e) => panic!("\n{e}\n(code generation failed; `cargo xtask codegen` says the same)"),
    }
}

/// The replacement word: in neither file, so the diff can only show it because of the edit.
const NEW_WORD: &str = "xyzzy";

/// A word of a description in the spec that the committed client carries in a doc comment,
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

#[test]
fn a_one_word_edit_of_a_description_is_drift() {
    let root = xtask::repo_root();
    let spec = read(&root, SPEC_PATH);
    let committed = read(&root, GENERATED_PATH);
    let Some(word) = description_word(&spec, &committed) else {
        panic!("no description word of {SPEC_PATH} found in the doc comments of {GENERATED_PATH}");
    };
    assert!(!spec.contains(NEW_WORD) && !committed.contains(NEW_WORD));

    let edited = spec.replacen(&word, NEW_WORD, 1);
    let fresh = match Spec::parse(&edited) {
        Ok(spec) => xtask::generate(&spec).unwrap_or_else(|e| panic!("{e}")),
        Err(problems) => panic!("the edited spec is not valid: {problems:?}"),
    };
    let Some(drift) = xtask::compare(&committed, &fresh) else {
        panic!("replacing {word:?} by {NEW_WORD:?} in a description was not seen as drift");
    };
    let diff = &drift.diff;
    assert!(diff.contains("\n@@ "), "no hunk header in:\n{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('-') && !l.starts_with("---") && l.contains(&word)),
        "the diff does not remove a line with {word:?}:\n{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++") && l.contains(NEW_WORD)),
        "the diff does not add a line with {NEW_WORD:?}:\n{diff}"
    );
    let shown = drift.to_string();
    assert!(shown.contains("run `cargo xtask codegen`"), "{shown}");
}

/// The mocks have one `MockServerExt` method per operation of the spec, named by its
/// operationId, so a consumer can mock every call the client makes.
#[test]
fn the_mocks_cover_every_operation() {
    let root = xtask::repo_root();
    let spec = read(&root, SPEC_PATH);
    let mocks = read(&root, MOCK_PATH);
    let ids: Vec<&str> = spec
        .lines()
        .filter_map(|l| l.trim().strip_prefix("operationId:"))
        .map(str::trim)
        .collect();
    assert!(!ids.is_empty(), "no operationId in {SPEC_PATH}");
    let methods = mocks
        .split("pub trait MockServerExt")
        .nth(1)
        .and_then(|rest| rest.split("impl MockServerExt").next())
        .unwrap_or_else(|| panic!("no MockServerExt trait in {MOCK_PATH}"));
    for id in ids {
        assert!(
            methods.contains(&format!("fn {id}<F>(")),
            "{MOCK_PATH} has no mock for {id}"
        );
    }
}

/// A change of an operation (here: a header renamed) is drift of the mocks too.
#[test]
fn an_operation_edit_is_drift_of_the_mocks() {
    let root = xtask::repo_root();
    let spec = read(&root, SPEC_PATH);
    let committed = read(&root, MOCK_PATH);
    assert!(spec.contains("X-state-token") && !committed.contains("X-flow-token"));
    let edited = spec.replace("X-state-token", "X-flow-token");
    let fresh = match Spec::parse(&edited) {
        Ok(spec) => xtask::generate_mock(&spec).unwrap_or_else(|e| panic!("{e}")),
        Err(problems) => panic!("the edited spec is not valid: {problems:?}"),
    };
    let Some(drift) = xtask::compare_file(MOCK_PATH, &committed, &fresh) else {
        panic!("renaming a header was not seen as drift of {MOCK_PATH}");
    };
    assert_eq!(drift.files, [MOCK_PATH]);
    let diff = &drift.diff;
    assert!(diff.contains(&format!("--- a/{MOCK_PATH}")), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('-') && l.contains("\"X-state-token\"")),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("\"X-flow-token\"")),
        "{diff}"
    );
    assert!(
        drift
            .to_string()
            .contains(&format!("{MOCK_PATH} is out of date"))
    );
}
