//! Retries: which answers and methods, how many attempts, how long between
//! them, `Retry-After`, and POST only when asked.

mod common;

use std::time::{Duration, Instant};

use common::{builder, count, get_preferences, id, quick_retries, server};
use serde_json::json;
use usercentrics_pmp::{Call, CallOptions, Client, Error, retry::RetryPolicy, types};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PREFERENCES: &str = "/public/preferences";

fn ok_object() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"widgetUuid": common::ID, "answers": []}))
}

/// `times` answers of `first`, then `then` for good.
async fn answers(server: &MockServer, verb: &str, first: ResponseTemplate, times: u64, then: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(PREFERENCES))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(PREFERENCES))
        .respond_with(then)
        .mount(server)
        .await;
}

fn client(server: &MockServer, policy: RetryPolicy) -> Client {
    builder(server).retry(policy).build().unwrap()
}

fn save(client: &Client) -> usercentrics_pmp::builder::SavePreferences<'_> {
    client.save_preferences().pac_uuid(id()).x_user_id("u").body(body())
}

fn body() -> types::SavePreferencesRequest {
    types::SavePreferencesRequest {
        widget_uuid: id(),
        language: "en".into(),
        answers: vec![],
    }
}

#[tokio::test]
async fn retryable_statuses_are_retried_until_success() {
    for status in [429, 502, 503, 504] {
        let server = server().await;
        answers(&server, "GET", ResponseTemplate::new(status), 2, ok_object()).await;
        get_preferences(&client(&server, quick_retries(3)))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(count(&server, "GET", PREFERENCES).await, 3, "{status}");
    }
}

#[tokio::test]
async fn attempts_are_bounded_and_the_last_answer_is_returned() {
    let server = server().await;
    answers(&server, "GET", ResponseTemplate::new(503), 100, ok_object()).await;
    let error = get_preferences(&client(&server, quick_retries(4))).await.unwrap_err();
    assert!(matches!(&error, Error::Server(f) if f.status == 503), "{error:?}");
    assert_eq!(count(&server, "GET", PREFERENCES).await, 4);
}

#[tokio::test]
async fn other_failures_are_not_retried() {
    for status in [400, 401, 404, 500, 418] {
        let server = server().await;
        answers(&server, "GET", ResponseTemplate::new(status), 100, ok_object()).await;
        get_preferences(&client(&server, quick_retries(3))).await.unwrap_err();
        assert_eq!(count(&server, "GET", PREFERENCES).await, 1, "{status}");
    }
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = server().await;
    answers(
        &server,
        "GET",
        ResponseTemplate::new(200).set_delay(Duration::from_secs(5)),
        100,
        ok_object(),
    )
    .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(100))
        .retry(quick_retries(3))
        .build()
        .unwrap();
    let error = get_preferences(&client).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(count(&server, "GET", PREFERENCES).await, 3);
}

#[tokio::test]
async fn delete_is_retried_post_is_not_unless_asked() {
    let server = server().await;
    Mock::given(method("DELETE"))
        .and(path(PREFERENCES))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = client(&server, quick_retries(3));
    client
        .delete_user_preferences()
        .pac_uuid(id())
        .x_user_id("u")
        .call()
        .await
        .unwrap_err();
    assert_eq!(count(&server, "DELETE", PREFERENCES).await, 3);

    let server = self::server().await;
    answers(
        &server,
        "POST",
        ResponseTemplate::new(503),
        100,
        ResponseTemplate::new(201),
    )
    .await;
    let default = self::client(&server, quick_retries(3));
    let error = save(&default).call().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        count(&server, "POST", PREFERENCES).await,
        1,
        "POST is not retried by default"
    );

    save(&default)
        .call_with(CallOptions::new().retry_post(true))
        .await
        .unwrap_err();
    assert_eq!(count(&server, "POST", PREFERENCES).await, 4, "opted in for one call");
    save(&default).call().await.unwrap_err();
    assert_eq!(count(&server, "POST", PREFERENCES).await, 5, "only for that call");

    let opted_in = self::client(&server, quick_retries(3).retry_posts(true));
    save(&opted_in).call().await.unwrap_err();
    assert_eq!(count(&server, "POST", PREFERENCES).await, 8, "opted in for the client");
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = server().await;
    answers(&server, "GET", ResponseTemplate::new(503), 100, ok_object()).await;
    get_preferences(&client(&server, RetryPolicy::none()))
        .await
        .unwrap_err();
    assert_eq!(count(&server, "GET", PREFERENCES).await, 1);
}

#[tokio::test]
async fn retry_after_sets_the_wait() {
    let server = server().await;
    answers(
        &server,
        "GET",
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
        ok_object(),
    )
    .await;
    let started = Instant::now();
    get_preferences(&client(&server, quick_retries(3))).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(count(&server, "GET", PREFERENCES).await, 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_ends_retrying() {
    let server = server().await;
    answers(
        &server,
        "GET",
        ResponseTemplate::new(429).insert_header("retry-after", "120"),
        1,
        ok_object(),
    )
    .await;
    let started = Instant::now();
    let error = get_preferences(&client(
        &server,
        quick_retries(3).max_retry_after(Duration::from_secs(5)),
    ))
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    let Error::RateLimited { retry_after, .. } = error else {
        panic!("{error:?}")
    };
    assert_eq!(retry_after, Some(Duration::from_secs(120)));
    assert_eq!(count(&server, "GET", PREFERENCES).await, 1);
}

#[tokio::test]
async fn total_time_bounds_the_retries() {
    // Each wait is exactly 1 s (Retry-After); with 2.5 s in all, the third wait
    // would end past the bound, so three attempts are made, not ten.
    let server = server().await;
    answers(
        &server,
        "GET",
        ResponseTemplate::new(503).insert_header("retry-after", "1"),
        100,
        ok_object(),
    )
    .await;
    let policy = quick_retries(10).max_elapsed(Duration::from_millis(2500));
    let started = Instant::now();
    get_preferences(&client(&server, policy)).await.unwrap_err();
    assert_eq!(count(&server, "GET", PREFERENCES).await, 3);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn backoff_waits_stay_within_their_ceilings() {
    // Ceilings 40, 80 and 160 ms (max 160): four attempts wait at most 280 ms.
    let server = server().await;
    answers(&server, "GET", ResponseTemplate::new(503), 100, ok_object()).await;
    let policy = RetryPolicy::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(40))
        .max_backoff(Duration::from_millis(160));
    for _ in 0..3 {
        let started = Instant::now();
        get_preferences(&client(&server, policy.clone())).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(280 + 200), "{elapsed:?}");
    }
    assert_eq!(count(&server, "GET", PREFERENCES).await, 12);
}
