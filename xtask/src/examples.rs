//! Validating every `example` and `examples` value against the schema it illustrates:
//! schema-level examples (recursively), parameter and header examples, and media-type
//! examples (inline or by `$ref` to `#/components/examples`).
//!
//! OpenAPI 3.0 schemas are (close to) JSON Schema draft 4, so examples are checked with
//! jsonschema's draft-4 validator. Two adjustments make them agree:
//! * the schema is checked inside a document that also carries the spec's `components`, so
//!   that `#/components/schemas/...` references resolve;
//! * `nullable: true`, which JSON Schema does not know, becomes "this schema, or null" (see
//!   [`json_schema`]); otherwise a valid `null` example would fail.

use serde_json::{Map, Value, json};

use crate::spec::{Key, Location, SpecProblem, deref};

/// Checks every example in the document; expects every `$ref` to resolve.
///
/// With `report_broken_schemas` false, a schema that jsonschema cannot compile is passed over
/// silently: the caller does so when the structure check has already reported the cause.
pub(crate) fn check(raw: &Value, report_broken_schemas: bool, problems: &mut Vec<SpecProblem>) {
    let mut components = raw.get("components").cloned().unwrap_or_else(|| json!({}));
    if let Some(Value::Object(schemas)) = components.get_mut("schemas") {
        for schema in schemas.values_mut() {
            *schema = json_schema(schema);
        }
    }
    let checker = Checker {
        root: raw,
        components,
        report_broken_schemas,
    };
    checker.visit(raw, &Location::default(), problems);
}

/// An OpenAPI 3.0 schema as JSON Schema: `nullable: true` allows null, at every depth, by
/// adding `"null"` to its `type` and `enum` (and wrapping it when it has `allOf`, `anyOf`,
/// `oneOf` or `not`). Schema-level `example`s are dropped.
///
/// A `$ref` object is left alone: OpenAPI 3.0 (like draft 4) ignores the siblings of `$ref`,
/// so `nullable` next to it has no effect there either.
fn json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "nullable" | "example" => continue,
            "properties" => match value {
                Value::Object(props) => Value::Object(
                    props
                        .iter()
                        .map(|(name, sub)| (name.clone(), json_schema(sub)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => json_schema(value),
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(subs) => Value::Array(subs.iter().map(json_schema).collect()),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if map.get("nullable") != Some(&Value::Bool(true)) || map.contains_key("$ref") {
        return Value::Object(out);
    }
    // Allow null and keep every keyword in its place (a `$ref` may point inside this schema).
    if let Some(Value::String(name)) = out.get("type") {
        let widened = json!([name, "null"]);
        out.insert("type".into(), widened);
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    // What the composition keywords refuse cannot be widened in place: wrap them.
    if ["allOf", "anyOf", "oneOf", "not"]
        .iter()
        .any(|k| out.contains_key(*k))
    {
        return json!({ "anyOf": [{ "type": "null" }, out] });
    }
    Value::Object(out)
}

struct Checker<'a> {
    root: &'a Value,
    /// The spec's `components`, with the schemas translated by [`json_schema`].
    components: Value,
    report_broken_schemas: bool,
}

impl Checker<'_> {
    /// Walks the whole document; wherever an object has a `schema` (a parameter, a header or
    /// a media type) its examples are checked against it, and every schema object's own
    /// `example` is checked against that schema.
    fn visit(&self, value: &Value, at: &Location, problems: &mut Vec<SpecProblem>) {
        match value {
            Value::Object(map) => {
                if let Some(schema) = map.get("schema") {
                    self.check_examples_of(map, schema, at, problems);
                    self.visit_schema(schema, &at.push("schema"), problems);
                }
                let in_schemas = at.keys() == ["components".into(), "schemas".into()];
                for (key, child) in map {
                    if key == "schema" {
                        continue;
                    }
                    let child_at = at.push(key.as_str());
                    if in_schemas {
                        self.visit_schema(child, &child_at, problems);
                    } else {
                        self.visit(child, &child_at, problems);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.visit(child, &at.push(i), problems);
                }
            }
            _ => {}
        }
    }

    /// The `example` and `examples` of a parameter, header or media type.
    fn check_examples_of(
        &self,
        object: &Map<String, Value>,
        schema: &Value,
        at: &Location,
        problems: &mut Vec<SpecProblem>,
    ) {
        if let Some(example) = object.get("example") {
            self.validate(schema, example, &at.push("example"), "example", problems);
        }
        let Some(examples) = object.get("examples").and_then(Value::as_object) else {
            return;
        };
        for (name, entry) in examples {
            let entry_at = at.push("examples").push(name.as_str());
            let example = deref(self.root, entry);
            match (
                example.get("value"),
                entry.get("$ref").and_then(Value::as_str),
            ) {
                (Some(value), None) => {
                    self.validate(schema, value, &entry_at.push("value"), "example", problems);
                }
                (Some(value), Some(reference)) => {
                    let what = format!("example {reference}");
                    self.validate(schema, value, &entry_at, &what, problems);
                }
                (None, _) if example.get("externalValue").is_some() => {}
                (None, _) => problems.push(SpecProblem::new(
                    &entry_at,
                    "example has no `value` (nor `externalValue`)",
                )),
            }
        }
    }

    /// A schema object: its own `example`, then its subschemas.
    fn visit_schema(&self, schema: &Value, at: &Location, problems: &mut Vec<SpecProblem>) {
        let Some(map) = schema.as_object() else {
            return;
        };
        if map.contains_key("$ref") {
            return; // checked where it is defined
        }
        if let Some(example) = map.get("example") {
            self.validate(schema, example, &at.push("example"), "example", problems);
        }
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                self.visit_schema(sub, &at.push("properties").push(name.as_str()), problems);
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = map.get(key) {
                self.visit_schema(sub, &at.push(key), problems);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(subs) = map.get(key).and_then(Value::as_array) {
                for (i, sub) in subs.iter().enumerate() {
                    self.visit_schema(sub, &at.push(key).push(i), problems);
                }
            }
        }
    }

    /// Validates `instance` against `schema`; each error becomes a problem at `at` that starts
    /// with `what` and names the place inside the example.
    fn validate(
        &self,
        schema: &Value,
        instance: &Value,
        at: &Location,
        what: &str,
        problems: &mut Vec<SpecProblem>,
    ) {
        let document = match json_schema(schema) {
            Value::Object(mut map) => {
                map.insert("components".into(), self.components.clone());
                Value::Object(map)
            }
            other => other,
        };
        let validator = match jsonschema::draft4::options().build(&document) {
            Ok(v) => v,
            Err(e) => {
                if self.report_broken_schemas {
                    problems.push(SpecProblem::new(
                        at,
                        format!("its schema cannot be compiled: {e}"),
                    ));
                }
                return;
            }
        };
        for error in validator.iter_errors(instance) {
            let inside = instance_location(instance, error.instance_path().as_str());
            let inside = if inside.keys().is_empty() {
                String::new()
            } else {
                format!(" (at {inside})")
            };
            problems.push(SpecProblem::new(
                at,
                format!("{what} does not match its schema{inside}: {error}"),
            ));
        }
    }
}

/// The place a JSON pointer names inside `instance`: array positions become indexes, so a
/// key that looks like a number is still shown as a key.
fn instance_location(instance: &Value, pointer: &str) -> Location {
    let mut keys = Vec::new();
    let mut current = Some(instance);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let index = match current {
            Some(Value::Array(_)) => token.parse::<usize>().ok(),
            _ => None,
        };
        current = match index {
            Some(i) => current.and_then(|v| v.get(i)),
            None => current.and_then(|v| v.get(&token)),
        };
        keys.push(index.map_or(Key::Name(token), Key::Index));
    }
    Location::new(keys)
}
