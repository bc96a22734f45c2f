//! Reading and validating the OpenAPI document before anything is generated from it.
//!
//! progenitor panics or answers vaguely on several spec mistakes; these checks run first and
//! name the place in the spec: a version other than 3.0.x, unresolvable `$ref`s, missing or
//! duplicate `operationId`s, a document openapiv3 cannot read (see `structure`), and examples
//! that do not validate against their schema (see `examples`). Every problem is reported, with
//! the line of its location (see `lines`).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// A place in the spec, as the list of keys from the document root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location(Vec<Key>);

/// One step of a [`Location`]: a mapping key or a sequence position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Name(String),
    Index(usize),
}

impl From<&str> for Key {
    fn from(name: &str) -> Key {
        Key::Name(name.to_owned())
    }
}

impl From<usize> for Key {
    fn from(index: usize) -> Key {
        Key::Index(index)
    }
}

impl Location {
    pub(crate) fn new(keys: Vec<Key>) -> Location {
        Location(keys)
    }

    pub(crate) fn keys(&self) -> &[Key] {
        &self.0
    }

    pub(crate) fn push(&self, key: impl Into<Key>) -> Location {
        self.join([key.into()])
    }

    /// For the location of a `$ref`, the object holding it.
    fn holder_of_ref(&self) -> Option<Location> {
        match self.0.split_last() {
            Some((Key::Name(last), holder)) if last == "$ref" => Some(Location(holder.to_vec())),
            _ => None,
        }
    }

    pub(crate) fn join(&self, keys: impl IntoIterator<Item = Key>) -> Location {
        let mut all = self.0.clone();
        all.extend(keys);
        Location(all)
    }
}

impl fmt::Display for Location {
    /// `paths["/api/v2/x"].post.parameters[0]`: plain keys after dots, other keys quoted,
    /// sequence positions as bare numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document root)");
        }
        for (i, key) in self.0.iter().enumerate() {
            match key {
                Key::Index(index) => write!(f, "[{index}]")?,
                Key::Name(name) => {
                    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
                    match (plain, i) {
                        (true, 0) => f.write_str(name)?,
                        (true, _) => write!(f, ".{name}")?,
                        (false, _) => write!(f, "[{name:?}]")?,
                    }
                }
            }
        }
        Ok(())
    }
}

/// One thing wrong with the spec, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// Where in the document.
    pub location: Location,
    /// The 1-based line of the location in the spec's text, when it could be found.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl SpecProblem {
    pub(crate) fn new(location: &Location, message: impl Into<String>) -> SpecProblem {
        SpecProblem {
            location: location.clone(),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A parsed spec that passed every check.
#[derive(Debug, Clone)]
pub struct Spec {
    raw: Value,
    openapi: openapiv3::OpenAPI,
}

impl Spec {
    /// Parses YAML (or JSON) text and runs every check; returns all problems found, each with
    /// the line of its location when it can be found, in the order of the text.
    pub fn parse(text: &str) -> Result<Spec, Vec<SpecProblem>> {
        let root = Location::default();
        let raw: Value = match serde_yaml_ng::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let mut problem = SpecProblem::new(&root, format!("not valid YAML: {e}"));
                problem.line = e.location().map(|l| l.line());
                return Err(vec![problem]);
            }
        };
        if !raw.is_object() {
            return Err(vec![SpecProblem::new(
                &root,
                "the document is not a mapping",
            )]);
        }
        let mut problems = Vec::new();
        check_version(&raw, &mut problems);
        let before = problems.len();
        check_refs(&raw, &raw, &root, &mut problems);
        let refs_resolve = problems.len() == before;
        check_operation_ids(&raw, &mut problems);
        let openapi = if raw.get("openapi").is_some_and(Value::is_string) {
            crate::structure::read(&raw)
        } else {
            // check_version has said what is wrong with the version; read the rest.
            let mut rest = raw.clone();
            if let Value::Object(map) = &mut rest {
                map.insert("openapi".into(), Value::from("3.0.3"));
            }
            crate::structure::read(&rest)
        };
        let openapi = openapi
            .map_err(|found| {
                // An object whose `$ref` is not a string does not read either: its `$ref`
                // problem says why, once.
                let bad_refs: Vec<Location> = problems
                    .iter()
                    .filter_map(|p| p.location.holder_of_ref())
                    .collect();
                problems.extend(
                    found
                        .into_iter()
                        .filter(|p| !bad_refs.contains(&p.location)),
                );
            })
            .ok();
        // Examples are checked against their schemas, which needs every $ref to resolve.
        if refs_resolve {
            crate::examples::check(&raw, openapi.is_some(), &mut problems);
        }
        match openapi {
            Some(openapi) if problems.is_empty() => Ok(Spec { raw, openapi }),
            _ => Err(with_lines(text, problems)),
        }
    }

    /// The typed document, as progenitor takes it.
    pub fn openapi(&self) -> &openapiv3::OpenAPI {
        &self.openapi
    }

    /// The document as plain JSON.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

/// Adds the line of each problem's location and sorts them by line (stable: problems on the
/// same line keep their order; those without a line come first).
fn with_lines(text: &str, mut problems: Vec<SpecProblem>) -> Vec<SpecProblem> {
    for p in &mut problems {
        p.line = crate::lines::line_of(text, p.location.keys());
    }
    problems.sort_by_key(|p| p.line);
    problems
}

fn check_version(raw: &Value, problems: &mut Vec<SpecProblem>) {
    let at = Location::default().push("openapi");
    match raw.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") => {}
        Some(Value::String(v)) => problems.push(SpecProblem::new(
            &at,
            format!("version {v:?} is not supported: progenitor takes OpenAPI 3.0.x only"),
        )),
        Some(other) => problems.push(SpecProblem::new(
            &at,
            format!("must be a string such as \"3.0.3\" (quote it), not {other}"),
        )),
        None => problems.push(SpecProblem::new(
            &at,
            "missing: the document must say `openapi: 3.0.3`",
        )),
    }
}

/// Every `$ref` must be a local JSON pointer that resolves.
fn check_refs(root: &Value, value: &Value, at: &Location, problems: &mut Vec<SpecProblem>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = at.push(key.as_str());
                if key == "$ref" {
                    match child.as_str() {
                        Some(r) if resolve(root, r).is_some() => {}
                        Some(r) => problems.push(SpecProblem::new(
                            &here,
                            format!("$ref {r:?} does not resolve to anything in this document"),
                        )),
                        None => problems.push(SpecProblem::new(&here, "$ref must be a string")),
                    }
                } else {
                    check_refs(root, child, &here, problems);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(root, child, &at.push(i), problems);
            }
        }
        _ => {}
    }
}

/// The target of a local reference (`#/json/pointer`).
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    reference.strip_prefix('#').and_then(|p| root.pointer(p))
}

/// Follows `$ref`s (bounded, in case of a cycle).
pub(crate) fn deref<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve(root, r))
        {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// The HTTP methods a path item can hold an operation for.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn operations(raw: &Value) -> Vec<(Location, &Map<String, Value>)> {
    let mut out = Vec::new();
    let paths = Location::default().push("paths");
    if let Some(items) = raw.get("paths").and_then(Value::as_object) {
        for (path, item) in items {
            for method in METHODS {
                if let Some(op) = item.get(method).and_then(Value::as_object) {
                    out.push((paths.push(path.as_str()).push(method), op));
                }
            }
        }
    }
    out
}

/// Every operation needs an operationId (progenitor names its method after it), used once.
/// One that is not a string is left to the structure check.
fn check_operation_ids(raw: &Value, problems: &mut Vec<SpecProblem>) {
    let mut seen: BTreeMap<&str, Location> = BTreeMap::new();
    for (at, op) in operations(raw) {
        let id_at = at.push("operationId");
        match op.get("operationId") {
            None => problems.push(SpecProblem::new(
                &at,
                "operation has no operationId (progenitor names methods after it)",
            )),
            Some(Value::String(id)) if id.trim().is_empty() => problems.push(SpecProblem::new(
                &id_at,
                "operationId is empty (progenitor names methods after it)",
            )),
            Some(Value::String(id)) => match seen.get(id.as_str()) {
                Some(first) => problems.push(SpecProblem::new(
                    &id_at,
                    format!("duplicate operationId {id:?}, first used at {first}"),
                )),
                None => {
                    seen.insert(id, id_at);
                }
            },
            Some(_) => {}
        }
    }
}
