//! The live contract run: the read-only cases of the conformance suite (and,
//! when allowed, the self-cleaning write cases) sent to a real endpoint, each
//! answer checked against the pinned document (status documented, media type,
//! body schema) and decoded by the client.
//!
//! Each case's request (method, path, query, headers) comes from its file
//! under `cases/`, with the docs' placeholder ids replaced by the configured
//! ones; writes go to the test user only and are deleted at the end.

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use usercentrics_pmp::Client;
use uuid::Uuid;

use crate::case::{self, Case, Single};
use crate::document::Document;

/// The placeholder id of the documented examples.
const PLACEHOLDER: &str = "1234abcd-22bb-33cc-44dd-12345678abcd";
/// The read-only cases, in order.
const READ_ONLY: [&str; 4] = [
    "authenticate/201",
    "get_widget/200",
    "get_my_preferences/200",
    "get_preferences/200",
];
/// The write cases, in order; the last one deletes everything they wrote.
const WRITES: [&str; 4] = [
    "save_preferences/201",
    "save_my_preferences/201",
    "delete_preference/200",
    "delete_user_preferences/200",
];

/// Where and as whom to run.
pub struct Settings {
    /// The API's base URL, `/public` included.
    pub base_url: String,
    /// `PMP_API_KEY`.
    pub api_key: SecretString,
    /// `PMP_PAC_UUID`: the configuration.
    pub pac_uuid: Uuid,
    /// `PMP_WIDGET_UUID`: a widget of it.
    pub widget_uuid: Uuid,
    /// `PMP_TEST_USER_ID`: the only user written to.
    pub test_user: String,
    /// Run the write cases too.
    pub allow_writes: bool,
}

impl Settings {
    /// From `PMP_API_KEY`, `PMP_PAC_UUID`, `PMP_WIDGET_UUID` and `PMP_TEST_USER_ID`;
    /// the error lists every one that is missing or wrong.
    pub fn from_lookup(
        base_url: &str,
        allow_writes: bool,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut problems = Vec::new();
        let mut get = |name: &str| {
            let value = lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            if value.is_none() {
                problems.push(format!("{name} is not set"));
            }
            value.unwrap_or_default()
        };
        let (api_key, pac, widget, test_user) = (
            get("PMP_API_KEY"),
            get("PMP_PAC_UUID"),
            get("PMP_WIDGET_UUID"),
            get("PMP_TEST_USER_ID"),
        );
        let mut uuid = |name: &str, value: &str| {
            value.parse::<Uuid>().unwrap_or_else(|_| {
                if !value.is_empty() {
                    problems.push(format!("{name} is not a UUID"));
                }
                Uuid::nil()
            })
        };
        let (pac_uuid, widget_uuid) = (uuid("PMP_PAC_UUID", &pac), uuid("PMP_WIDGET_UUID", &widget));
        if !problems.is_empty() {
            return Err(format!(
                "{}; set PMP_API_KEY (an API key with access to the configuration), PMP_PAC_UUID, PMP_WIDGET_UUID (a widget of it) and PMP_TEST_USER_ID (a user that may be written to)",
                problems.join(", ")
            ));
        }
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: SecretString::from(api_key),
            pac_uuid,
            widget_uuid,
            test_user,
            allow_writes,
        })
    }
}

/// What one case came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The case, `operation/status`.
    pub case: String,
    /// Whether the answer conformed.
    pub passed: bool,
    /// The status and what was wrong, or what was checked.
    pub detail: String,
}

/// The results of a run.
#[derive(Debug, Clone)]
pub struct Report(pub Vec<Outcome>);

impl Report {
    /// True when every case passed.
    pub fn passed(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|o| o.passed)
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "passed": self.passed(),
            "cases": self.0.iter().map(|o| json!({"case": o.case, "passed": o.passed, "detail": o.detail})).collect::<Vec<_>>(),
        })
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for outcome in &self.0 {
            writeln!(
                f,
                "{} {}: {}",
                if outcome.passed { "pass" } else { "FAIL" },
                outcome.case,
                outcome.detail
            )?;
        }
        let failed = self.0.iter().filter(|o| !o.passed).count();
        writeln!(f, "{} passed, {failed} failed", self.0.len() - failed)
    }
}

struct Run<'a> {
    settings: &'a Settings,
    document: Document,
    http: reqwest::Client,
    token: Option<SecretString>,
    saved: Option<String>,
    widget: Option<Value>,
    outcomes: Vec<Outcome>,
}

/// Runs the cases against `settings.base_url`.
pub async fn run(settings: &Settings) -> Report {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let mut run = Run {
        settings,
        document: Document::pinned(),
        http,
        token: None,
        saved: None,
        widget: None,
        outcomes: Vec::new(),
    };
    for name in READ_ONLY {
        run.case(name).await;
    }
    if settings.allow_writes {
        for name in WRITES {
            run.case(name).await;
        }
    }
    Report(run.outcomes)
}

impl Run<'_> {
    async fn case(&mut self, name: &str) {
        let outcome = match self.try_case(name).await {
            Ok(detail) => Outcome {
                case: name.to_string(),
                passed: true,
                detail,
            },
            Err(detail) => Outcome {
                case: name.to_string(),
                passed: false,
                detail: self.scrub(detail),
            },
        };
        self.outcomes.push(outcome);
    }

    /// No secret reaches the report, even from a body that echoes it.
    fn scrub(&self, text: String) -> String {
        let mut text = text.replace(self.settings.api_key.expose_secret(), "[REDACTED]");
        if let Some(token) = &self.token {
            text = text.replace(token.expose_secret(), "[REDACTED]");
        }
        text
    }

    fn load(name: &str) -> Result<Single, String> {
        let file = case::cases_dir().join(format!("{name}.json"));
        match case::load(&file)? {
            Case::Single(single) => Ok(*single),
            Case::Flow(_) => Err(format!("{name} is a flow")),
        }
    }

    /// The configured id for a placeholder, by where it stands.
    fn id_for(&self, name: &str) -> Result<String, String> {
        match name {
            "pacUuid" => Ok(self.settings.pac_uuid.to_string()),
            "widgetUuid" => Ok(self.settings.widget_uuid.to_string()),
            "preferenceUuid" => self
                .saved
                .clone()
                .ok_or_else(|| "no preference object was saved to delete".to_string()),
            other => Err(format!("no configured value for `{other}`")),
        }
    }

    async fn try_case(&mut self, name: &str) -> Result<String, String> {
        let case = Self::load(name)?;
        let operation = case.call.operation.clone();
        let request = case.request.clone().ok_or_else(|| format!("{name} sends no request"))?;
        let mut path = request.path.clone();
        for (param, value) in [("widgets", "widgetUuid"), ("preferences", "preferenceUuid")] {
            if path.starts_with(&format!("/public/{param}/{PLACEHOLDER}")) {
                path = path.replace(PLACEHOLDER, &self.id_for(value)?);
            }
        }
        let path = path.strip_prefix("/public").unwrap_or(&path).to_string();
        let mut query = Vec::new();
        for (key, value) in &request.query {
            query.push((
                key.clone(),
                if value == PLACEHOLDER {
                    self.id_for(key)?
                } else {
                    value.clone()
                },
            ));
        }
        let mut builder = self
            .http
            .request(
                request.method.parse().map_err(|_| "bad method")?,
                format!("{}{path}", self.settings.base_url),
            )
            .query(&query);
        for (header, value) in &request.headers {
            let (value, secret) = match (header.as_str(), value.as_str()) {
                ("x-api-key", _) => (self.settings.api_key.expose_secret().to_string(), true),
                ("authorization", _) => {
                    let token = self.token.as_ref().ok_or("no token: authenticate/201 did not pass")?;
                    (format!("Bearer {}", token.expose_secret()), true)
                }
                ("x-user-id", _) => (self.settings.test_user.clone(), false),
                ("x-user-email", _) => continue,
                (_, value) => (value.to_string(), false),
            };
            // As the client does: a credential's header is marked sensitive,
            // so no HTTP-level log or Debug prints it.
            let mut value = HeaderValue::from_str(&value)
                .map_err(|_| format!("the `{header}` value is not a valid header value"))?;
            value.set_sensitive(secret);
            builder = builder.header(header, value);
        }
        if let Some(body) = self.body(&operation)? {
            builder = builder.json(&body);
        }
        let response = builder.send().await.map_err(|e| format!("no answer: {e}"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("the body did not arrive: {e}"))?;
        let body = self.conforms(&operation, status, &content_type, &bytes)?;
        self.remember(&operation, &body);
        Ok(format!(
            "{status}, conforms to the document{}",
            self.decodes(&case).await?
        ))
    }

    /// The request body: the documented shape, with the configured ids, and
    /// answers for the configured widget (its first option of each topic).
    fn body(&self, operation: &str) -> Result<Option<Value>, String> {
        Ok(match operation {
            "authenticate" => Some(json!({"pacUuid": self.settings.pac_uuid, "userId": self.settings.test_user})),
            "save_preferences" | "save_my_preferences" => {
                let widget = self
                    .widget
                    .as_ref()
                    .ok_or("no widget structure: get_widget/200 did not pass")?;
                let answers: Vec<Value> = widget["topics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|topic| Some(json!({"topicUuid": topic["uuid"], "topicAnswerUuids": [topic["options"].get(0)?["uuid"].clone()]})))
                    .collect();
                Some(json!({"widgetUuid": self.settings.widget_uuid, "language": "en", "answers": answers}))
            }
            _ => None,
        })
    }

    /// Checks status, media type and body against the document.
    fn conforms(&self, operation: &str, status: u16, content_type: &str, bytes: &[u8]) -> Result<Value, String> {
        let excerpt = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        if !(200..300).contains(&status) {
            return Err(format!("expected a success, got {status}: {excerpt}"));
        }
        if !self.document.lists(operation, status) {
            return Err(format!("status {status} is not documented for {operation}"));
        }
        let Some(schema) = self.document.response_schema(operation, status) else {
            return Ok(Value::Null);
        };
        if !content_type.starts_with("application/json") {
            return Err(format!(
                "{status} with media type `{content_type}`; the document says application/json"
            ));
        }
        let body: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("{status} with a body that is not JSON ({e}): {excerpt}"))?;
        let problems = self.document.validate(schema, &body);
        if problems.is_empty() {
            Ok(body)
        } else {
            Err(format!(
                "{status} with a body the document does not allow: {}",
                problems.join("; ")
            ))
        }
    }

    fn remember(&mut self, operation: &str, body: &Value) {
        match operation {
            "authenticate" => self.token = body["token"].as_str().map(|t| SecretString::from(t.to_string())),
            "get_widget" => self.widget = Some(body.clone()),
            "save_preferences" | "save_my_preferences" => {
                self.saved = body["uuid"].as_str().map(str::to_string).or(self.saved.take())
            }
            _ => {}
        }
    }

    /// The read-only cases go through the client too: its typed result must decode.
    async fn decodes(&self, case: &Single) -> Result<String, String> {
        let operation = case.call.operation.as_str();
        if !["get_widget", "get_my_preferences", "get_preferences"].contains(&operation) {
            return Ok(String::new());
        }
        let mut call = case.call.clone();
        for (name, value) in call.args.iter_mut() {
            if value == PLACEHOLDER {
                *value = Value::String(self.id_for(name)?);
            } else if name == "x-user-id" {
                *value = Value::String(self.settings.test_user.clone());
            }
        }
        let client = Client::builder()
            .api_key(self.settings.api_key.expose_secret())
            .base_url(&self.settings.base_url)
            .build()
            .map_err(|e| e.to_string())?;
        let user = client.user(self.settings.pac_uuid, self.settings.test_user.clone());
        let on: &Client = if operation == "get_preferences" { &client } else { &user };
        match crate::call::call(on, &call).await? {
            Ok(_) => Ok(", decoded by the client".into()),
            Err(error) => Err(format!("conforms, but the client did not decode it: {error}")),
        }
    }
}
