//! No secret leaves the client: every operation is driven through success
//! and error paths (sessions, renewal, retries, a server that echoes what it
//! was sent) with all tracing and `log` output captured at trace level, and
//! neither the API key nor any token appears in it, nor in the `Debug` and
//! `Display` of clients, sessions, builders and errors.

mod common;

use common::{Captured, ID, get_preferences, id, jwt, quick_retries};
use serde_json::json;
use usercentrics_pmp::{Call, Client, ClientInfo, Error, types};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API_KEY: &str = "sk-live-SECRET-0123456789abcdef";

/// Answers every request with `status` and a body echoing all its headers,
/// as a careless proxy might.
fn echo(status: u16) -> impl Fn(&Request) -> ResponseTemplate {
    move |request: &Request| {
        let headers: Vec<String> = request
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("")))
            .collect();
        ResponseTemplate::new(status).set_body_json(json!({"statusCode": status, "message": headers}))
    }
}

fn save_body() -> types::SavePreferencesRequest {
    types::SavePreferencesRequest {
        widget_uuid: id(),
        language: "en".into(),
        answers: vec![],
    }
}

/// Every operation once; returns what the caller can print.
async fn every_operation(client: &Client, user: &usercentrics_pmp::UserSession) -> Vec<String> {
    let mut seen = Vec::new();
    let mut keep = |result: Result<String, Error>| match result {
        Ok(debug) => seen.push(debug),
        Err(error) => {
            seen.push(format!("{error}"));
            seen.push(format!("{error:?}"));
        }
    };
    let auth = types::AuthenticateRequest {
        pac_uuid: id(),
        user_id: "u".into(),
        user_public_name: None,
        user_email: None,
    };
    keep(client.authenticate().body(auth).call().await.map(|r| format!("{r:?}")));
    keep(get_preferences(client).await.map(|r| format!("{r:?}")));
    keep(
        client
            .save_preferences()
            .pac_uuid(id())
            .x_user_id("u")
            .body(save_body())
            .call()
            .await
            .map(|r| format!("{r:?}")),
    );
    keep(
        client
            .delete_preference()
            .preference_uuid(id())
            .call()
            .await
            .map(|r| format!("{r:?}")),
    );
    keep(
        client
            .delete_user_preferences()
            .pac_uuid(id())
            .x_user_id("u")
            .call()
            .await
            .map(|r| format!("{r:?}")),
    );
    keep(user.get_my_preferences().call().await.map(|r| format!("{r:?}")));
    keep(
        user.save_my_preferences()
            .body(save_body())
            .call()
            .await
            .map(|r| format!("{r:?}")),
    );
    keep(
        user.get_widget()
            .widget_uuid(id())
            .call()
            .await
            .map(|r| format!("{r:?}")),
    );
    // progenitor's own errors, from `send()`, too.
    if let Err(raw) = client.get_preferences().widget_uuid(id()).x_user_id("u").send().await {
        seen.push(format!("{raw}"));
        seen.push(format!("{raw:?}"));
    }
    seen
}

#[tokio::test]
async fn no_secret_reaches_logs_debug_or_errors() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test binary");

    let (first, renewed, given) = (jwt(8 * 3600, "first"), jwt(8 * 3600, "renewed"), jwt(8 * 3600, "given"));
    let mut printed = Vec::new();

    // Success paths, with a session whose first token is refused and renewed.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/public/authenticate"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"token": first})))
        .up_to_n_times(2) // the session's first fetch, and the direct authenticate call
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/public/authenticate"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"token": renewed})))
        .mount(&server)
        .await;
    Mock::given(any())
        .and(header("authorization", format!("Bearer {first}")))
        .respond_with(echo(401))
        .with_priority(2)
        .mount(&server)
        .await;
    let preference = json!({"uuid": ID, "widgetId": ID, "pending": false, "answers": []});
    for (verb, route, body) in [
        ("GET", "/public/preferences", json!({"widgetUuid": ID, "answers": []})),
        ("POST", "/public/preferences", preference.clone()),
        ("DELETE", "/public/preferences", json!({"deleted": 1})),
        (
            "DELETE",
            "/public/preferences/1234abcd-22bb-33cc-44dd-12345678abcd",
            json!({}),
        ),
        ("GET", "/public/preferences/my", json!([preference])),
        ("POST", "/public/preferences/my", preference.clone()),
        (
            "GET",
            "/public/widgets/1234abcd-22bb-33cc-44dd-12345678abcd",
            json!({"uuid": ID, "topics": []}),
        ),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let builder = Client::builder()
        .api_key(API_KEY)
        .base_url(format!("{}/public", server.uri()))
        .retry(quick_retries(2));
    printed.push(format!("{builder:?}"));
    let client = builder.build().unwrap();
    let user = client.user(id(), "user@company.com");
    printed.extend(every_operation(&client, &user).await);
    printed.push(format!("{client:?} {user:?} {:?}", client.inner()));
    let handed_over = user.token().await.unwrap();
    printed.push(format!("{handed_over:?}"));
    printed.push(format!("{:?}", client.with_token(given.clone())));

    // Error paths: a server that echoes every header back, with 400, 401, 403,
    // 404, 429, 500 and 503 (retried), and a session whose authentication fails.
    for status in [400, 401, 403, 404, 429, 500, 503] {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(echo(status)).mount(&server).await;
        let client = Client::builder()
            .api_key(API_KEY)
            .base_url(format!("{}/public", server.uri()))
            .retry(quick_retries(2))
            .build()
            .unwrap();
        printed.extend(every_operation(&client, &client.user(id(), "u")).await);
        printed.extend(every_operation(&client, &client.with_token(given.clone())).await);
    }

    let logs = captured.take();
    assert!(logs.contains("pmp.request"), "the spans were captured");
    assert!(logs.contains("retrying"), "the retries were captured");
    let everything = format!("{logs}\n{}", printed.join("\n"));
    for secret in [API_KEY, &first, &renewed, &given] {
        let found: Vec<&str> = everything
            .lines()
            .filter(|line| line.contains(secret))
            .take(3)
            .collect();
        assert!(found.is_empty(), "a secret leaked:\n{}", found.join("\n"));
    }
    // The echoed headers did reach the errors, scrubbed.
    assert!(
        printed.iter().any(|line| line.contains("x-api-key: [REDACTED]")),
        "the echo test exercised scrubbing"
    );
    // And the user id stays out of the spans unless asked for.
    assert!(
        !logs.contains("user@company.com"),
        "user ids are left out of tracing by default"
    );
}

#[tokio::test]
async fn the_user_id_is_traced_only_when_asked_for() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    // This test's runtime is single-threaded, so a thread-local subscriber sees all.
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let base = format!("{}/public", server.uri());
    for (trace, expected) in [(false, false), (true, true)] {
        let client = Client::builder()
            .api_key(API_KEY)
            .base_url(&base)
            .trace_user_ids(trace)
            .build()
            .unwrap();
        client
            .delete_user_preferences()
            .pac_uuid(id())
            .x_user_id("privacy@example.com")
            .call()
            .await
            .ok();
        let logs = captured.take();
        assert!(logs.contains("operation=delete_user_preferences"), "{logs}");
        assert_eq!(
            logs.contains("user_id=\"privacy@example.com\""),
            expected,
            "trace_user_ids({trace}): {logs}"
        );
    }
}
