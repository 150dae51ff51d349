//! A conformance case: one file under `conformance/cases/`, stating a call of
//! the client, the exact request it must send, the answer the mock server
//! gives, and what the client must make of it. Flows (several calls against
//! several mocks with expected request counts) are cases too.
//!
//! The format is documented in `conformance/README.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// Where the case comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provenance {
    /// `documented` (quoted from a page of the docs) or `assumed`.
    pub kind: ProvenanceKind,
    /// The documentation page, `S1`–`S14` of `shared/api-reference.md`.
    #[serde(default)]
    pub page: Option<String>,
    /// The documented JSON, quoted as documented.
    #[serde(default)]
    pub quote: Option<String>,
    /// Why, for an assumed case.
    #[serde(default)]
    pub note: Option<String>,
}

/// Documented or assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvenanceKind {
    /// From the docs.
    Documented,
    /// No doc says; NestJS or HTTP conventions.
    Assumed,
}

/// Whether the case follows the document or sends what it does not list on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Its operation and statuses are in the document; its bodies must match the schemas.
    Documented,
    /// It sends an answer the document does not describe, to prove the client copes.
    Robustness,
}

/// A call of the client.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Call {
    /// The operation, as the client method is named.
    pub operation: String,
    /// Its arguments, by the document's parameter names, `body` for the body.
    #[serde(default)]
    pub args: BTreeMap<String, Value>,
    /// Which credentials the client holds.
    #[serde(default)]
    pub credentials: Credentials,
}

/// The credentials the client is built with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credentials {
    /// API key and a given user token: every operation can be called.
    #[default]
    Both,
    /// Only the API key: the user operations lack their token.
    ApiKey,
    /// Only a given user token: the server-side operations lack the key.
    Token,
    /// A session from `client.user(..)` that authenticates itself.
    Session,
}

/// The request the client must send.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpectedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, `/public` included.
    pub path: String,
    /// Every query parameter, in any order; nothing else may be sent.
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// Headers that must be sent with exactly these values (`{apiKey}` and
    /// `{token}` stand for the client's credentials).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Headers that must not be sent.
    #[serde(default)]
    pub absent_headers: Vec<String>,
    /// The JSON body, compared exactly; none when absent.
    #[serde(default)]
    pub body: Option<Value>,
}

/// What the mock server answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MockResponse {
    /// The status.
    pub status: u16,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (`{jwt:+8h}`-style strings are replaced by tokens).
    #[serde(default)]
    pub body: Option<Value>,
    /// A raw body instead, sent as is.
    #[serde(default)]
    pub raw_body: Option<String>,
    /// A body of this many bytes of `x`, for the size limits.
    #[serde(default)]
    pub filler_bytes: Option<usize>,
    /// The content type of a raw body; JSON bodies are `application/json`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// What the client must make of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expectation {
    /// `success`, or the name of the `Error` variant.
    pub outcome: String,
    /// The status an error keeps.
    #[serde(default)]
    pub status: Option<u16>,
}

/// Client settings for the case.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientSettings {
    /// Per-attempt timeout.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Token renewal margin.
    #[serde(default)]
    pub renewal_margin_ms: Option<u64>,
}

/// A single call: one request, one answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Single {
    /// Where it comes from.
    pub provenance: Provenance,
    /// Documented or robustness.
    pub kind: Kind,
    /// What it shows, in a sentence.
    pub description: String,
    /// The call.
    pub call: Call,
    /// The request the client must send; `null` when it must send none.
    pub request: Option<ExpectedRequest>,
    /// The answer; `null` for a server that refuses connections.
    pub response: Option<MockResponse>,
    /// The outcome.
    pub expect: Expectation,
    /// Client settings.
    #[serde(default)]
    pub client: ClientSettings,
}

/// One mock of a flow: answers requests matching method, path and optional
/// headers, and must be hit exactly `expect` times.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowMock {
    /// Method.
    pub method: String,
    /// Path, `/public` included.
    pub path: String,
    /// Headers that must match (`{token:1}` stands for the first issued token).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The answer.
    pub response: MockResponse,
    /// Answer at most this many times, then let lower-priority mocks answer.
    #[serde(default)]
    pub up_to: Option<u64>,
    /// Exactly this many requests must reach it.
    pub expect: u64,
    /// Lower numbers match first (wiremock priority).
    #[serde(default)]
    pub priority: Option<u8>,
}

/// One step of a flow.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowStep {
    /// The call (on the flow's session for the user operations).
    pub call: Call,
    /// The outcome.
    pub expect: Expectation,
    /// Wait this long before the call.
    #[serde(default)]
    pub sleep_ms: Option<u64>,
}

/// Several calls against several mocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Flow {
    /// Where it comes from.
    pub provenance: Provenance,
    /// What it shows.
    pub description: String,
    /// The mocks.
    pub mocks: Vec<FlowMock>,
    /// The calls, in order.
    pub steps: Vec<FlowStep>,
    /// Client settings.
    #[serde(default)]
    pub client: ClientSettings,
}

/// A case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Case {
    /// Several calls.
    Flow(Flow),
    /// One call.
    Single(Box<Single>),
}

/// Where the cases are.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Reads a case file; the error names the file and what is wrong.
pub fn load(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Parses a case; `name` says which in errors.
pub fn parse(text: &str, name: &str) -> Result<Case, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    // A flow has steps; parsing as the one shape reports that shape's error.
    if value.get("steps").is_some() {
        serde_json::from_value(value)
            .map(Case::Flow)
            .map_err(|e| format!("{name}: not a flow: {e}"))
    } else {
        serde_json::from_value(value)
            .map(|s| Case::Single(Box::new(s)))
            .map_err(|e| format!("{name}: not a case: {e}"))
    }
}

/// Every case file, sorted, as `(group/name, path)`: the group is the
/// operation, `robustness` or `flows`.
pub fn all() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(groups) = std::fs::read_dir(cases_dir()) else {
        return found;
    };
    for group in groups.flatten().filter(|g| g.path().is_dir()) {
        let Ok(files) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for file in files
            .flatten()
            .map(|f| f.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let name = format!(
                "{}/{}",
                group.file_name().to_string_lossy(),
                file.file_stem().unwrap_or_default().to_string_lossy()
            );
            found.push((name, file));
        }
    }
    found.sort();
    found
}
