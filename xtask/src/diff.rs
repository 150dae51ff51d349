//! What changed between two API documents, classified for a user of this
//! client: breaking (code or decoding that worked stops working), breaking
//! for some users (only those who use the changed part), or compatible.
//!
//! Requests and responses are judged in opposite directions: a request may
//! not demand more of the client (a new required field, a narrower type, a
//! removed enum value); a response may not give the client less or other
//! than it decodes (a removed or newly optional field, a new enum value,
//! a type change, `nullable` added).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Value, json};

use crate::normalize::METHODS;
use crate::{fetch, pin};

#[derive(clap::Args)]
pub struct Args {
    /// The document to compare with: a URL or a JSON file [default: the live document]
    #[arg(long)]
    against: Option<String>,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
    /// The workspace to work on [default: this one]
    #[arg(long, hide = true)]
    root: Option<PathBuf>,
}

/// `cargo xtask diff`: exit 0 when nothing breaks, 1 when something does
/// (the caller turns an error into exit 2).
pub fn run(args: &Args) -> Result<ExitCode> {
    let root = args.root.clone().unwrap_or_else(crate::workspace_root);
    let (_, pinned) = pin::read_pinned(&root)?;
    let other = match args.against.as_deref() {
        None => fetch::from_url(fetch::LIVE_URL)?,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => fetch::from_url(url)?,
        Some(file) => fetch::from_file(Path::new(file))?,
    };
    let report = compare(&pinned, &other.document);
    if args.json {
        let mut json = report.to_json();
        json["against"] = Value::String(other.source);
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("a JSON value serializes")
        );
    } else {
        print!("{} against {}:\n{report}", pin::DOCUMENT, other.source);
    }
    Ok(if report.breaking() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How a change affects users of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Breaks every user of the changed operation.
    Breaking,
    /// Breaks users who use the changed part.
    BreakingForSome,
    /// Breaks nobody.
    Compatible,
}

impl Impact {
    fn label(self) -> &'static str {
        match self {
            Self::Breaking => "breaking",
            Self::BreakingForSome => "breaking for some users",
            Self::Compatible => "compatible",
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub impact: Impact,
    /// `METHOD /path` of the operation, or `document`.
    pub operation: String,
    pub what: String,
}

/// All changes, sorted by impact.
pub struct Report(pub Vec<Change>);

impl Report {
    pub fn breaking(&self) -> bool {
        self.0.iter().any(|c| c.impact != Impact::Compatible)
    }

    pub fn to_json(&self) -> Value {
        let count = |impact| self.0.iter().filter(|c| c.impact == impact).count();
        json!({
            "breaking": count(Impact::Breaking),
            "breakingForSome": count(Impact::BreakingForSome),
            "compatible": count(Impact::Compatible),
            "changes": self.0.iter().map(|c| json!({
                "impact": match c.impact { Impact::Breaking => "breaking", Impact::BreakingForSome => "breaking-for-some", Impact::Compatible => "compatible" },
                "operation": c.operation,
                "change": c.what,
            })).collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return writeln!(f, "no API changes");
        }
        for impact in [Impact::Breaking, Impact::BreakingForSome, Impact::Compatible] {
            let changes: Vec<&Change> = self.0.iter().filter(|c| c.impact == impact).collect();
            if !changes.is_empty() {
                writeln!(f, "{} ({}):", impact.label(), changes.len())?;
                for change in changes {
                    writeln!(f, "  {}: {}", change.operation, change.what)?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// The client sends it.
    Request,
    /// The client decodes it.
    Response,
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    operation: String,
}

impl Differ<'_> {
    fn push(&mut self, impact: Impact, what: String) {
        self.changes.push(Change {
            impact,
            operation: self.operation.clone(),
            what,
        });
    }
}

/// Compares `old` (the pinned document) with `new`.
pub fn compare(old: &Value, new: &Value) -> Report {
    let mut differ = Differ {
        old,
        new,
        changes: Vec::new(),
        operation: "document".into(),
    };
    let (old_ops, new_ops) = (operations(old), operations(new));
    for (name, operation) in &old_ops {
        differ.operation = name.clone();
        match new_ops.get(name) {
            None => differ.push(Impact::Breaking, "operation removed".into()),
            Some(other) => compare_operation(&mut differ, operation, other),
        }
    }
    for name in new_ops.keys().filter(|n| !old_ops.contains_key(*n)) {
        differ.operation = name.clone();
        differ.push(Impact::Compatible, "operation added".into());
    }
    let mut changes = differ.changes;
    changes.sort();
    changes.dedup();
    Report(changes)
}

fn operations(document: &Value) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for (path, item) in document.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                // Path-level parameters apply to every operation of the path.
                let mut operation = operation.clone();
                if let (Some(shared), Some(map)) = (
                    item.get("parameters").and_then(Value::as_array),
                    operation.as_object_mut(),
                ) {
                    let own = map.entry("parameters").or_insert_with(|| json!([]));
                    if let Some(own) = own.as_array_mut() {
                        own.extend(shared.iter().cloned());
                    }
                }
                found.insert(format!("{} {path}", method.to_uppercase()), operation);
            }
        }
    }
    found
}

fn compare_operation(d: &mut Differ<'_>, old: &Value, new: &Value) {
    // Parameters, by location and name (header names are case-insensitive).
    let parameters = |op: &Value, doc: &Value| -> BTreeMap<(String, String), Value> {
        op.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| resolve(doc, p).clone())
            .map(|p| {
                let location = p.get("in").and_then(Value::as_str).unwrap_or("?").to_string();
                let mut name = p.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
                if location == "header" {
                    name = name.to_ascii_lowercase();
                }
                ((location, name), p)
            })
            .collect()
    };
    let (old_params, new_params) = (parameters(old, d.old), parameters(new, d.new));
    let by_name =
        |params: &BTreeMap<(String, String), Value>, name: &str| params.keys().find(|(_, n)| n == name).cloned();
    for ((location, name), param) in &old_params {
        let required = param.get("required") == Some(&Value::Bool(true));
        match new_params.get(&(location.clone(), name.clone())) {
            Some(other) => {
                let now_required = other.get("required") == Some(&Value::Bool(true));
                if !required && now_required {
                    d.push(
                        Impact::Breaking,
                        format!("{location} parameter `{name}` is now required"),
                    );
                } else if required && !now_required {
                    d.push(
                        Impact::Compatible,
                        format!("{location} parameter `{name}` is now optional"),
                    );
                }
                let (a, b) = (
                    param.get("schema").unwrap_or(&Value::Null),
                    other.get("schema").unwrap_or(&Value::Null),
                );
                compare_schema(
                    d,
                    a,
                    b,
                    Direction::Request,
                    &format!("{location} parameter `{name}`"),
                    0,
                );
            }
            None => match by_name(&new_params, name) {
                Some((moved, _)) => d.push(
                    Impact::Breaking,
                    format!("parameter `{name}` moved from {location} to {moved}"),
                ),
                None if required => d.push(
                    Impact::Breaking,
                    format!("required {location} parameter `{name}` removed"),
                ),
                None => d.push(
                    Impact::BreakingForSome,
                    format!("optional {location} parameter `{name}` removed (breaks callers that set it)"),
                ),
            },
        }
    }
    for ((location, name), param) in &new_params {
        if old_params.contains_key(&(location.clone(), name.clone())) || by_name(&old_params, name).is_some() {
            continue;
        }
        if param.get("required") == Some(&Value::Bool(true)) {
            d.push(
                Impact::Breaking,
                format!("required {location} parameter `{name}` added"),
            );
        } else {
            d.push(
                Impact::Compatible,
                format!("optional {location} parameter `{name}` added"),
            );
        }
    }

    // The request body.
    let body = |op: &Value, doc: &Value| op.get("requestBody").map(|b| resolve(doc, b).clone());
    match (body(old, d.old), body(new, d.new)) {
        (None, Some(b)) if b.get("required") == Some(&Value::Bool(true)) => {
            d.push(Impact::Breaking, "required request body added".into())
        }
        (None, Some(_)) => d.push(Impact::Compatible, "optional request body added".into()),
        (Some(_), None) => d.push(Impact::Breaking, "request body removed".into()),
        (Some(a), Some(b)) => compare_content(d, &a, &b, Direction::Request, "request body"),
        (None, None) => {}
    }

    // Responses, by status.
    let responses = |op: &Value| {
        op.get("responses")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (old_responses, new_responses) = (responses(old), responses(new));
    for (status, response) in &old_responses {
        match new_responses.get(status) {
            Some(other) => {
                let (a, b) = (resolve(d.old, response).clone(), resolve(d.new, other).clone());
                compare_content(d, &a, &b, Direction::Response, &format!("response {status}"));
            }
            None => {
                let impact = if status.starts_with('2') {
                    Impact::BreakingForSome
                } else {
                    Impact::Compatible
                };
                d.push(impact, format!("response {status} no longer documented"));
            }
        }
    }
    for status in new_responses.keys().filter(|s| !old_responses.contains_key(*s)) {
        d.push(Impact::Compatible, format!("response {status} documented"));
    }

    // Security: which credential the client attaches.
    let security = |op: &Value, doc: &Value| {
        op.get("security")
            .or_else(|| doc.get("security"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    if security(old, d.old) != security(new, d.new) {
        d.push(
            Impact::Breaking,
            format!(
                "security changed from {} to {}",
                security(old, d.old),
                security(new, d.new)
            ),
        );
    }
}

/// Compares the JSON media of a request body or a response.
fn compare_content(d: &mut Differ<'_>, old: &Value, new: &Value, direction: Direction, place: &str) {
    if direction == Direction::Request
        && old.get("required") != new.get("required")
        && new.get("required") == Some(&Value::Bool(true))
    {
        d.push(Impact::Breaking, format!("{place} is now required"));
    }
    let media = |v: &Value| -> BTreeSet<String> {
        v.get("content")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (old_media, new_media) = (media(old), media(new));
    for removed in old_media.difference(&new_media) {
        d.push(Impact::Breaking, format!("{place}: media type {removed} removed"));
    }
    for added in new_media.difference(&old_media) {
        d.push(Impact::Compatible, format!("{place}: media type {added} added"));
    }
    let schema = |v: &Value| v.pointer("/content/application~1json/schema").cloned();
    if let (Some(a), Some(b)) = (schema(old), schema(new)) {
        compare_schema(d, &a, &b, direction, place, 0);
    }
}

fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..16 {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => match document.pointer(pointer) {
                Some(target) => current = target,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

fn types(schema: &Value) -> BTreeSet<String> {
    match schema.get("type") {
        Some(Value::String(t)) => BTreeSet::from([t.clone()]),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => BTreeSet::new(),
    }
}

fn compare_schema(d: &mut Differ<'_>, old: &Value, new: &Value, direction: Direction, at: &str, depth: usize) {
    // Deep enough for this API's schemas; a recursive schema stops here.
    if depth > 12 {
        return;
    }
    let (old, new) = (resolve(d.old, old).clone(), resolve(d.new, new).clone());
    let request = direction == Direction::Request;
    let (old_types, new_types) = (types(&old), types(&new));
    if old_types != new_types {
        // integer → number widens a request and breaks nobody; anything else is a different type.
        let widened = request && old_types.iter().all(|t| t == "integer") && new_types.contains("number");
        let impact = if widened { Impact::Compatible } else { Impact::Breaking };
        let shown = |t: &BTreeSet<String>| {
            if t.is_empty() {
                "any".to_string()
            } else {
                t.iter().cloned().collect::<Vec<_>>().join(" or ")
            }
        };
        d.push(
            impact,
            format!("{at}: type changed from {} to {}", shown(&old_types), shown(&new_types)),
        );
        return;
    }
    if old.get("format") != new.get("format") {
        d.push(
            Impact::Breaking,
            format!(
                "{at}: format changed from {} to {}",
                old.get("format").unwrap_or(&Value::Null),
                new.get("format").unwrap_or(&Value::Null)
            ),
        );
    }
    let nullable = |s: &Value| s.get("nullable") == Some(&Value::Bool(true));
    match (nullable(&old), nullable(&new)) {
        (false, true) if !request => d.push(
            Impact::Breaking,
            format!("{at}: may now be null (the client does not expect null)"),
        ),
        (true, false) if request => d.push(
            Impact::BreakingForSome,
            format!("{at}: may no longer be null (breaks callers that send null)"),
        ),
        (a, b) if a != b => d.push(Impact::Compatible, format!("{at}: nullable changed to {b}")),
        _ => {}
    }
    let values = |s: &Value| -> Option<BTreeSet<String>> {
        s.get("enum")
            .and_then(Value::as_array)
            .map(|e| e.iter().map(|v| v.to_string()).collect())
    };
    match (values(&old), values(&new)) {
        (Some(a), Some(b)) => {
            for removed in a.difference(&b) {
                let impact = if request {
                    Impact::BreakingForSome
                } else {
                    Impact::Compatible
                };
                d.push(impact, format!("{at}: enum value {removed} removed"));
            }
            for added in b.difference(&a) {
                // The generated enums are closed: a new value the server sends fails decoding.
                let impact = if request { Impact::Compatible } else { Impact::Breaking };
                d.push(impact, format!("{at}: enum value {added} added"));
            }
        }
        (None, Some(_)) => d.push(
            if request { Impact::Breaking } else { Impact::Compatible },
            format!("{at}: now restricted to an enum"),
        ),
        (Some(_), None) => d.push(
            if request { Impact::Compatible } else { Impact::Breaking },
            format!("{at}: no longer an enum"),
        ),
        (None, None) => {}
    }
    for keyword in ["oneOf", "anyOf", "allOf"] {
        let alternatives = |s: &Value| s.get(keyword).and_then(Value::as_array).cloned().unwrap_or_default();
        let (a, b) = (alternatives(&old), alternatives(&new));
        if a.len() == b.len() {
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                compare_schema(d, x, y, direction, &format!("{at} ({keyword} {})", i + 1), depth + 1);
            }
        } else {
            d.push(
                Impact::BreakingForSome,
                format!(
                    "{at}: `{keyword}` now has {} alternatives instead of {}",
                    b.len(),
                    a.len()
                ),
            );
        }
    }
    if let (Some(a), Some(b)) = (old.get("items"), new.get("items")) {
        compare_schema(d, a, b, direction, &format!("{at}[]"), depth + 1);
    }
    compare_properties(d, &old, &new, direction, at, depth);
}

fn compare_properties(d: &mut Differ<'_>, old: &Value, new: &Value, direction: Direction, at: &str, depth: usize) {
    let properties = |s: &Value| {
        s.get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let required = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let (old_props, new_props) = (properties(old), properties(new));
    let (old_required, new_required) = (required(old), required(new));
    let request = direction == Direction::Request;
    for (name, schema) in &old_props {
        let place = format!("{at} property `{name}`");
        match new_props.get(name) {
            Some(other) => {
                match (old_required.contains(name), new_required.contains(name)) {
                    (false, true) if request => d.push(Impact::Breaking, format!("{place} is now required")),
                    (true, false) if !request => d.push(
                        Impact::Breaking,
                        format!("{place} is now optional (the client expects it)"),
                    ),
                    (a, b) if a != b => d.push(
                        Impact::Compatible,
                        format!("{place} is now {}", if b { "required" } else { "optional" }),
                    ),
                    _ => {}
                }
                compare_schema(d, schema, other, direction, &place, depth + 1);
            }
            None if request => d.push(
                Impact::BreakingForSome,
                format!("{place} removed (breaks callers that set it)"),
            ),
            None => d.push(Impact::Breaking, format!("{place} removed")),
        }
    }
    for name in new_props.keys().filter(|n| !old_props.contains_key(*n)) {
        let place = format!("{at} property `{name}`");
        match (request, new_required.contains(name)) {
            (true, true) => d.push(Impact::Breaking, format!("required {place} added")),
            (true, false) => d.push(Impact::Compatible, format!("optional {place} added")),
            (false, true) => d.push(Impact::Compatible, format!("required {place} added")),
            (false, false) => d.push(Impact::Compatible, format!("optional {place} added")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document with one operation, `POST /things`, whose request body and
    /// 200 response use the `Thing` schema, changed by `edit`.
    fn document(edit: impl FnOnce(&mut Value)) -> Value {
        let mut document = json!({
            "openapi": "3.0.0",
            "paths": {"/things": {"post": {
                "operationId": "save",
                "security": [{"key": []}],
                "parameters": [
                    {"name": "q", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "x-id", "in": "header", "required": true, "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Input"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
            }}},
            "components": {"schemas": {
                "Input": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["a", "b"]}, "note": {"type": "string"}
                }},
                "Thing": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string", "format": "uuid"}, "kind": {"type": "string", "enum": ["a", "b"]}, "size": {"type": "integer"}
                }}
            }}
        });
        edit(&mut document);
        document
    }

    fn changes(edit: impl FnOnce(&mut Value)) -> Vec<(Impact, String)> {
        compare(&document(|_| {}), &document(edit))
            .0
            .into_iter()
            .map(|c| (c.impact, c.what))
            .collect()
    }

    fn one(edit: impl FnOnce(&mut Value)) -> (Impact, String) {
        let found = changes(edit);
        assert_eq!(found.len(), 1, "{found:?}");
        found.into_iter().next().unwrap()
    }

    fn op(document: &mut Value) -> &mut Value {
        &mut document["paths"]["/things"]["post"]
    }

    fn input(document: &mut Value) -> &mut Value {
        &mut document["components"]["schemas"]["Input"]
    }

    fn thing(document: &mut Value) -> &mut Value {
        &mut document["components"]["schemas"]["Thing"]
    }

    #[test]
    fn the_same_document_has_no_changes() {
        let report = compare(&document(|_| {}), &document(|_| {}));
        assert!(report.0.is_empty() && !report.breaking());
        assert_eq!(report.to_string(), "no API changes\n");
    }

    #[test]
    fn operations() {
        let removed = one(|d| d["paths"] = json!({}));
        assert_eq!(removed, (Impact::Breaking, "operation removed".into()));
        let added = compare(
            &document(|_| {}),
            &document(|d| d["paths"]["/other"] = json!({"get": {"responses": {}}})),
        );
        assert_eq!(added.0[0].operation, "GET /other");
        assert_eq!(added.0[0].impact, Impact::Compatible);
    }

    #[test]
    fn parameters() {
        assert_eq!(
            one(|d| op(d)["parameters"][0]["required"] = json!(true)),
            (Impact::Breaking, "query parameter `q` is now required".into())
        );
        assert_eq!(
            one(|d| op(d)["parameters"][1]["required"] = json!(false)).0,
            Impact::Compatible
        );
        assert_eq!(
            one(|d| op(d)["parameters"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "r", "in": "query", "required": true, "schema": {"type": "string"}}))),
            (Impact::Breaking, "required query parameter `r` added".into())
        );
        assert_eq!(
            one(|d| op(d)["parameters"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "r", "in": "query", "schema": {"type": "string"}})))
            .0,
            Impact::Compatible
        );
        assert_eq!(
            one(|d| op(d)["parameters"][0]["in"] = json!("header")),
            (Impact::Breaking, "parameter `q` moved from query to header".into())
        );
        assert_eq!(
            one(|d| {
                op(d)["parameters"].as_array_mut().unwrap().remove(0);
            })
            .0,
            Impact::BreakingForSome
        );
        assert_eq!(
            one(|d| {
                op(d)["parameters"].as_array_mut().unwrap().remove(1);
            })
            .0,
            Impact::Breaking
        );
        assert_eq!(
            one(|d| op(d)["parameters"][0]["schema"] = json!({"type": "integer"})).0,
            Impact::Breaking
        );
        // Header names are case-insensitive.
        assert!(changes(|d| op(d)["parameters"][1]["name"] = json!("X-ID")).is_empty());
    }

    #[test]
    fn request_bodies() {
        assert_eq!(
            one(|d| {
                input(d)["required"] = json!(["name", "note"]);
            }),
            (Impact::Breaking, "request body property `note` is now required".into())
        );
        assert_eq!(
            one(|d| {
                input(d)["properties"]["extra"] = json!({"type": "string"});
                input(d)["required"] = json!(["name", "extra"]);
            }),
            (Impact::Breaking, "required request body property `extra` added".into())
        );
        assert_eq!(
            one(|d| {
                input(d)["properties"]["extra"] = json!({"type": "string"});
            })
            .0,
            Impact::Compatible
        );
        assert_eq!(
            one(|d| {
                input(d)["properties"]["kind"]["enum"] = json!(["a"]);
            })
            .0,
            Impact::BreakingForSome
        );
        assert_eq!(
            one(|d| {
                input(d)["properties"]["kind"]["enum"] = json!(["a", "b", "c"]);
            })
            .0,
            Impact::Compatible
        );
        assert_eq!(
            one(|d| {
                input(d)["properties"].as_object_mut().unwrap().remove("note");
            })
            .0,
            Impact::BreakingForSome
        );
        assert_eq!(
            one(|d| {
                input(d)["properties"]["name"]["type"] = json!("integer");
            })
            .0,
            Impact::Breaking
        );
    }

    #[test]
    fn response_bodies() {
        assert_eq!(
            one(|d| {
                thing(d)["properties"]["color"] = json!({"type": "string"});
            }),
            (
                Impact::Compatible,
                "optional response 200 property `color` added".into()
            )
        );
        assert_eq!(
            one(|d| {
                thing(d)["properties"].as_object_mut().unwrap().remove("size");
            })
            .0,
            Impact::Breaking
        );
        assert_eq!(
            one(|d| {
                thing(d)["required"] = json!([]);
            }),
            (
                Impact::Breaking,
                "response 200 property `id` is now optional (the client expects it)".into()
            )
        );
        assert_eq!(
            one(|d| {
                thing(d)["required"] = json!(["id", "size"]);
            })
            .0,
            Impact::Compatible
        );
        assert_eq!(
            one(|d| {
                thing(d)["properties"]["kind"]["enum"] = json!(["a", "b", "c"]);
            })
            .0,
            Impact::Breaking
        );
        assert_eq!(
            one(|d| {
                thing(d)["properties"]["kind"]["enum"] = json!(["a"]);
            })
            .0,
            Impact::Compatible
        );
        assert_eq!(
            one(|d| {
                thing(d)["properties"]["size"]["nullable"] = json!(true);
            })
            .0,
            Impact::Breaking
        );
        assert_eq!(
            one(|d| {
                thing(d)["properties"]["id"]["format"] = json!("email");
            })
            .0,
            Impact::Breaking
        );
    }

    #[test]
    fn alternatives_are_compared_one_by_one() {
        let found = one(|d| {
            d["components"]["schemas"]["Thing"] =
                json!({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "string"}]});
        });
        assert_eq!(found.0, Impact::Breaking, "{found:?}");
        let base = document(|d| {
            d["components"]["schemas"]["Thing"] =
                json!({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}}]})
        });
        let changed = compare(
            &base,
            &document(
                |d| d["components"]["schemas"]["Thing"] = json!({"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}]}),
            ),
        );
        assert_eq!(changed.0.len(), 1);
        assert_eq!(changed.0[0].what, "optional response 200 (oneOf 1) property `b` added");
    }

    #[test]
    fn statuses_media_and_security() {
        assert_eq!(
            one(|d| op(d)["responses"]["404"] = json!({"description": "gone"})),
            (Impact::Compatible, "response 404 documented".into())
        );
        let moved = changes(|d| {
            let ok = op(d)["responses"]["200"].take();
            op(d)["responses"] = json!({"201": ok});
        });
        assert!(
            moved.contains(&(Impact::BreakingForSome, "response 200 no longer documented".into())),
            "{moved:?}"
        );
        let media =
            changes(|d| op(d)["requestBody"]["content"] = json!({"text/plain": {"schema": {"type": "string"}}}));
        assert!(
            media.contains(&(
                Impact::Breaking,
                "request body: media type application/json removed".into()
            )),
            "{media:?}"
        );
        assert_eq!(one(|d| op(d)["security"] = json!([{"bearer": []}])).0, Impact::Breaking);
    }

    #[test]
    fn the_report_reads_and_serializes() {
        let report = compare(
            &document(|_| {}),
            &document(|d| op(d)["parameters"][0]["required"] = json!(true)),
        );
        assert!(report.breaking());
        assert_eq!(
            report.to_string(),
            "breaking (1):\n  POST /things: query parameter `q` is now required\n"
        );
        assert_eq!(report.to_json()["breaking"], 1);
        assert_eq!(report.to_json()["changes"][0]["impact"], "breaking");
    }
}
