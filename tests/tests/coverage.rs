//! `openapi/COVERAGE.md` must cover every operation of `openapi/eiam.yaml`: a row of its
//! operations table naming the `operationId` and `METHOD path`, and a section of its own
//! that names every header, body field, response field and response status the spec gives
//! the operation. Adding an operation or a field to the spec without documenting where it
//! comes from fails here.

use std::collections::BTreeSet;

use serde_json::Value;
use xtask::{SPEC_PATH, Spec};

const COVERAGE_PATH: &str = "openapi/COVERAGE.md";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What the spec says of one operation.
#[derive(Debug, Default)]
struct Operation {
    id: String,
    /// `POST /api/v2/sdk/...`
    method_path: String,
    /// Parameter names (headers, and any query or path parameters).
    parameters: Vec<String>,
    /// Top-level properties of the request body schemas.
    body_fields: Vec<String>,
    /// Top-level properties of the success (2xx) response schemas.
    response_fields: Vec<String>,
    /// Response keys: `200`, `4XX`, `5XX`...
    statuses: Vec<String>,
}

fn read(relative: &str) -> String {
    let path = eiam_tests::repo_file(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => text.replace("\r\n", "\n"),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn spec_operations(text: &str) -> Vec<Operation> {
    let spec = match Spec::parse(text) {
        Ok(spec) => spec,
        Err(problems) => panic!(
            "{SPEC_PATH} does not parse:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    operations(spec.raw())
}

/// Follows a local `$ref` (`#/a/b`) until the value is not a reference.
fn resolve<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            panic!("only local references are supported here: {reference}");
        };
        value = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("unresolvable reference {reference}"));
    }
    panic!("reference loop at {value}");
}

/// The top-level property names of a schema, through `$ref`s and `allOf`.
fn properties(root: &Value, schema: &Value, out: &mut Vec<String>) {
    let schema = resolve(root, schema);
    if let Some(map) = schema.get("properties").and_then(Value::as_object) {
        for name in map.keys() {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            properties(root, part, out);
        }
    }
}

/// The schema properties of every media type of a request body or response.
fn content_properties(root: &Value, holder: &Value, out: &mut Vec<String>) {
    let holder = resolve(root, holder);
    for media in holder
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
    {
        if let Some(schema) = media.get("schema") {
            properties(root, schema, out);
        }
    }
}

fn operations(root: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let item = resolve(root, item);
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut operation = Operation {
                id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                method_path: format!("{} {path}", method.to_uppercase()),
                ..Operation::default()
            };
            let own = op.get("parameters").and_then(Value::as_array);
            for parameter in shared.iter().copied().chain(own.into_iter().flatten()) {
                if let Some(name) = resolve(root, parameter).get("name").and_then(Value::as_str) {
                    operation.parameters.push(name.to_owned());
                }
            }
            if let Some(body) = op.get("requestBody") {
                content_properties(root, body, &mut operation.body_fields);
            }
            for (status, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                operation.statuses.push(status.clone());
                if status.starts_with('2') {
                    content_properties(root, response, &mut operation.response_fields);
                }
            }
            found.push(operation);
        }
    }
    found
}

/// The rows (lines starting with `|`) of the markdown section headed `## Operations`.
fn table_rows(markdown: &str) -> Vec<&str> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            inside = heading.trim() == "Operations";
        } else if inside && line.trim_start().starts_with('|') {
            rows.push(line);
        }
    }
    rows
}

/// The text of the `###` section whose heading names `` `id` ``, up to the next heading
/// of level 1 to 3.
fn section<'a>(markdown: &'a str, id: &str) -> Option<&'a str> {
    let needle = format!("`{id}`");
    let mut start = None;
    let mut offset = 0;
    for line in markdown.split_inclusive('\n') {
        let level = line.chars().take_while(|&c| c == '#').count();
        let is_heading = (1..=3).contains(&level) && line[level..].starts_with(' ');
        if is_heading {
            if let Some(begin) = start {
                return Some(&markdown[begin..offset]);
            }
            if level == 3 && line.contains(&needle) {
                start = Some(offset);
            }
        }
        offset += line.len();
    }
    start.map(|begin| &markdown[begin..])
}

/// Every problem of `markdown` as the coverage table of `operations`.
fn coverage_problems(operations: &[Operation], markdown: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let rows = table_rows(markdown);
    for op in operations {
        if op.id.is_empty() {
            problems.push(format!("{}: no operationId in the spec", op.method_path));
            continue;
        }
        let id = format!("`{}`", op.id);
        let method_path = format!("`{}`", op.method_path);
        if !rows
            .iter()
            .any(|row| row.contains(&id) && row.contains(&method_path))
        {
            problems.push(format!(
                "{} ({}): no row of the `## Operations` table names both {id} and {method_path}",
                op.id, op.method_path
            ));
        }
        let Some(text) = section(markdown, &op.id) else {
            problems.push(format!(
                "{} ({}): no `### ...` section with {id} in its heading",
                op.id, op.method_path
            ));
            continue;
        };
        if !text.contains(&op.method_path) {
            problems.push(format!(
                "{}: its section does not name {}",
                op.id, op.method_path
            ));
        }
        let named = [
            ("header", &op.parameters),
            ("body field", &op.body_fields),
            ("response field", &op.response_fields),
            ("response status", &op.statuses),
        ];
        for (kind, names) in named {
            for name in names {
                if !text.contains(&format!("`{name}`")) {
                    problems.push(format!(
                        "{}: its section does not name the {kind} `{name}`",
                        op.id
                    ));
                }
            }
        }
    }
    // No row for an operation that the spec does not have (a renamed or removed one).
    let known: BTreeSet<String> = operations.iter().map(|op| format!("`{}`", op.id)).collect();
    for row in &rows {
        let first = row.trim().trim_matches('|').split('|').next().unwrap_or("");
        let first = first.trim();
        if first.starts_with('`') && !known.contains(first) {
            problems.push(format!(
                "the operations table lists {first}, which is not an operationId of the spec"
            ));
        }
    }
    problems
}

#[test]
fn every_operation_of_the_spec_is_covered_in_coverage_md() {
    let operations = spec_operations(&read(SPEC_PATH));
    assert!(!operations.is_empty(), "{SPEC_PATH} has no operations");
    let problems = coverage_problems(&operations, &read(COVERAGE_PATH));
    assert!(
        problems.is_empty(),
        "{COVERAGE_PATH} is out of date with {SPEC_PATH}:\n  {}\n(add the operation to the \
         `## Operations` table and give it a `### `operationId` — METHOD path` section with \
         the vendor page of each header, field and status)",
        problems.join("\n  ")
    );
}

/// A spec with one operation, for the checker's own tests.
fn tiny_spec(extra_path: bool) -> Value {
    let mut spec = serde_json::json!({
        "openapi": "3.0.3",
        "paths": {
            "/api/v2/sdk/a": {
                "post": {
                    "operationId": "do_a",
                    "parameters": [{ "$ref": "#/components/parameters/ClientId" }],
                    "requestBody": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/A" } } } },
                    "responses": {
                        "200": { "description": "ok", "content": { "application/json": {
                            "schema": { "type": "object", "properties": { "status": {} } } } } },
                        "4XX": { "description": "no" }
                    }
                }
            }
        },
        "components": {
            "parameters": { "ClientId": { "name": "X-client-id", "in": "header" } },
            "schemas": { "A": { "type": "object", "properties": { "field": {} } } }
        }
    });
    if extra_path {
        spec["paths"]["/api/v2/sdk/b"] = serde_json::json!({
            "get": { "operationId": "get_b", "responses": { "200": { "description": "ok" } } }
        });
    }
    spec
}

const TINY_COVERAGE: &str = "# Coverage\n\n## Operations\n\n| operation | call |\n|---|---|\n\
    | `do_a` | `POST /api/v2/sdk/a` |\n\n## Calls\n\n### `do_a` — POST /api/v2/sdk/a\n\n\
    | kind | name |\n|---|---|\n| header | `X-client-id` |\n| body | `field` |\n\
    | response | `status` |\n| status | `200` |\n| status | `4XX` |\n\n## Inferred\n";

#[test]
fn the_checker_accepts_a_complete_table() {
    let problems = coverage_problems(&operations(&tiny_spec(false)), TINY_COVERAGE);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_checker_reports_an_operation_added_without_documentation() {
    let problems = coverage_problems(&operations(&tiny_spec(true)), TINY_COVERAGE);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("get_b") && problems[0].contains("GET /api/v2/sdk/b"));
    assert!(
        problems[1].contains("no `### ...` section"),
        "{problems:#?}"
    );
}

#[test]
fn the_checker_reports_a_field_missing_from_a_section() {
    let coverage = TINY_COVERAGE.replace("| body | `field` |\n", "");
    let problems = coverage_problems(&operations(&tiny_spec(false)), &coverage);
    assert_eq!(
        problems,
        ["do_a: its section does not name the body field `field`"]
    );
}

#[test]
fn the_checker_reports_a_row_of_an_unknown_operation() {
    let coverage = TINY_COVERAGE.replace(
        "| `do_a` | `POST /api/v2/sdk/a` |\n",
        "| `do_a` | `POST /api/v2/sdk/a` |\n| `gone` | `GET /x` |\n",
    );
    let problems = coverage_problems(&operations(&tiny_spec(false)), &coverage);
    assert_eq!(
        problems,
        ["the operations table lists `gone`, which is not an operationId of the spec"]
    );
}
