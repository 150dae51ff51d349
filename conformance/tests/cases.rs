//! The one runner of the conformance cases (`conformance/cases/*/*.json`):
//! each case's call goes through the client's public API to a wiremock
//! server answering as the case says; the whole recorded request is compared
//! with the case, and the typed outcome is snapshotted. Beside it: coverage
//! of the document, schema conformance of every body, and a round trip of
//! every documented example.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use conformance::case::{self, Case, Credentials, Expectation, ExpectedRequest, Flow, Kind, MockResponse, Single};
use conformance::document::Document;
use serde_json::Value;
use usercentrics_pmp::{Client, Error, retry::RetryPolicy, types};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API_KEY: &str = "conformance-api-key";
const PAC_UUID: &str = "1234abcd-22bb-33cc-44dd-12345678abcd";
const USER: &str = "user@company.com";

/// Tokens named in a case (`{jwt:NAME:+8h}` issues one, `{jwt:NAME}` refers
/// to it), and the given token of the client.
struct Tokens(BTreeMap<String, String>);

fn jwt(name: &str, lifetime_seconds: i64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let encode = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        encode(r#"{"alg":"HS256","typ":"JWT"}"#.into()),
        encode(format!(
            r#"{{"jti":"{name}","pacUuid":"{PAC_UUID}","userId":"{USER}","exp":{}}}"#,
            now + lifetime_seconds
        ))
    )
}

/// Reads the case with its placeholders replaced.
fn load(file: &Path) -> (Case, Tokens) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut tokens = BTreeMap::from([("given".to_string(), jwt("given", 8 * 3600))]);
    let mut resolved = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{jwt:") {
        let end = start + rest[start..].find('}').expect("a {jwt:…} placeholder is closed");
        let inner = &rest[start + 5..end];
        let (name, lifetime) = inner.split_once(':').unwrap_or((inner, ""));
        if !lifetime.is_empty() {
            let seconds = parse_lifetime(lifetime);
            tokens.insert(name.to_string(), jwt(name, seconds));
        }
        resolved.push_str(&rest[..start]);
        resolved.push_str(
            tokens
                .get(name)
                .unwrap_or_else(|| panic!("{}: token `{name}` is used before it is issued", file.display())),
        );
        rest = &rest[end + 1..];
    }
    resolved.push_str(rest);
    let resolved = resolved
        .replace("{apiKey}", API_KEY)
        .replace("{token}", &tokens["given"]);
    let case = case::parse(&resolved, &file.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    (case, Tokens(tokens))
}

fn parse_lifetime(text: &str) -> i64 {
    let (sign, number) = text.split_at(1);
    let (digits, unit) = number.split_at(number.len() - 1);
    let value: i64 = digits.parse().expect("a lifetime like +8h or -5s");
    let seconds = value
        * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            other => panic!("unknown lifetime unit `{other}`"),
        };
    if sign == "-" { -seconds } else { seconds }
}

fn template(response: &MockResponse) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(response.status);
    if let Some(body) = &response.body {
        let bytes = serde_json::to_vec(body).unwrap();
        template = template.set_body_raw(bytes, response.content_type.as_deref().unwrap_or("application/json"));
    }
    if let Some(raw) = &response.raw_body {
        template = template.set_body_raw(
            raw.clone().into_bytes(),
            response.content_type.as_deref().unwrap_or("text/plain"),
        );
    }
    if let Some(size) = response.filler_bytes {
        template = template.set_body_raw(
            vec![b'x'; size],
            response.content_type.as_deref().unwrap_or("application/json"),
        );
    }
    for (name, value) in &response.headers {
        template = template.insert_header(name.as_str(), value.as_str());
    }
    if let Some(delay) = response.delay_ms {
        template = template.set_delay(Duration::from_millis(delay));
    }
    template
}

/// A lowest-priority answer for anything no case mock matched: loud, and
/// never mistaken for a documented 404.
async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(418).set_body_string(format!(
                "no mock of the case matched {} {}",
                request.method, request.url
            ))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/public")
}

struct Clients {
    both: Client,
    api_key: Client,
    token: Client,
    session: usercentrics_pmp::UserSession,
}

impl Clients {
    fn new(base: &str, settings: &case::ClientSettings, tokens: &Tokens) -> Self {
        let builder = Client::builder()
            .base_url(base)
            .timeout(Duration::from_millis(settings.timeout_ms.unwrap_or(10_000)))
            .token_renewal_margin(Duration::from_millis(settings.renewal_margin_ms.unwrap_or(60_000)))
            // No retries, so request counts are exact.
            .retry(RetryPolicy::none());
        let given = tokens.0["given"].clone();
        let api_key = builder.clone().api_key(API_KEY).build().unwrap();
        Self {
            both: builder
                .clone()
                .api_key(API_KEY)
                .bearer_token(given.clone())
                .build()
                .unwrap(),
            token: builder.bearer_token(given).build().unwrap(),
            session: api_key.user(PAC_UUID.parse().unwrap(), USER),
            api_key,
        }
    }

    fn get(&self, credentials: Credentials) -> &Client {
        match credentials {
            Credentials::Both => &self.both,
            Credentials::ApiKey => &self.api_key,
            Credentials::Token => &self.token,
            Credentials::Session => &self.session,
        }
    }
}

/// The name of an error's variant, from its `Debug`.
fn variant(error: &Error) -> String {
    format!("{error:?}")
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Checks the outcome against the expectation and renders it for the snapshot.
fn outcome(result: &Result<String, Error>, expect: &Expectation) -> Result<String, String> {
    match (result, expect.outcome.as_str()) {
        (Ok(output), "success") => Ok(format!("success:\n{output}")),
        (Ok(output), wanted) => Err(format!("expected {wanted}, got success:\n{output}")),
        (Err(error), wanted) => {
            let (got, status) = (variant(error), error.status().map(|s| s.as_u16()));
            if got != wanted || status != expect.status {
                return Err(format!(
                    "expected {wanted} with status {:?}, got {got} with status {status:?}: {error}",
                    expect.status
                ));
            }
            Ok(format!("error {got}:\n{error}\n{error:#?}"))
        }
    }
}

/// Compares the whole recorded request with the case.
fn compare(recorded: &Request, expected: &ExpectedRequest) -> Vec<String> {
    let mut problems = Vec::new();
    if recorded.method.as_str() != expected.method {
        problems.push(format!(
            "method: sent {}, expected {}",
            recorded.method, expected.method
        ));
    }
    if recorded.url.path() != expected.path {
        problems.push(format!(
            "path: sent {}, expected {}",
            recorded.url.path(),
            expected.path
        ));
    }
    let sorted = |mut pairs: Vec<(String, String)>| {
        pairs.sort();
        pairs
    };
    let query = sorted(
        recorded
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    );
    if query != sorted(expected.query.clone()) {
        problems.push(format!(
            "query: sent {query:?}, expected {:?}",
            sorted(expected.query.clone())
        ));
    }
    for (name, value) in &expected.headers {
        let sent: Vec<&str> = recorded
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if sent != [value.as_str()] {
            problems.push(format!("header {name}: sent {sent:?}, expected {value:?}"));
        }
    }
    for name in &expected.absent_headers {
        if recorded.headers.contains_key(name.as_str()) {
            problems.push(format!("header {name}: sent, but must not be"));
        }
    }
    let body: Option<Value> =
        (!recorded.body.is_empty()).then(|| serde_json::from_slice(&recorded.body).unwrap_or(Value::Null));
    if body != expected.body {
        problems.push(format!("body: sent {body:?}, expected {:?}", expected.body));
    }
    problems
}

async fn run_single(case: &Single, tokens: &Tokens) -> Result<String, String> {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let base = match &case.response {
        Some(response) => {
            let route = case.request.as_ref().map(|r| (r.method.clone(), r.path.clone()));
            let (verb, route) = route.unwrap_or_else(|| ("GET".into(), "/never".into()));
            Mock::given(method(verb.as_str()))
                .and(path(route.as_str()))
                .respond_with(template(response))
                .mount(&server)
                .await;
            format!("{}/public", server.uri())
        }
        None => refused_url(),
    };
    let clients = Clients::new(&base, &case.client, tokens);
    let result = conformance::call::call(clients.get(case.call.credentials), &case.call).await?;
    let recorded = server.received_requests().await.unwrap_or_default();
    match (&case.request, recorded.as_slice()) {
        (None, []) => {}
        (None, sent) => return Err(format!("expected no request, {} were sent", sent.len())),
        (Some(expected), [one]) => {
            let problems = compare(one, expected);
            if !problems.is_empty() {
                return Err(format!(
                    "the request differs from the case:\n  {}",
                    problems.join("\n  ")
                ));
            }
        }
        (Some(_), sent) => return Err(format!("expected one request, {} were sent", sent.len())),
    }
    Ok(format!("{}\n\n{}", case.description, outcome(&result, &case.expect)?))
}

async fn run_flow(flow: &Flow, tokens: &Tokens) -> Result<String, String> {
    let server = MockServer::start().await;
    catch_all(&server).await;
    for mock in &flow.mocks {
        let mut builder = Mock::given(method(mock.method.as_str())).and(path(mock.path.as_str()));
        for (name, value) in &mock.headers {
            builder = builder.and(header(name.as_str(), value.as_str()));
        }
        let mut mounted = builder.respond_with(template(&mock.response)).expect(mock.expect);
        if let Some(times) = mock.up_to {
            mounted = mounted.up_to_n_times(times);
        }
        if let Some(priority) = mock.priority {
            mounted = mounted.with_priority(priority);
        }
        mounted
            .named(format!("{} {}", mock.method, mock.path))
            .mount(&server)
            .await;
    }
    let clients = Clients::new(&format!("{}/public", server.uri()), &flow.client, tokens);
    let mut text = vec![flow.description.clone()];
    for (number, step) in flow.steps.iter().enumerate() {
        if let Some(sleep) = step.sleep_ms {
            tokio::time::sleep(Duration::from_millis(sleep)).await;
        }
        let result = conformance::call::call(clients.get(step.call.credentials), &step.call).await?;
        let rendered = outcome(&result, &step.expect).map_err(|e| format!("step {}: {e}", number + 1))?;
        text.push(format!("step {} {}: {rendered}", number + 1, step.call.operation));
    }
    // Every mock was hit exactly as often as the flow says; wiremock names any that was not.
    server.verify().await;
    Ok(text.join("\n\n"))
}

#[test]
fn cases() {
    insta::glob!("../cases", "*/*.json", |file| {
        let (case, tokens) = load(file);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let rendered = runtime.block_on(async {
            match &case {
                Case::Single(single) => run_single(single, &tokens).await,
                Case::Flow(flow) => run_flow(flow, &tokens).await,
            }
        });
        let rendered = rendered.unwrap_or_else(|problem| panic!("{}: {problem}", file.display()));
        for secret in tokens.0.values().map(String::as_str).chain([API_KEY]) {
            assert!(
                !rendered.contains(secret),
                "{}: a secret reached the outcome",
                file.display()
            );
        }
        insta::with_settings!({ filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]")], prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

/// What the suite must hold: for every operation each status the document
/// lists, a 429, a 500 and a call without its credential; an expired token
/// for the user operations; the robustness cases and the flows.
fn required(document: &Document) -> BTreeSet<String> {
    let mut required = BTreeSet::new();
    for (operation, statuses) in document.statuses() {
        for status in statuses
            .iter()
            .map(String::as_str)
            .chain(["429", "500", "missing-credential"])
        {
            required.insert(format!("{operation}/{status}"));
        }
        let user_operation = usercentrics_pmp::operations::find(operation)
            .is_some_and(|o| o.credential == usercentrics_pmp::operations::Credential::Bearer);
        if user_operation {
            required.insert(format!("{operation}/401-expired-token"));
        }
    }
    for name in [
        "undocumented-status",
        "bad-gateway-html",
        "empty-body",
        "truncated-json",
        "malformed-json",
        "wrong-content-type",
        "unknown-fields",
        "new-select-type",
        "missing-required-field",
        "ten-megabyte-body",
        "slow-server",
        "refused-connection",
        "post-answered-200",
        "success-without-body",
    ] {
        required.insert(format!("robustness/{name}"));
    }
    for name in [
        "authenticate-once-then-three-calls",
        "token-expiry-mid-flow",
        "refused-token-is-renewed",
        "upsert-then-read-both-views",
    ] {
        required.insert(format!("flows/{name}"));
    }
    required
}

#[test]
fn every_operation_and_status_has_a_case() {
    let document = Document::pinned();
    let cases = case::all();
    let present: BTreeSet<String> = cases.iter().map(|(name, _)| name.clone()).collect();
    let required = required(&document);

    // The matrix: operations by what is covered.
    let columns = [
        "200",
        "201",
        "400",
        "401",
        "403",
        "404",
        "429",
        "500",
        "missing-credential",
        "401-expired-token",
    ];
    let mut matrix = format!("{:<24}", "operation");
    for column in columns {
        matrix += &format!(" {column:>6.6}");
    }
    for (operation, _) in document.statuses() {
        matrix += &format!("\n{operation:<24}");
        for column in columns {
            let name = format!("{operation}/{column}");
            let mark = match (present.contains(&name), required.contains(&name)) {
                (true, _) => "✓",
                (false, true) => "MISSING",
                (false, false) => "·",
            };
            matrix += &format!(" {mark:>6}");
        }
    }
    println!("coverage (✓ a case, · not required):\n{matrix}");

    let missing: Vec<&String> = required.difference(&present).collect();
    assert!(missing.is_empty(), "no case for {missing:?}\n{matrix}");

    let mut problems = Vec::new();
    for (name, file) in &cases {
        let (group, _) = name.split_once('/').unwrap();
        let (Case::Single(single), _) = load(file) else {
            continue;
        };
        let operation = single.call.operation.as_str();
        if !["robustness", "flows"].contains(&group) && group != operation {
            problems.push(format!("{name}: the case calls {operation}, not {group}"));
        }
        if single.kind == Kind::Documented
            && let Some(response) = &single.response
            && !document.lists(operation, response.status)
        {
            problems.push(format!(
                "{name}: claims to follow the document, which lists no {} for {operation}",
                response.status
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_snapshot_has_its_case() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let cases: BTreeSet<String> = case::all()
        .into_iter()
        .map(|(name, _)| name.replace('/', "__"))
        .collect();
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&snapshots).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(case) = name.strip_prefix("cases@").and_then(|n| n.strip_suffix(".json.snap")) else {
            continue;
        };
        if !cases.contains(case) {
            orphans.push(name);
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a case (was a case file removed?): {orphans:?}"
    );
}

#[test]
fn case_bodies_match_the_document() {
    let document = Document::pinned();
    let mut problems = Vec::new();
    let check = |name: &str, what: &str, schema: Option<&Value>, body: &Value| -> Vec<String> {
        match schema {
            Some(schema) => document
                .validate(schema, body)
                .into_iter()
                .map(|p| format!("{name}: {what} {p}"))
                .collect(),
            None => vec![format!("{name}: the document has no schema for the {what}")],
        }
    };
    for (name, file) in case::all() {
        match load(&file).0 {
            Case::Single(single) if single.kind == Kind::Documented => {
                let operation = single.call.operation.as_str();
                if let Some(response) = &single.response {
                    match &response.body {
                        Some(body) => problems.extend(check(
                            &name,
                            &format!("{} response", response.status),
                            document.response_schema(operation, response.status),
                            body,
                        )),
                        None if document.response_schema(operation, response.status).is_some() => {
                            problems.push(format!("{name}: the document promises a body for {}", response.status));
                        }
                        None => {}
                    }
                    if response.raw_body.is_some() || response.filler_bytes.is_some() {
                        problems.push(format!(
                            "{name}: a documented case answers JSON; raw bodies are for robustness cases"
                        ));
                    }
                }
                if let Some(body) = single.request.as_ref().and_then(|r| r.body.as_ref()) {
                    problems.extend(check(&name, "request body", document.request_schema(operation), body));
                }
            }
            Case::Single(_) => {}
            Case::Flow(flow) => {
                for mock in &flow.mocks {
                    let described = usercentrics_pmp::operations::ALL
                        .iter()
                        .find(|o| o.method == mock.method && o.path == mock.path.trim_start_matches("/public"));
                    let Some(described) = described else {
                        problems.push(format!("{name}: no operation is {} {}", mock.method, mock.path));
                        continue;
                    };
                    if let Some(body) = &mock.response.body {
                        let status = mock.response.status;
                        let schema = document.response_schema(described.name, status);
                        problems.extend(check(
                            &name,
                            &format!("{status} response of {}", described.name),
                            schema,
                            body,
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "case bodies that drift from the document:\n{}",
        problems.join("\n")
    );
}

/// Every key of `documented`, at any depth, is in `encoded` with the same value.
fn lost(documented: &Value, encoded: &Value, at: &str, out: &mut Vec<String>) {
    match (documented, encoded) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => lost(value, other, &format!("{at}/{key}"), out),
                    None => out.push(format!("{at}/{key} was lost")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                lost(x, y, &format!("{at}/{i}"), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{at}: documented {a}, re-encoded {b}")),
    }
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) -> Result<Value, String> {
    let decoded: T = serde_json::from_value(value.clone()).map_err(|e| format!("does not decode: {e}"))?;
    serde_json::to_value(decoded).map_err(|e| e.to_string())
}

#[test]
fn documented_examples_round_trip() {
    let examples = Document::pinned().examples();
    assert!(examples.len() >= 5, "the document's examples were found: {examples:?}");
    let mut problems = Vec::new();
    for example in examples {
        let encoded = match (example.operation, example.place.as_str()) {
            ("authenticate", "request") => round_trip::<types::AuthenticateRequest>(&example.value),
            ("authenticate", _) => {
                // The token type keeps its secret out of `Serialize` too.
                let decoded: Result<usercentrics_pmp::secret::AuthenticateResponse, _> =
                    serde_json::from_value(example.value.clone());
                decoded
                    .map(|d| serde_json::json!({"token": secrecy::ExposeSecret::expose_secret(&d.token)}))
                    .map_err(|e| format!("does not decode: {e}"))
            }
            ("save_my_preferences" | "save_preferences", "request") => {
                round_trip::<types::SavePreferencesRequest>(&example.value)
            }
            ("get_my_preferences", _) => round_trip::<Vec<types::UserPreference>>(&example.value),
            (operation, place) => Err(format!(
                "no round trip is written for the {place} example of {operation}: add one"
            )),
        };
        let mut lost_fields = Vec::new();
        match encoded {
            Ok(encoded) => lost(&example.value, &encoded, "", &mut lost_fields),
            Err(problem) => lost_fields.push(problem),
        }
        problems.extend(
            lost_fields
                .into_iter()
                .map(|p| format!("{} {}: {p}", example.operation, example.place)),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
