//! `Spec::parse` on small inline specs: each case edits a minimal valid 3.0.3 document and
//! states exactly which problems (location and a key phrase of the message) must come back.

use xtask::{Spec, SpecProblem};

/// A minimal valid spec that exercises every place an example or a `$ref` can sit.
const BASE: &str = r##"openapi: 3.0.3
info:
  title: Things
  version: "1.0"
paths:
  /a/things/{id}:
    get:
      operationId: get_thing
      parameters:
        - $ref: "#/components/parameters/Id"
        - name: verbose
          in: query
          required: false
          schema:
            type: boolean
          example: true
      responses:
        "200":
          description: The thing.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Thing"
              examples:
                one:
                  value:
                    name: widget
                    size: 3
                    note: null
        4XX:
          $ref: "#/components/responses/Refused"
  /b/things/{id}:
    put:
      operationId: put_thing
      parameters:
        - $ref: "#/components/parameters/Id"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Thing"
            examples:
              full:
                summary: Every field.
                value:
                  name: widget
                  size: 3
                  tags:
                    - label: blue
              shared:
                $ref: "#/components/examples/Widget"
      responses:
        "204":
          description: Stored.
        4XX:
          $ref: "#/components/responses/Refused"
components:
  parameters:
    Id:
      name: id
      in: path
      required: true
      description: The thing's id.
      schema:
        type: integer
        format: int64
      example: 7
  responses:
    Refused:
      description: The request was refused.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
          example:
            code: BAD
            message: Nope.
  examples:
    Widget:
      summary: A widget.
      value:
        name: widget
        size: 4
  schemas:
    Thing:
      type: object
      description: A thing.
      required: [name]
      properties:
        name:
          type: string
          description: The thing's name.
          example: widget
        size:
          type: integer
          minimum: 0
          example: 3
        note:
          type: string
          nullable: true
          example: null
        tags:
          type: array
          items:
            $ref: "#/components/schemas/Tag"
    Tag:
      type: object
      required: [label]
      properties:
        label:
          type: string
          example: blue
    Error:
      type: object
      required: [code, message]
      properties:
        code:
          type: string
          example: BAD
        message:
          type: string
"##;

/// `BASE` with each `(from, to)` replacement applied; every `from` must occur exactly once,
/// so that a case cannot silently edit nothing.
fn edited(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_owned();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "edit {from:?} must match exactly once in the base spec"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

fn problems(text: &str) -> Vec<SpecProblem> {
    match Spec::parse(text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

fn render(problems: &[SpecProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("\n    {p}"))
        .collect::<String>()
}

/// One case: edits to `BASE`, and the problems expected as (location, phrase in the message).
/// The problems must be exactly these, in any order.
struct Case {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    expected: &'static [(&'static str, &'static str)],
}

fn run(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let got = problems(&edited(case.edits));
        let mut unmatched: Vec<&SpecProblem> = got.iter().collect();
        let mut missing = Vec::new();
        for (location, phrase) in case.expected {
            let found = unmatched
                .iter()
                .position(|p| p.location.to_string() == *location && p.message.contains(phrase));
            match found {
                Some(i) => {
                    unmatched.remove(i);
                }
                None => missing.push(format!("{location}: …{phrase}…")),
            }
        }
        if !missing.is_empty() || !unmatched.is_empty() {
            failures.push(format!(
                "case `{}`:\n  missing: {missing:?}\n  got:{}",
                case.name,
                render(&got)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn base_spec_is_valid() {
    let got = problems(BASE);
    assert!(got.is_empty(), "unexpected problems:{}", render(&got));
}

#[test]
fn unresolvable_refs() {
    run(&[
        Case {
            name: "in a parameter",
            edits: &[(
                "      operationId: put_thing\n      parameters:\n        - $ref: \"#/components/parameters/Id\"",
                "      operationId: put_thing\n      parameters:\n        - $ref: \"#/components/parameters/Ident\"",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.parameters[0]["$ref"]"#,
                r##""#/components/parameters/Ident" does not resolve"##,
            )],
        },
        Case {
            name: "in a response schema",
            edits: &[(
                "              schema:\n                $ref: \"#/components/schemas/Thing\"",
                "              schema:\n                $ref: \"#/components/schemas/Thingy\"",
            )],
            expected: &[(
                r#"paths["/a/things/{id}"].get.responses["200"].content["application/json"].schema["$ref"]"#,
                r##""#/components/schemas/Thingy" does not resolve"##,
            )],
        },
        Case {
            name: "in a property",
            edits: &[(
                "$ref: \"#/components/schemas/Tag\"",
                "$ref: \"#/components/schemas/Tags\"",
            )],
            expected: &[(
                r#"components.schemas.Thing.properties.tags.items["$ref"]"#,
                r##""#/components/schemas/Tags" does not resolve"##,
            )],
        },
        Case {
            name: "to another file",
            edits: &[(
                "$ref: \"#/components/schemas/Tag\"",
                "$ref: \"tag.yaml#/Tag\"",
            )],
            expected: &[(
                r#"components.schemas.Thing.properties.tags.items["$ref"]"#,
                r#""tag.yaml#/Tag" does not resolve"#,
            )],
        },
        Case {
            name: "not a string, in a parameter (reported once)",
            edits: &[(
                "      operationId: put_thing\n      parameters:\n        - $ref: \"#/components/parameters/Id\"",
                "      operationId: put_thing\n      parameters:\n        - $ref: [\"#/components/parameters/Id\"]",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.parameters[0]["$ref"]"#,
                "$ref must be a string",
            )],
        },
        Case {
            name: "not a string",
            edits: &[("$ref: \"#/components/schemas/Tag\"", "$ref: 42")],
            expected: &[(
                r#"components.schemas.Thing.properties.tags.items["$ref"]"#,
                "$ref must be a string",
            )],
        },
    ]);
}

#[test]
fn operation_ids() {
    run(&[
        Case {
            name: "missing",
            edits: &[("      operationId: get_thing\n", "")],
            expected: &[(r#"paths["/a/things/{id}"].get"#, "no operationId")],
        },
        Case {
            name: "empty",
            edits: &[("operationId: get_thing", "operationId: \"\"")],
            expected: &[(r#"paths["/a/things/{id}"].get.operationId"#, "empty")],
        },
        Case {
            name: "duplicate",
            edits: &[("operationId: put_thing", "operationId: get_thing")],
            expected: &[(
                r#"paths["/b/things/{id}"].put.operationId"#,
                r#"duplicate operationId "get_thing", first used at paths["/a/things/{id}"].get.operationId"#,
            )],
        },
    ]);
}

#[test]
fn examples_that_do_not_match() {
    run(&[
        Case {
            name: "request body example of the wrong type",
            edits: &[(
                "                  name: widget\n                  size: 3\n                  tags:",
                "                  name: widget\n                  size: three\n                  tags:",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.full.value"#,
                r#"example does not match its schema (at size): "three" is not of type "integer""#,
            )],
        },
        Case {
            name: "request body example missing a required property",
            edits: &[(
                "                value:\n                  name: widget\n                  size: 3\n",
                "                value:\n                  size: 3\n",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.full.value"#,
                r#""name" is a required property"#,
            )],
        },
        Case {
            name: "request body example wrong deep inside (behind two $refs)",
            edits: &[("- label: blue", "- label: 5")],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.full.value"#,
                r#"(at tags[0].label): 5 is not of type "string""#,
            )],
        },
        Case {
            name: "response example",
            edits: &[(
                "                    name: widget\n                    size: 3\n",
                "                    name: widget\n                    size: -3\n",
            )],
            expected: &[(
                r#"paths["/a/things/{id}"].get.responses["200"].content["application/json"].examples.one.value"#,
                "(at size): -3 is less than the minimum of 0",
            )],
        },
        Case {
            name: "response `example` in a shared response",
            edits: &[("            message: Nope.\n", "")],
            expected: &[(
                r#"components.responses.Refused.content["application/json"].example"#,
                r#""message" is a required property"#,
            )],
        },
        Case {
            name: "a schema property's example",
            edits: &[("          example: 3\n", "          example: \"3\"\n")],
            expected: &[(
                "components.schemas.Thing.properties.size.example",
                r#""3" is not of type "integer""#,
            )],
        },
        Case {
            name: "a schema's own example behind a $ref",
            edits: &[(
                "    Tag:\n      type: object\n",
                "    Tag:\n      type: object\n      example:\n        colour: blue\n",
            )],
            expected: &[(
                "components.schemas.Tag.example",
                r#""label" is a required property"#,
            )],
        },
        Case {
            name: "a parameter example",
            edits: &[("      example: 7\n", "      example: seven\n")],
            expected: &[(
                "components.parameters.Id.example",
                r#""seven" is not of type "integer""#,
            )],
        },
        Case {
            name: "an inline parameter example",
            edits: &[(
                "          example: true\n",
                "          example: yes please\n",
            )],
            expected: &[(
                r#"paths["/a/things/{id}"].get.parameters[1].example"#,
                r#""yes please" is not of type "boolean""#,
            )],
        },
        Case {
            name: "an examples entry without value",
            edits: &[(
                "              full:\n                summary: Every field.\n                value:\n                  name: widget\n                  size: 3\n                  tags:\n                    - label: blue\n",
                "              full:\n                summary: Every field.\n",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.full"#,
                "example has no `value`",
            )],
        },
        Case {
            name: "an example by $ref to components/examples that does not match",
            edits: &[("        size: 4\n", "        size: four\n")],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.shared"#,
                r##"#/components/examples/Widget"##,
            )],
        },
        Case {
            name: "an example by $ref to components/examples that does not resolve",
            edits: &[(
                "#/components/examples/Widget",
                "#/components/examples/Gadget",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.shared["$ref"]"#,
                "does not resolve",
            )],
        },
    ]);
}

#[test]
fn the_ref_to_components_examples_names_the_instance_path() {
    let got = problems(&edited(&[("        size: 4\n", "        size: four\n")]));
    assert_eq!(got.len(), 1, "{}", render(&got));
    assert!(
        got[0]
            .message
            .contains(r#"(at size): "four" is not of type "integer""#),
        "{}",
        got[0]
    );
}

#[test]
fn nullable_allows_null_and_only_where_declared() {
    // The base spec has `note: null` examples under `nullable: true`: valid.
    run(&[
        Case {
            name: "null where the schema is not nullable",
            edits: &[(
                "                    name: widget\n                    size: 3\n",
                "                    name: widget\n                    size: null\n",
            )],
            expected: &[(
                r#"paths["/a/things/{id}"].get.responses["200"].content["application/json"].examples.one.value"#,
                "(at size): null is not of type \"integer\"",
            )],
        },
        Case {
            name: "nullable still checks the type of non-null values",
            edits: &[(
                "                    note: null\n",
                "                    note: 5\n",
            )],
            expected: &[(
                r#"paths["/a/things/{id}"].get.responses["200"].content["application/json"].examples.one.value"#,
                "(at note)",
            )],
        },
        Case {
            name: "nullable on a nested array item, enum and allOf",
            edits: &[(
                "      properties:\n        label:\n          type: string\n          example: blue\n",
                "      properties:\n        label:\n          type: string\n          example: blue\n        \
                 shades:\n          type: array\n          items:\n            type: string\n            \
                 enum: [light, dark]\n            nullable: true\n          example: [light, null]\n        \
                 parent:\n          nullable: true\n          allOf:\n            - $ref: \"#/components/schemas/Error\"\n          \
                 example: null\n",
            )],
            expected: &[],
        },
        Case {
            name: "a $ref into a nullable schema still resolves",
            edits: &[
                (
                    "    Thing:\n      type: object\n",
                    "    Thing:\n      type: object\n      nullable: true\n",
                ),
                (
                    "        label:\n          type: string\n",
                    "        label:\n          $ref: \"#/components/schemas/Thing/properties/name\"\n",
                ),
                ("- label: blue", "- label: 5"),
            ],
            expected: &[(
                r#"paths["/b/things/{id}"].put.requestBody.content["application/json"].examples.full.value"#,
                r#"(at tags[0].label): 5 is not of type "string""#,
            )],
        },
    ]);
}

#[test]
fn versions() {
    run(&[
        Case {
            name: "3.1.0 is refused",
            edits: &[("openapi: 3.0.3", "openapi: 3.1.0")],
            expected: &[("openapi", r#"version "3.1.0" is not supported"#)],
        },
        Case {
            name: "missing",
            edits: &[("openapi: 3.0.3\n", "")],
            expected: &[("openapi", "missing")],
        },
        Case {
            name: "not a string",
            edits: &[("openapi: 3.0.3\n", "openapi: 3.0\n")],
            expected: &[("openapi", "must be a string")],
        },
    ]);
}

#[test]
fn structure() {
    run(&[
        Case {
            name: "paths is a list",
            edits: &[("paths:\n", "paths:\n  - /a/things\nold_paths:\n")],
            expected: &[("paths", "not an OpenAPI 3.0 object: invalid type: sequence")],
        },
        Case {
            name: "a response description is a list",
            edits: &[(
                "          description: Stored.",
                "          description: [Stored]",
            )],
            expected: &[(
                r#"paths["/b/things/{id}"].put.responses["204"].description"#,
                "not an OpenAPI 3.0 object: invalid type: sequence, expected a string",
            )],
        },
        Case {
            name: "info is missing",
            edits: &[("info:\n  title: Things\n  version: \"1.0\"\n", "")],
            expected: &[("(document root)", "missing field `info`")],
        },
    ]);
}

#[test]
fn yaml_syntax_error_names_the_line() {
    let text = edited(&[(
        "    Tag:\n      type: object\n",
        "    Tag:\n      type: [object\n",
    )]);
    let got = problems(&text);
    assert_eq!(got.len(), 1, "{}", render(&got));
    assert!(got[0].message.contains("not valid YAML"), "{}", got[0]);
    let line = text
        .lines()
        .position(|l| l.contains("type: [object"))
        .map(|i| i + 1)
        .unwrap_or_default();
    assert!(got[0].message.contains("line "), "{}", got[0]);
    assert!(got[0].line.is_some_and(|l| l >= line), "{got:?}");
}

#[test]
fn a_document_that_is_not_a_mapping() {
    let got = problems("- just\n- a list\n");
    assert_eq!(got.len(), 1, "{}", render(&got));
    assert_eq!(got[0].location.to_string(), "(document root)");
    assert!(got[0].message.contains("not a mapping"), "{}", got[0]);
}

#[test]
fn several_problems_are_all_reported() {
    run(&[
        Case {
            name: "operation id, example, property example",
            edits: &[
                ("      operationId: get_thing\n", ""),
                ("      example: 7\n", "      example: seven\n"),
                ("          example: 3\n", "          example: \"3\"\n"),
            ],
            expected: &[
                (r#"paths["/a/things/{id}"].get"#, "no operationId"),
                ("components.parameters.Id.example", "is not of type"),
                (
                    "components.schemas.Thing.properties.size.example",
                    "is not of type",
                ),
            ],
        },
        Case {
            name: "version, refs and operation ids",
            edits: &[
                ("openapi: 3.0.3", "openapi: 3.1.0"),
                (
                    "$ref: \"#/components/schemas/Tag\"",
                    "$ref: \"#/components/schemas/Tags\"",
                ),
                ("operationId: put_thing", "operationId: get_thing"),
            ],
            expected: &[
                ("openapi", "is not supported"),
                (
                    r#"components.schemas.Thing.properties.tags.items["$ref"]"#,
                    "does not resolve",
                ),
                (
                    r#"paths["/b/things/{id}"].put.operationId"#,
                    "duplicate operationId",
                ),
            ],
        },
        Case {
            name: "a malformed schema is reported once, other examples still checked",
            edits: &[
                ("          minimum: 0\n", "          minimum: [0]\n"),
                ("      example: 7\n", "      example: seven\n"),
            ],
            expected: &[
                (
                    "components.schemas.Thing.properties.size",
                    "not an OpenAPI 3.0 object: invalid type: sequence",
                ),
                ("components.parameters.Id.example", "is not of type"),
            ],
        },
    ]);
}

#[test]
fn problems_carry_the_line_of_their_location() {
    let text = edited(&[
        ("      example: 7\n", "      example: seven\n"),
        (
            "$ref: \"#/components/schemas/Tag\"",
            "$ref: \"#/components/schemas/Tags\"",
        ),
        ("      operationId: get_thing\n", ""),
    ]);
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    let got = problems(&text);
    let lines: Vec<(String, Option<usize>)> = got
        .iter()
        .map(|p| (p.location.to_string(), p.line))
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                r#"paths["/a/things/{id}"].get"#.to_owned(),
                line_of("    get:")
            ),
            (
                r#"components.schemas.Thing.properties.tags.items["$ref"]"#.to_owned(),
                line_of("#/components/schemas/Tags"),
            ),
        ],
        "problems come sorted by line; the example is not checked while a $ref is broken"
    );
    let got = problems(&edited(&[("      example: 7\n", "      example: seven\n")]));
    let text = edited(&[("      example: 7\n", "      example: seven\n")]);
    let expected = text
        .lines()
        .position(|l| l == "      example: seven")
        .map(|i| i + 1);
    assert_eq!(got.len(), 1, "{}", render(&got));
    assert_eq!(got[0].line, expected);
}

#[test]
fn the_real_spec_is_valid() {
    let root = xtask::repo_root();
    let text = std::fs::read_to_string(root.join(xtask::SPEC_PATH)).expect("read the spec");
    if let Err(got) = Spec::parse(&text) {
        panic!("{} has problems:{}", xtask::SPEC_PATH, render(&got));
    }
}

#[test]
fn generation_is_deterministic_and_starts_with_the_header() {
    let root = xtask::repo_root();
    let text = std::fs::read_to_string(root.join(xtask::SPEC_PATH)).expect("read the spec");
    let spec = Spec::parse(&text).expect("the real spec is valid");
    let first = xtask::generate(&spec).expect("generate");
    let again = xtask::generate(&Spec::parse(&text).expect("valid")).expect("generate");
    assert!(first.starts_with(xtask::HEADER));
    assert!(first.ends_with('\n') && !first.contains('\r'));
    assert!(
        first == again,
        "two runs differ:\n{}",
        xtask::compare(&first, &again)
            .map(|d| d.diff)
            .unwrap_or_default()
    );
    // The small spec generates too (all its shapes are ones progenitor takes).
    let small = xtask::generate(&Spec::parse(BASE).expect("valid")).expect("generate");
    assert!(small.contains("pub async fn send"), "{small}");
}

#[test]
fn the_mocks_generate_deterministically_for_the_client_crate() {
    let root = xtask::repo_root();
    let text = std::fs::read_to_string(root.join(xtask::SPEC_PATH)).expect("read the spec");
    let spec = Spec::parse(&text).expect("the real spec is valid");
    let first = xtask::generate_mock(&spec).expect("generate the mocks");
    let again = xtask::generate_mock(&Spec::parse(&text).expect("valid")).expect("again");
    assert!(first.starts_with(xtask::HEADER));
    assert!(first.ends_with('\n') && !first.contains('\r'));
    assert!(first == again, "two runs of the mock generation differ");
    // The mocks name the client crate's types and extend httpmock's server.
    assert!(first.contains("use eiam_api::*;"), "{first}");
    assert!(first.contains("impl MockServerExt for ::httpmock::MockServer"));
    // Generating the client first does not change the mocks (a fresh generator each).
    let all = xtask::generate_all(&spec).expect("generate both");
    let paths: Vec<&str> = all.iter().map(|(path, _)| *path).collect();
    assert_eq!(paths, xtask::GENERATED_FILES);
    assert_eq!(all[1].1, first);
    // The small spec's mocks generate too.
    let small = xtask::generate_mock(&Spec::parse(BASE).expect("valid")).expect("generate");
    assert!(small.contains("pub trait MockServerExt"), "{small}");
}
