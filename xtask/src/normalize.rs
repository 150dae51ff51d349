//! Stage 4, normalize: named rewrites of the document, in memory only, that
//! make it fit what progenitor generates well. The pinned document stays as
//! served; each step says what it changed.

use serde_json::{Map, Value, json};

pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One rewrite: its name and what it does to a document, returning a line
/// for each change it made.
pub struct Step {
    pub name: &'static str,
    pub run: fn(&mut Value) -> Vec<String>,
}

pub const STEPS: &[Step] = &[
    Step {
        name: "strip-operation-id-prefix",
        run: strip_operation_id_prefix,
    },
    Step {
        name: "widen-success-codes",
        run: widen_success_codes,
    },
    Step {
        name: "unify-error-responses",
        run: unify_error_responses,
    },
];

/// What the steps changed, as `(step, change)` pairs.
pub fn normalize(document: &mut Value) -> Vec<(&'static str, String)> {
    let mut changes = Vec::new();
    for step in STEPS {
        changes.extend((step.run)(document).into_iter().map(|change| (step.name, change)));
    }
    changes
}

/// Calls `f(path, method, operation)` for every operation of the document.
pub fn for_each_operation(document: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                f(path, method, operation);
            }
        }
    }
}

fn label(path: &str, method: &str, operation: &Map<String, Value>) -> String {
    match operation.get("operationId").and_then(Value::as_str) {
        Some(id) => format!("{id} ({} {path})", method.to_uppercase()),
        None => format!("{} {path}", method.to_uppercase()),
    }
}

/// NestJS names operations `<Controller>_<handler>`; progenitor would turn
/// `PublicApiController_authenticate` into `public_api_controller_authenticate`.
/// Keeps the handler name, unless two operations would then share a name.
fn strip_operation_id_prefix(document: &mut Value) -> Vec<String> {
    let mut ids = Vec::new();
    for_each_operation(document, |_, _, operation| {
        if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
            ids.push(id.to_string());
        }
    });
    let stripped = |id: &str| {
        id.split_once("Controller_")
            .map(|(_, rest)| rest.to_string())
            .filter(|r| !r.is_empty())
    };
    let mut changes = Vec::new();
    for_each_operation(document, |_, _, operation| {
        let Some(id) = operation.get("operationId").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        let Some(short) = stripped(&id) else { return };
        let collides = ids
            .iter()
            .any(|other| *other != id && (stripped(other).as_deref() == Some(&short) || *other == short));
        if collides {
            changes.push(format!("kept {id}: `{short}` would name two operations"));
        } else {
            changes.push(format!("{id} -> {short}"));
            operation.insert("operationId".into(), Value::String(short));
        }
    });
    changes
}

fn is_code(status: &str, class: char) -> bool {
    status.len() == 3 && status.starts_with(class) && status.bytes().all(|b| b.is_ascii_digit())
}

/// progenitor matches the exact success code, so a document that says 201
/// turns a real 200 into an unexpected response. The docs leave every success
/// code open, so explicit 2xx codes that share one body become one `2XX`.
fn widen_success_codes(document: &mut Value) -> Vec<String> {
    let mut changes = Vec::new();
    for_each_operation(document, |path, method, operation| {
        let name = label(path, method, operation);
        let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        if responses.contains_key("2XX") {
            return;
        }
        let codes: Vec<String> = responses.keys().filter(|k| is_code(k, '2')).cloned().collect();
        let Some(first) = codes.first() else { return };
        let content = |code: &String| responses[code].get("content").cloned();
        if codes.iter().any(|code| content(code) != content(first)) {
            // Different bodies cannot share one type; validate reports it.
            return;
        }
        let response = responses[first].clone();
        for code in &codes {
            responses.remove(code);
        }
        responses.insert("2XX".into(), response);
        changes.push(format!("{name}: {} -> 2XX", codes.join(", ")));
    });
    changes
}

/// NestJS' default error body, used when the document brings none of its own.
fn nest_error_schema() -> Value {
    json!({
        "type": "object",
        "description": "NestJS' default error body (added by cargo xtask regen).",
        "required": ["statusCode", "message"],
        "properties": {
            "statusCode": {"type": "integer"},
            "message": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "error": {"type": "string"}
        }
    })
}

/// progenitor needs one error type per operation. Every 4xx/5xx response gets
/// the document's `ErrorResponse` schema (NestJS' default when it has none),
/// and a `default` response is dropped: progenitor counts it as success and
/// error at once, and the client reports undocumented statuses itself.
fn unify_error_responses(document: &mut Value) -> Vec<String> {
    const SCHEMA: &str = "#/components/schemas/ErrorResponse";
    let mut changes = Vec::new();
    let unified = json!({"application/json": {"schema": {"$ref": SCHEMA}}});
    let mut used = false;
    for_each_operation(document, |path, method, operation| {
        let name = label(path, method, operation);
        let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        if responses.remove("default").is_some() {
            changes.push(format!("{name}: dropped the `default` response"));
        }
        for (status, response) in responses.iter_mut() {
            let is_error = is_code(status, '4') || is_code(status, '5') || status == "4XX" || status == "5XX";
            let Some(response) = response.as_object_mut().filter(|_| is_error) else {
                continue;
            };
            used = true;
            let schema_of = |content: &Value| content.get("application/json").and_then(|m| m.get("schema")).cloned();
            let current = response.get("content");
            if current.and_then(schema_of) == schema_of(&unified)
                && current.is_some_and(|c| c.as_object().is_some_and(|m| m.len() == 1))
            {
                continue;
            }
            response.insert("content".into(), unified.clone());
            changes.push(format!("{name}: {status} now carries ErrorResponse"));
        }
    });
    if used {
        let schemas = document
            .as_object_mut()
            .map(|d| d.entry("components").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut);
        if let Some(schemas) = schemas
            && !schemas.contains_key("ErrorResponse")
        {
            schemas.insert("ErrorResponse".into(), nest_error_schema());
            changes.push("added the NestJS ErrorResponse schema".into());
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(responses: Value) -> Value {
        json!({"openapi": "3.0.0", "paths": {"/a": {"post": {"operationId": "PublicApiController_save", "responses": responses}}}})
    }

    fn responses(document: &Value) -> &Value {
        &document["paths"]["/a"]["post"]["responses"]
    }

    #[test]
    fn strips_the_controller_prefix() {
        let mut document = op(json!({}));
        assert_eq!(
            strip_operation_id_prefix(&mut document),
            ["PublicApiController_save -> save"]
        );
        assert_eq!(document["paths"]["/a"]["post"]["operationId"], "save");
        assert!(
            strip_operation_id_prefix(&mut document).is_empty(),
            "a second run changes nothing"
        );
    }

    #[test]
    fn keeps_the_prefix_where_names_would_collide() {
        let mut document = json!({"paths": {
            "/a": {"get": {"operationId": "AController_list"}},
            "/b": {"get": {"operationId": "BController_list"}}
        }});
        let changes = strip_operation_id_prefix(&mut document);
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.starts_with("kept")));
        assert_eq!(document["paths"]["/a"]["get"]["operationId"], "AController_list");
    }

    #[test]
    fn widens_one_or_equal_success_codes() {
        let body = json!({"application/json": {"schema": {"type": "string"}}});
        let mut document = op(
            json!({"200": {"description": "a", "content": body}, "201": {"description": "b", "content": body}, "400": {"description": "c"}}),
        );
        assert_eq!(
            widen_success_codes(&mut document),
            ["PublicApiController_save (POST /a): 200, 201 -> 2XX"]
        );
        assert_eq!(responses(&document)["2XX"]["description"], "a");
        assert!(responses(&document).get("200").is_none() && responses(&document).get("400").is_some());
        assert!(widen_success_codes(&mut document).is_empty());
    }

    #[test]
    fn leaves_success_codes_with_different_bodies() {
        let mut document = op(
            json!({"200": {"description": "a", "content": {"application/json": {"schema": {"type": "string"}}}}, "204": {"description": "none"}}),
        );
        assert!(widen_success_codes(&mut document).is_empty());
        assert!(responses(&document).get("200").is_some());
    }

    #[test]
    fn unifies_error_responses_and_adds_the_schema() {
        let mut document = op(json!({
            "201": {"description": "ok"},
            "400": {"description": "bad"},
            "404": {"description": "gone", "content": {"application/json": {"schema": {"type": "string"}}}},
            "default": {"description": "other"}
        }));
        let changes = unify_error_responses(&mut document);
        assert_eq!(
            changes,
            [
                "PublicApiController_save (POST /a): dropped the `default` response",
                "PublicApiController_save (POST /a): 400 now carries ErrorResponse",
                "PublicApiController_save (POST /a): 404 now carries ErrorResponse",
                "added the NestJS ErrorResponse schema",
            ]
        );
        assert_eq!(
            responses(&document)["404"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorResponse"
        );
        assert!(responses(&document)["201"].get("content").is_none());
        assert!(
            unify_error_responses(&mut document).is_empty(),
            "a second run changes nothing"
        );
    }

    #[test]
    fn keeps_the_documents_own_error_schema() {
        let mut document = op(json!({"400": {"description": "bad"}}));
        document["components"] = json!({"schemas": {"ErrorResponse": {"type": "object"}}});
        unify_error_responses(&mut document);
        assert_eq!(
            document["components"]["schemas"]["ErrorResponse"],
            json!({"type": "object"})
        );
    }
}
