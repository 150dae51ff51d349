//! The pinned API document as the conformance suite reads it: which
//! statuses each operation lists, and validation of bodies against its
//! schemas (OpenAPI 3.0 schemas, turned into JSON Schema).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use usercentrics_pmp::operations;

/// The pinned document.
pub struct Document {
    document: Value,
}

/// A documented example: where it is, and the JSON.
#[derive(Debug, Clone)]
pub struct Example {
    /// The operation, as the client method is named.
    pub operation: &'static str,
    /// `request` or the response status.
    pub place: String,
    /// The example.
    pub value: Value,
}

impl Document {
    /// `openapi/preference-api.json`.
    pub fn pinned() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/preference-api.json");
        let text = std::fs::read_to_string(&path).expect("the pinned document is in the workspace");
        Self {
            document: serde_json::from_str(&text).expect("the pinned document is JSON (regen --check proves it)"),
        }
    }

    fn operation(&self, name: &str) -> Option<&Value> {
        let described = operations::find(name)?;
        self.document
            .get("paths")?
            .get(described.path)?
            .get(described.method.to_ascii_lowercase())
    }

    /// Every operation with the statuses its responses list.
    pub fn statuses(&self) -> BTreeMap<&'static str, Vec<String>> {
        operations::ALL
            .iter()
            .map(|o| {
                let statuses = self
                    .operation(o.name)
                    .and_then(|op| op.get("responses")?.as_object())
                    .map(|r| r.keys().cloned().collect())
                    .unwrap_or_default();
                (o.name, statuses)
            })
            .collect()
    }

    /// The response of `operation` for `status`: the exact code, else its `NXX` range.
    fn response(&self, operation: &str, status: u16) -> Option<&Value> {
        let responses = self.operation(operation)?.get("responses")?;
        responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))
    }

    /// Does the document list `status` for `operation`?
    pub fn lists(&self, operation: &str, status: u16) -> bool {
        self.response(operation, status).is_some()
    }

    /// The JSON schema of the response body, `None` when it has none.
    pub fn response_schema(&self, operation: &str, status: u16) -> Option<&Value> {
        self.response(operation, status)?
            .pointer("/content/application~1json/schema")
    }

    /// The JSON schema of the request body.
    pub fn request_schema(&self, operation: &str) -> Option<&Value> {
        self.operation(operation)?
            .pointer("/requestBody/content/application~1json/schema")
    }

    /// Validates `instance` against `schema`; each problem names its JSON path.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = json_schema(schema);
        if let Some(root) = root.as_object_mut() {
            root.insert(
                "components".into(),
                json_schema(self.document.get("components").unwrap_or(&Value::Null)),
            );
        }
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&root)
        {
            Ok(validator) => validator,
            Err(error) => return vec![format!("the schema does not compile: {error}")],
        };
        validator
            .iter_errors(instance)
            .map(|e| format!("at `{}`: {e}", e.instance_path()))
            .collect()
    }

    /// Every `example` of a request or response body.
    pub fn examples(&self) -> Vec<Example> {
        let mut found = Vec::new();
        for described in operations::ALL {
            let Some(operation) = self.operation(described.name) else {
                continue;
            };
            if let Some(example) = operation.pointer("/requestBody/content/application~1json/example") {
                found.push(Example {
                    operation: described.name,
                    place: "request".into(),
                    value: example.clone(),
                });
            }
            for (status, response) in operation
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(example) = response.pointer("/content/application~1json/example") {
                    found.push(Example {
                        operation: described.name,
                        place: status.clone(),
                        value: example.clone(),
                    });
                }
            }
        }
        found
    }
}

/// OpenAPI 3.0's schema dialect as JSON Schema: `nullable: true` becomes a
/// `null` type; everything else carries over (extensions are ignored).
fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "nullable" && *k != "example")
                .map(|(k, v)| (k.clone(), json_schema(v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".into(), json!([t, "null"]));
                    }
                    _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_null_type() {
        assert_eq!(
            json_schema(&json!({"type": "string", "nullable": true})),
            json!({"type": ["string", "null"]})
        );
        let document = Document::pinned();
        let schema = json!({"$ref": "#/components/schemas/UserPreference"});
        let good =
            json!({"uuid": "f0e1bc09-8b14-47a3-9aa2-ef40075f8c9a", "pending": false, "answers": [], "expiresAt": null});
        assert_eq!(document.validate(&schema, &good), Vec::<String>::new());
        let bad = json!({"uuid": "f0e1bc09-8b14-47a3-9aa2-ef40075f8c9a", "pending": "no", "answers": []});
        let problems = document.validate(&schema, &bad);
        assert!(
            problems.len() == 1 && problems[0].starts_with("at `/pending`"),
            "{problems:?}"
        );
    }
}
