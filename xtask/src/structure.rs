//! Reading the document into openapiv3's typed model, with a precise location on failure.
//!
//! serde reports the path of a type error only down to the nearest buffered type: openapiv3
//! reads every `$ref`-able object (`ReferenceOr<T>`), parameters and schemas that way, so a
//! wrong value deep inside an operation is reported at `paths`. When the document does not
//! read, this walks down the known object kinds and reads each on its own, reporting the
//! deepest object that fails, with serde's path inside it.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::spec::{Key, Location, SpecProblem};

/// The typed document, or where and why it does not read.
pub(crate) fn read(raw: &Value) -> Result<openapiv3::OpenAPI, Vec<SpecProblem>> {
    read_as::<openapiv3::OpenAPI>(raw)
        .map_err(|_| problems_in(Kind::Document, raw, &Location::default()))
}

/// The OpenAPI objects whose insides serde cannot locate errors in.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Document,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Header,
    MediaType,
    Example,
    Schema,
}

/// A type error: the path inside the object that was read, and serde's message.
type ReadError = (Vec<Key>, String);

fn read_as<T: DeserializeOwned>(value: &Value) -> Result<T, ReadError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(Key::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Key::Name(key.clone())),
                serde_path_to_error::Segment::Enum { variant } => Some(Key::Name(variant.clone())),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        (path, e.into_inner().to_string())
    })
}

/// The problems in `value`, read as `kind` at `at`: those of the children that fail to read,
/// or, when every child reads (or there are none), this object's own.
fn problems_in(kind: Kind, value: &Value, at: &Location) -> Vec<SpecProblem> {
    let Err((path, message)) = kind.read(value) else {
        return Vec::new();
    };
    let deeper: Vec<SpecProblem> = kind
        .children(value)
        .into_iter()
        .flat_map(|(keys, child_kind, child)| problems_in(child_kind, child, &at.join(keys)))
        .collect();
    if !deeper.is_empty() {
        return deeper;
    }
    vec![SpecProblem::new(
        &at.join(path),
        format!("not an OpenAPI 3.0 object: {message}"),
    )]
}

impl Kind {
    /// Reads `value` as this kind; a `$ref` object is read as a reference to it.
    fn read(self, value: &Value) -> Result<(), ReadError> {
        use openapiv3::ReferenceOr;
        fn as_item<T: DeserializeOwned>(value: &Value) -> Result<(), ReadError> {
            if value.get("$ref").is_some() {
                read_as::<ReferenceOr<T>>(value).map(drop)
            } else {
                read_as::<T>(value).map(drop)
            }
        }
        match self {
            Kind::Document => read_as::<openapiv3::OpenAPI>(value).map(drop),
            Kind::PathItem => as_item::<openapiv3::PathItem>(value),
            Kind::Operation => read_as::<openapiv3::Operation>(value).map(drop),
            Kind::Parameter => as_item::<openapiv3::Parameter>(value),
            Kind::RequestBody => as_item::<openapiv3::RequestBody>(value),
            Kind::Response => as_item::<openapiv3::Response>(value),
            Kind::Header => as_item::<openapiv3::Header>(value),
            Kind::MediaType => read_as::<openapiv3::MediaType>(value).map(drop),
            Kind::Example => as_item::<openapiv3::Example>(value),
            Kind::Schema => as_item::<openapiv3::Schema>(value),
        }
    }

    /// The objects inside `value` that are read on their own: relative path, kind, value.
    fn children(self, value: &Value) -> Children<'_> {
        let mut out = Vec::new();
        if value.get("$ref").is_some() {
            return out;
        }
        match self {
            Kind::Document => {
                map(value, "paths", Kind::PathItem, &mut out);
                let components = value.get("components");
                for (key, kind) in [
                    ("schemas", Kind::Schema),
                    ("responses", Kind::Response),
                    ("parameters", Kind::Parameter),
                    ("examples", Kind::Example),
                    ("requestBodies", Kind::RequestBody),
                    ("headers", Kind::Header),
                ] {
                    let entries = components
                        .and_then(|c| c.get(key))
                        .and_then(Value::as_object);
                    for (name, child) in entries.into_iter().flatten() {
                        let keys = vec!["components".into(), key.into(), Key::Name(name.clone())];
                        out.push((keys, kind, child));
                    }
                }
            }
            Kind::PathItem => {
                for method in crate::spec::METHODS {
                    if let Some(op) = value.get(method) {
                        out.push((vec![method.into()], Kind::Operation, op));
                    }
                }
                list(value, "parameters", Kind::Parameter, &mut out);
            }
            Kind::Operation => {
                list(value, "parameters", Kind::Parameter, &mut out);
                one(value, "requestBody", Kind::RequestBody, &mut out);
                map(value, "responses", Kind::Response, &mut out);
            }
            Kind::Parameter | Kind::Header => {
                one(value, "schema", Kind::Schema, &mut out);
                map(value, "content", Kind::MediaType, &mut out);
                map(value, "examples", Kind::Example, &mut out);
            }
            Kind::RequestBody => map(value, "content", Kind::MediaType, &mut out),
            Kind::Response => {
                map(value, "headers", Kind::Header, &mut out);
                map(value, "content", Kind::MediaType, &mut out);
            }
            Kind::MediaType => {
                one(value, "schema", Kind::Schema, &mut out);
                map(value, "examples", Kind::Example, &mut out);
            }
            Kind::Schema => {
                map(value, "properties", Kind::Schema, &mut out);
                for key in ["items", "not", "additionalProperties"] {
                    // `additionalProperties` may also be a boolean.
                    if value.get(key).is_some_and(Value::is_object) {
                        one(value, key, Kind::Schema, &mut out);
                    }
                }
                for key in ["allOf", "anyOf", "oneOf"] {
                    list(value, key, Kind::Schema, &mut out);
                }
            }
            Kind::Example => {}
        }
        out
    }
}

/// The kinds of children, with their paths relative to the parent.
type Children<'a> = Vec<(Vec<Key>, Kind, &'a Value)>;

fn map<'a>(value: &'a Value, key: &str, kind: Kind, out: &mut Children<'a>) {
    if let Some(entries) = value.get(key).and_then(Value::as_object) {
        for (name, child) in entries {
            out.push((vec![key.into(), Key::Name(name.clone())], kind, child));
        }
    }
}

fn one<'a>(value: &'a Value, key: &str, kind: Kind, out: &mut Children<'a>) {
    if let Some(child) = value.get(key) {
        out.push((vec![key.into()], kind, child));
    }
}

fn list<'a>(value: &'a Value, key: &str, kind: Kind, out: &mut Children<'a>) {
    if let Some(items) = value.get(key).and_then(Value::as_array) {
        for (i, child) in items.iter().enumerate() {
            out.push((vec![key.into(), Key::Index(i)], kind, child));
        }
    }
}
