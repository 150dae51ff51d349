//! Every error variant, from the answer (or the lack of one) that causes it:
//! its status is kept, its body decoded where it is one, and its `Display`
//! is one line that names the operation and says what to do.

mod common;

use std::time::Duration;

use common::{builder, client, get_preferences, id, server};
use serde_json::json;
use usercentrics_pmp::error::{Credential, Error};
use usercentrics_pmp::{Call, Client, retry::RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = server().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

/// `get_preferences` against a server answering with `template`.
async fn error_for(template: ResponseTemplate) -> Error {
    let server = answering(template).await;
    let error = get_preferences(&client(&server))
        .await
        .expect_err("the answer is an error");
    let text = error.to_string();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    error
}

fn nest(status: u16, message: serde_json::Value, error: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"statusCode": status, "message": message, "error": error}))
}

#[tokio::test]
async fn documented_error_statuses() {
    let error = error_for(nest(
        400,
        json!(["widgetUuid must be a UUID", "language must be a string"]),
        "Bad Request",
    ))
    .await;
    let Error::BadRequest(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.status, 400);
    assert_eq!(
        failure.body.as_ref().unwrap().message,
        ["widgetUuid must be a UUID", "language must be a string"]
    );
    assert_eq!(
        error.to_string(),
        "get_preferences was rejected as invalid (HTTP 400): widgetUuid must be a UUID; language must be a string; fix the arguments"
    );

    let error = error_for(nest(401, json!("Unauthorized"), "Unauthorized")).await;
    assert!(
        matches!(&error, Error::Unauthorized(f) if f.body.as_ref().unwrap().message == ["Unauthorized"]),
        "{error:?}"
    );
    assert!(error.to_string().contains("check the API key"));

    let error = error_for(nest(403, json!("Forbidden resource"), "Forbidden")).await;
    assert!(matches!(&error, Error::Forbidden(f) if f.status == 403), "{error:?}");
    assert!(error.to_string().contains("needs access to this configuration"));

    let error = error_for(nest(404, json!("Widget not found"), "Not Found")).await;
    assert!(matches!(&error, Error::NotFound(f) if f.status == 404), "{error:?}");
    assert_eq!(error.api_error().unwrap().error.as_deref(), Some("Not Found"));
}

#[tokio::test]
async fn a_documented_status_with_an_undecodable_body_keeps_its_status() {
    let error = error_for(ResponseTemplate::new(401).set_body_string("<html>Unauthorized</html>")).await;
    let Error::Unauthorized(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!((failure.status.as_u16(), failure.body.as_ref()), (401, None));
    assert_eq!(failure.excerpt, "<html>Unauthorized</html>");
}

#[tokio::test]
async fn rate_limited_keeps_retry_after() {
    let error =
        error_for(nest(429, json!("ThrottlerException: Too Many Requests"), "").insert_header("retry-after", "7"))
            .await;
    let Error::RateLimited { failure, retry_after } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (failure.status.as_u16(), *retry_after),
        (429, Some(Duration::from_secs(7)))
    );
    assert!(error.to_string().ends_with("retry after 7s"), "{error}");
}

#[tokio::test]
async fn server_errors() {
    let error = error_for(nest(500, json!("Internal server error"), "")).await;
    assert!(matches!(&error, Error::Server(f) if f.status == 500), "{error:?}");
    let error = error_for(ResponseTemplate::new(502).set_body_string("<html><h1>502 Bad Gateway</h1></html>")).await;
    let Error::Server(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (failure.status.as_u16(), failure.excerpt.as_str()),
        (502, "<html><h1>502 Bad Gateway</h1></html>")
    );
    assert!(error.to_string().contains("retry later"));
}

#[tokio::test]
async fn an_undocumented_status_keeps_the_start_of_the_body() {
    let error = error_for(ResponseTemplate::new(418).set_body_string("I'm a teapot ".repeat(100))).await;
    let Error::UndocumentedStatus(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.status, 418);
    assert!(failure.excerpt.starts_with("I'm a teapot") && failure.excerpt.chars().count() <= 301);
    assert!(
        error
            .to_string()
            .contains("HTTP 418, which the API document does not list")
    );
}

#[tokio::test]
async fn a_success_that_does_not_match_the_document() {
    for (body, reason) in [
        // An object, so the object's own error, not "did not match any variant".
        ("{\"answers\": []}", "missing field `widgetUuid`"),
        ("\"maintenance\"", "expected an object or an array"),
        ("", "EOF while parsing"),
        ("{\"widgetUuid\": \"1234", "EOF while parsing"),
        ("<html>maintenance</html>", "expected value"),
    ] {
        let error = error_for(ResponseTemplate::new(200).set_body_string(body)).await;
        let Error::UndecodableBody { failure, reason: why } = &error else {
            panic!("{body}: {error:?}")
        };
        assert_eq!(failure.status, 200, "{body}");
        assert!(why.contains(reason), "{body}: {why}");
        assert!(error.to_string().contains("the API may have changed"));
    }
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = get_preferences(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "get_preferences"
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), None);
    assert!(error.to_string().contains("raise the timeout"));
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::builder()
        .api_key("k")
        .base_url(format!("http://127.0.0.1:{port}/public"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client
        .delete_preference()
        .preference_uuid(id())
        .call()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "delete_preference",
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("Connection refused") && text.contains("check the base URL"),
        "{text}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn a_missing_credential_fails_before_sending() {
    let server = server().await;
    let base = format!("{}/public", server.uri());
    let without_token = Client::builder().api_key("k").base_url(&base).build().unwrap();
    let error = without_token.get_my_preferences().call().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MissingCredential {
                operation: "get_my_preferences",
                credential: Credential::BearerToken
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("client.user(..)"));
    let without_key = Client::builder().bearer_token("t").base_url(&base).build().unwrap();
    let error = without_key
        .delete_preference()
        .preference_uuid(id())
        .call()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::MissingCredential {
                credential: Credential::ApiKey,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("X-API-KEY"));
    // `send()` reports it too, as text.
    let raw = without_key
        .delete_preference()
        .preference_uuid(id())
        .send()
        .await
        .unwrap_err();
    assert!(raw.to_string().contains("needs an API key"), "{raw}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn invalid_arguments_fail_before_sending() {
    let server = server().await;
    let client = client(&server);
    let error = client
        .get_preferences()
        .widget_uuid(id())
        .x_user_id("line\nbreak")
        .call()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidArgument {
                operation: "get_preferences",
                ..
            }
        ),
        "{error:?}"
    );
    let error = client.get_preferences().x_user_id("u").call().await.unwrap_err();
    assert!(
        error.to_string().contains("widget_uuid"),
        "a required parameter left out: {error}"
    );
    let bad_token = client.with_token("secret\nvalue");
    let error = bad_token.get_my_preferences().call().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid argument for get_my_preferences: the token contains characters not allowed in an HTTP header"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_configuration_error_says_what_is_wrong() {
    let error = Client::builder()
        .base_url("http://example.com/public")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("use https")),
        "{error:?}"
    );
}
