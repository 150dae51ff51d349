//! The `pmp.request` span: one per call, at INFO, with the operation, its
//! method and path template and the answer's status; `attempts` only when
//! the request was sent more than once (as OpenTelemetry's
//! `http.request.resend_count`). Its duration is the call's latency.

mod common;

use common::{Captured, builder, get_preferences, quick_retries, server};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use usercentrics_pmp::{Call, Client};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// The one closed `pmp.request` span written while `call` ran
/// (single-threaded runtime, so a thread-local subscriber sees every poll).
async fn span_of<F: std::future::Future<Output = ()>>(call: F) -> String {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    call.await;
    let written = captured.take();
    let spans: Vec<&str> = written
        .lines()
        .filter(|line| line.contains("pmp.request{") && line.contains("close"))
        .collect();
    let [span] = spans[..] else {
        panic!("one span per call, whatever its attempts: {spans:#?}")
    };
    span.to_string()
}

#[tokio::test]
async fn a_call_sent_once_has_its_operation_route_and_status() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/public/preferences"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let span = span_of(async { get_preferences(&client).await.map(drop).unwrap() }).await;
    assert!(
        span.contains("pmp.request{operation=get_preferences method=GET path=/preferences status=200}"),
        "{span}"
    );
    assert!(span.contains(" INFO ") && span.contains("time.busy="), "{span}");
}

#[tokio::test]
async fn a_resent_call_records_its_attempts_and_the_last_status() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = builder(&server).retry(quick_retries(3)).build().unwrap();
    let span = span_of(async { get_preferences(&client).await.map(drop).unwrap() }).await;
    assert!(span.contains("path=/preferences attempts=3 status=200}"), "{span}");
}

#[tokio::test]
async fn a_call_that_got_no_answer_has_no_status() {
    // A port that was free a moment ago: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .api_key("k")
        .base_url(format!("http://127.0.0.1:{port}/public"))
        .retry(quick_retries(2))
        .build()
        .unwrap();
    let span = span_of(async {
        client
            .delete_preference()
            .preference_uuid(uuid::Uuid::nil())
            .call()
            .await
            .unwrap_err();
    })
    .await;
    assert!(
        span.contains(
            "pmp.request{operation=delete_preference method=DELETE path=/preferences/{preferenceUuid} attempts=2}"
        ),
        "{span}"
    );
}
