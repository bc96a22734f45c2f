//! The line of a location in the spec's YAML text, for error messages.
//!
//! The document has already been parsed; this only needs to point at the right line. It reads
//! block-style YAML by indentation (flow collections `{…}`/`[…]` and anchors are not followed)
//! and finds each key of the location in turn. When a key cannot be followed it gives the
//! line of the deepest one found, so at worst it points at an ancestor of the location.

use crate::spec::Key;

/// A non-blank, non-comment line: its 1-based number, the column of its text, and the text.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    column: usize,
    text: &'a str,
}

/// The 1-based line where `keys` (a path from the document root) is written, or where its
/// deepest written ancestor is; `None` for the root or when not even the first key is found.
pub(crate) fn line_of(text: &str, keys: &[Key]) -> Option<usize> {
    let mut node: Vec<Line<'_>> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let trimmed = line.trim_start();
            let skip = trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---";
            (!skip).then(|| Line {
                number: i + 1,
                column: line.len() - trimmed.len(),
                text: trimmed,
            })
        })
        .collect();
    let mut found = None;
    for key in keys {
        let Some((line, value)) = child(&node, key) else {
            break;
        };
        found = Some(line);
        node = value;
    }
    found
}

/// The line of `key` in the block `node`, and the lines of its value.
fn child<'a>(node: &[Line<'a>], key: &Key) -> Option<(usize, Vec<Line<'a>>)> {
    let column = node.first()?.column;
    let is_item = |line: &Line<'_>| line.column == column && is_sequence_item(line.text);
    match key {
        Key::Name(name) => {
            let at = node
                .iter()
                .position(|l| l.column == column && after_key(l.text, name).is_some())?;
            let line = node[at];
            let rest = after_key(line.text, name).unwrap_or_default();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Some((line.number, Vec::new())); // a value on the same line
            }
            // The value: the following, deeper lines. A block sequence may also sit at the
            // key's own indentation (`key:` then `- item` under its first letter).
            let compact = node.get(at + 1).is_some_and(is_item);
            let value = node[at + 1..]
                .iter()
                .take_while(|l| l.column > column || (compact && is_item(l)))
                .copied()
                .collect();
            Some((line.number, value))
        }
        Key::Index(index) => {
            let at = node
                .iter()
                .enumerate()
                .filter(|(_, l)| is_item(l))
                .map(|(i, _)| i)
                .nth(*index)?;
            let line = node[at];
            // The item's first line holds what follows the dash, further right.
            let rest = line.text[1..].trim_start();
            let mut value = Vec::new();
            if !rest.is_empty() {
                value.push(Line {
                    number: line.number,
                    column: line.column + line.text.len() - rest.len(),
                    text: rest,
                });
            }
            value.extend(node[at + 1..].iter().take_while(|l| l.column > column));
            Some((line.number, value))
        }
    }
}

fn is_sequence_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// What follows `name:` when the line is that key (plain, `"quoted"` or `'quoted'`).
fn after_key<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let rest = [("", ""), ("\"", "\""), ("'", "'")]
        .iter()
        .find_map(|(open, close)| {
            text.strip_prefix(open)?
                .strip_prefix(name)?
                .strip_prefix(close)?
                .strip_prefix(':')
        })?;
    if rest.is_empty() || rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `"[2]"` is a sequence position, anything else a key.
    fn keys(path: &[&str]) -> Vec<Key> {
        path.iter()
            .map(|k| {
                let index = k.strip_prefix('[').and_then(|k| k.strip_suffix(']'));
                match index.and_then(|i| i.parse().ok()) {
                    Some(i) => Key::Index(i),
                    None => Key::Name((*k).to_owned()),
                }
            })
            .collect()
    }

    const TEXT: &str = "\
openapi: 3.0.3
# a comment
paths:
  \"/a\":
    get:
      parameters:
      - $ref: x
      -   name: b
          in: query
      description: |
        get: not a key
  /b:
    put:
      tags: [x]
      responses:
        \"200\":
          description: ok
";

    #[test]
    fn finds_keys_items_and_ancestors() {
        let cases: &[(&[&str], Option<usize>)] = &[
            (&[], None),
            (&["openapi"], Some(1)),
            (&["missing"], None),
            (&["paths", "/a", "get"], Some(5)),
            (
                &["paths", "/a", "get", "parameters", "[0]", "$ref"],
                Some(7),
            ),
            (&["paths", "/a", "get", "parameters", "[1]", "in"], Some(9)),
            (&["paths", "/a", "get", "parameters", "[2]"], Some(6)),
            (&["paths", "/a", "get", "description"], Some(10)),
            (
                &["paths", "/b", "put", "responses", "200", "description"],
                Some(17),
            ),
            (&["paths", "/b", "put", "tags", "[0]"], Some(14)),
            (&["paths", "/b", "get"], Some(12)),
        ];
        for (path, line) in cases {
            assert_eq!(line_of(TEXT, &keys(path)), *line, "{path:?}");
        }
    }
}
