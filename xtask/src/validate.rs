//! Stage 3, validate: parse the (normalized) document with `openapiv3`, the
//! parser progenitor uses, and check what progenitor needs, so that a document
//! it cannot handle is reported by operation instead of panicking inside it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use openapiv3::{OpenAPI, Operation, ReferenceOr, Response, SecurityScheme, StatusCode};
use serde_json::Value;

/// The credential an operation needs, from the document's `security`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key in the named header.
    ApiKeyHeader(String),
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// No credential.
    None,
}

/// An operation as progenitor will see it.
pub struct OperationSummary {
    pub id: String,
    pub method: String,
    pub path: String,
    pub credential: Credential,
}

/// Parses the document and reports every problem at once, one line each.
pub fn validate(document: &Value) -> Result<(OpenAPI, Vec<OperationSummary>)> {
    let spec: OpenAPI = serde_json::from_value(document.clone())
        .map_err(|e| anyhow::anyhow!("the document does not parse as OpenAPI 3.0 (openapiv3): {e}"))?;
    let mut problems = Vec::new();
    if !spec.openapi.starts_with("3.0.") {
        problems.push(format!("OpenAPI version {} is not 3.0.x", spec.openapi));
    }
    let mut seen = BTreeMap::new();
    let mut operations = Vec::new();
    for (path, item) in spec.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!("path {path} is a $ref, which progenitor does not follow"));
            continue;
        };
        for (method, operation) in item.iter() {
            let place = format!("{} {path}", method.to_uppercase());
            let Some(id) = operation.operation_id.clone() else {
                problems.push(format!("{place} has no operationId"));
                continue;
            };
            let name = format!("{id} ({place})");
            if let Some(other) = seen.insert(id.clone(), place.clone()) {
                problems.push(format!("{name}: operationId is also used by {other}"));
            }
            check_responses(&spec, operation, &name, &mut problems);
            match credential(&spec, operation) {
                Ok(credential) => operations.push(OperationSummary {
                    id,
                    method: method.to_string(),
                    path: path.clone(),
                    credential,
                }),
                Err(problem) => problems.push(format!("{name}: {problem}")),
            }
        }
    }
    if !problems.is_empty() {
        bail!("the document does not fit progenitor: {}", problems.join("; "));
    }
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((spec, operations))
}

/// progenitor asserts one type for all success responses and one for all
/// error responses of an operation (`default` counts as both).
fn check_responses(spec: &OpenAPI, operation: &Operation, name: &str, problems: &mut Vec<String>) {
    let mut success: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut error: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (status, response) in &operation.responses.responses {
        let (class, shown) = match status {
            StatusCode::Code(code) => (code / 100, code.to_string()),
            StatusCode::Range(class) => (*class, status.to_string()),
        };
        let key = body_type(spec, response);
        match class {
            2 => success.entry(key).or_default().insert(shown),
            4 | 5 => error.entry(key).or_default().insert(shown),
            _ => false,
        };
    }
    if let Some(response) = &operation.responses.default {
        let key = body_type(spec, response);
        success.entry(key.clone()).or_default().insert("default".into());
        error.entry(key).or_default().insert("default".into());
    }
    for (kind, groups) in [("success", success), ("error", error)] {
        if groups.len() > 1 {
            let listed: Vec<String> = groups
                .iter()
                .map(|(body, codes)| format!("{} ({body})", codes.iter().cloned().collect::<Vec<_>>().join(", ")))
                .collect();
            problems.push(format!(
                "{name}: {kind} responses need one body type, found {}",
                listed.join(" vs ")
            ));
        }
    }
}

/// A short description of the body a response decodes into.
fn body_type(spec: &OpenAPI, response: &ReferenceOr<Response>) -> String {
    let response = match response {
        ReferenceOr::Item(response) => Some(response),
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/responses/")
            .and_then(|name| spec.components.as_ref()?.responses.get(name))
            .and_then(ReferenceOr::as_item),
    };
    let Some(response) = response else {
        return "unresolved response $ref".into();
    };
    let mut parts: Vec<String> = response
        .content
        .iter()
        .map(|(media, body)| match &body.schema {
            Some(ReferenceOr::Reference { reference }) => {
                format!("{media} {}", reference.rsplit('/').next().unwrap_or(reference))
            }
            Some(schema) => format!("{media} {}", serde_json::to_string(schema).unwrap_or_default()),
            None => media.clone(),
        })
        .collect();
    if parts.is_empty() {
        return "no body".into();
    }
    parts.sort();
    parts.join(" + ")
}

/// The credential of an operation: its own `security`, else the document's.
/// Of several alternatives the first is used.
pub fn credential(spec: &OpenAPI, operation: &Operation) -> std::result::Result<Credential, String> {
    let requirements = operation.security.as_ref().or(spec.security.as_ref());
    let Some(requirement) = requirements.and_then(|r| r.first()) else {
        return Ok(Credential::None);
    };
    let mut names = requirement.keys();
    let Some(name) = names.next() else {
        return Ok(Credential::None);
    };
    if names.next().is_some() {
        return Err("a security requirement that combines several schemes is not supported".into());
    }
    let scheme = spec
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name))
        .ok_or_else(|| format!("security scheme `{name}` is not defined in components.securitySchemes"))?;
    match scheme {
        ReferenceOr::Item(SecurityScheme::APIKey {
            location: openapiv3::APIKeyLocation::Header,
            name: header,
            ..
        }) => Ok(Credential::ApiKeyHeader(header.clone())),
        ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. }) if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(Credential::Bearer)
        }
        _ => Err(format!(
            "security scheme `{name}` is neither an API key in a header nor HTTP bearer"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(operations: Value) -> Value {
        json!({
            "openapi": "3.0.0",
            "info": {"title": "t", "version": "1"},
            "paths": operations,
            "components": {"securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
                "jwt": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "c"}
            }}
        })
    }

    fn problems(operations: Value) -> String {
        match validate(&document(operations)) {
            Ok(_) => "ok".into(),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn reads_the_credential_of_each_operation() {
        let (_, operations) = validate(&document(json!({
            "/a": {"get": {"operationId": "a", "security": [{"key": []}], "responses": {}},
                   "post": {"operationId": "b", "security": [{"jwt": []}], "responses": {}}},
            "/c": {"get": {"operationId": "c", "responses": {}}}
        })))
        .unwrap();
        let found: Vec<_> = operations
            .iter()
            .map(|o| (o.id.as_str(), o.credential.clone()))
            .collect();
        assert_eq!(
            found,
            [
                ("a", Credential::ApiKeyHeader("X-API-KEY".into())),
                ("b", Credential::Bearer),
                ("c", Credential::None)
            ]
        );
    }

    #[test]
    fn names_each_problem_with_its_operation() {
        let text = json!({"description": "t", "content": {"application/json": {"schema": {"type": "string"}}}});
        let none = json!({"description": "none"});
        let report = problems(json!({
            "/a": {"get": {"operationId": "dup", "responses": {"200": text, "204": none}},
                   "post": {"operationId": "dup", "responses": {"400": none, "404": text}}},
            "/b": {"get": {"responses": {}}},
            "/c": {"get": {"operationId": "c", "security": [{"cookie": []}], "responses": {}}},
            "/d": {"get": {"operationId": "d", "security": [{"nope": []}], "responses": {}}}
        }));
        assert!(report.contains("dup (GET /a): success responses need one body type, found 200 (application/json {\"type\":\"string\"}) vs 204 (no body)"), "{report}");
        assert!(
            report.contains("dup (POST /a): operationId is also used by GET /a"),
            "{report}"
        );
        assert!(report.contains("dup (POST /a): error responses need one body type, found 404 (application/json {\"type\":\"string\"}) vs 400 (no body)"), "{report}");
        assert!(report.contains("GET /b has no operationId"), "{report}");
        assert!(
            report.contains("c (GET /c): security scheme `cookie` is neither"),
            "{report}"
        );
        assert!(
            report.contains("d (GET /d): security scheme `nope` is not defined"),
            "{report}"
        );
    }

    #[test]
    fn default_counts_as_success_and_error() {
        let report = problems(json!({"/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "t", "content": {"application/json": {"schema": {"type": "string"}}}},
            "default": {"description": "x"}
        }}}}));
        assert!(
            report.contains("a (GET /a): success responses need one body type"),
            "{report}"
        );
    }

    #[test]
    fn reports_a_document_openapiv3_cannot_parse() {
        let report = format!(
            "{:#}",
            validate(&json!({"openapi": "3.0.0", "paths": {}})).err().unwrap()
        );
        assert!(
            report.starts_with("the document does not parse as OpenAPI 3.0"),
            "{report}"
        );
    }
}
