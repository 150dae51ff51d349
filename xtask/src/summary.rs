//! After a regen that changed the document: a short account of what changed
//! in the API (operations, parameters, responses, schema properties).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::normalize::METHODS;

/// One line per change, `+` added, `-` removed, `~` changed.
pub fn changes(old: &Value, new: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let (old_ops, new_ops) = (operations(old), operations(new));
    compare(&old_ops, &new_ops, "operation", &mut lines, |name, a, b, lines| {
        let params = |op: &Value| {
            keyed(op.get("parameters"), |p| {
                format!("{} parameter {}", str_at(p, "in"), str_at(p, "name"))
            })
        };
        compare(
            &params(a),
            &params(b),
            &format!("{name}:"),
            lines,
            |param, x, y, lines| {
                for field in ["required", "schema"] {
                    if x.get(field) != y.get(field) {
                        lines.push(format!("~ {name}: {param} {field} changed"));
                    }
                }
            },
        );
        if a.pointer("/requestBody") != b.pointer("/requestBody") {
            lines.push(format!("~ {name}: request body changed"));
        }
        let responses = |op: &Value| {
            op.get("responses")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (format!("response {k}"), v.clone())).collect())
                .unwrap_or_default()
        };
        compare(
            &responses(a),
            &responses(b),
            &format!("{name}:"),
            lines,
            |code, x, y, lines| {
                if x.get("content") != y.get("content") {
                    lines.push(format!("~ {name}: {code} body changed"));
                }
            },
        );
        if a.get("security") != b.get("security") {
            lines.push(format!("~ {name}: security changed"));
        }
    });
    let schemas = |doc: &Value| {
        doc.pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    compare(
        &schemas(old),
        &schemas(new),
        "schema",
        &mut lines,
        |name, a, b, lines| {
            let properties = |s: &Value| {
                s.get("properties")
                    .and_then(Value::as_object)
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default()
            };
            compare(
                &properties(a),
                &properties(b),
                &format!("schema {name}: property"),
                lines,
                |property, _, _, lines| {
                    lines.push(format!("~ schema {name}: property {property} changed"));
                },
            );
            if a.get("required") != b.get("required") {
                lines.push(format!("~ schema {name}: required properties changed"));
            }
        },
    );
    lines
}

/// Lists what is only in `old` (-) or only in `new` (+), and calls `changed`
/// for what is in both but differs.
fn compare(
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
    what: &str,
    lines: &mut Vec<String>,
    mut changed: impl FnMut(&str, &Value, &Value, &mut Vec<String>),
) {
    for (key, value) in old {
        match new.get(key) {
            None => lines.push(format!("- {what} {key}")),
            Some(other) if other != value => changed(key, value, other, lines),
            Some(_) => {}
        }
    }
    for key in new.keys().filter(|k| !old.contains_key(*k)) {
        lines.push(format!("+ {what} {key}"));
    }
}

fn operations(document: &Value) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    found.insert(format!("{} {path}", method.to_uppercase()), operation.clone());
                }
            }
        }
    }
    found
}

fn keyed(list: Option<&Value>, key: impl Fn(&Value) -> String) -> BTreeMap<String, Value> {
    list.and_then(Value::as_array)
        .map(|items| items.iter().map(|item| (key(item), item.clone())).collect())
        .unwrap_or_default()
}

fn str_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_added_removed_and_changed_parts() {
        let old = json!({
            "paths": {"/a": {
                "get": {"parameters": [{"in": "query", "name": "q", "required": false, "schema": {"type": "string"}}], "responses": {"200": {}}},
                "delete": {"responses": {}}
            }},
            "components": {"schemas": {"A": {"properties": {"x": {"type": "string"}, "y": {"type": "string"}}}, "Gone": {}}}
        });
        let new = json!({
            "paths": {"/a": {
                "get": {"parameters": [
                    {"in": "query", "name": "q", "required": true, "schema": {"type": "string"}},
                    {"in": "header", "name": "h"}
                ], "responses": {"200": {}, "404": {}}},
                "post": {"responses": {}}
            }},
            "components": {"schemas": {"A": {"properties": {"x": {"type": "integer"}, "z": {}}, "required": ["z"]}}}
        });
        assert_eq!(
            changes(&old, &new),
            [
                "- operation DELETE /a",
                "~ GET /a: query parameter q required changed",
                "+ GET /a: header parameter h",
                "+ GET /a: response 404",
                "+ operation POST /a",
                "~ schema A: property x changed",
                "- schema A: property y",
                "+ schema A: property z",
                "~ schema A: required properties changed",
                "- schema Gone",
            ]
        );
        assert!(changes(&new, &new).is_empty());
    }
}
