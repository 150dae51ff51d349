//! A user's session: the token is fetched lazily, cached until shortly before
//! its `exp`, fetched once for any number of waiting calls, and renewed once
//! when the server refuses it.

mod common;

use std::time::Duration;

use common::{ID, builder, client, count, get_preferences, id, jwt, server};
use futures_util::future::join_all;
use serde_json::json;
use usercentrics_pmp::{Call, Error};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AUTHENTICATE: &str = "/public/authenticate";
const MY: &str = "/public/preferences/my";

async fn issues(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(AUTHENTICATE))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"token": token})))
        .mount(server)
        .await;
}

async fn accepts(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path(MY))
        .and(header("authorization", format!("Bearer {token}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

async fn refuses(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path(MY))
        .and(header("authorization", format!("Bearer {token}")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"statusCode": 401, "message": "Unauthorized"})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_token_is_fetched_on_first_use_and_cached() {
    let server = server().await;
    let token = jwt(8 * 3600, "user");
    Mock::given(method("POST"))
        .and(path(AUTHENTICATE))
        .and(header("x-api-key", common::API_KEY))
        .and(body_json(json!({"pacUuid": ID, "userId": "user@company.com", "userPublicName": "Test User", "userEmail": "user@email.com"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"token": token})))
        .expect(1)
        .mount(&server)
        .await;
    accepts(&server, &token).await;

    let user = client(&server)
        .user(id(), "user@company.com")
        .public_name("Test User")
        .email("user@email.com");
    assert_eq!(
        count(&server, "POST", AUTHENTICATE).await,
        0,
        "nothing is fetched before the first call"
    );
    for _ in 0..3 {
        user.get_my_preferences().call().await.unwrap();
    }
    assert_eq!(count(&server, "GET", MY).await, 3);
    use secrecy::ExposeSecret;
    assert_eq!(user.token().await.unwrap().expose_secret(), token);
    server.verify().await;
}

#[tokio::test]
async fn an_expired_or_nearly_expired_token_is_renewed() {
    for (lifetime, margin, fetches) in [
        (-10, Duration::ZERO, 3),         // already expired: every call renews
        (30, Duration::from_secs(60), 3), // inside the renewal margin
        (30, Duration::ZERO, 1),          // still valid
    ] {
        let server = server().await;
        let token = jwt(lifetime, "user");
        issues(&server, &token).await;
        accepts(&server, &token).await;
        let client = builder(&server).token_renewal_margin(margin).build().unwrap();
        let user = client.user(id(), "u");
        for _ in 0..3 {
            user.get_my_preferences().call().await.unwrap();
        }
        assert_eq!(
            count(&server, "POST", AUTHENTICATE).await,
            fetches,
            "lifetime {lifetime}s, margin {margin:?}"
        );
    }
}

#[tokio::test]
async fn a_token_without_a_readable_exp_lives_the_documented_8_hours() {
    let server = server().await;
    issues(&server, "eyJhbG...erJY").await;
    accepts(&server, "eyJhbG...erJY").await;
    let user = client(&server).user(id(), "u");
    for _ in 0..3 {
        user.get_my_preferences().call().await.unwrap();
    }
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_calls_authenticate_once() {
    let server = server().await;
    let token = jwt(8 * 3600, "user");
    Mock::given(method("POST"))
        .and(path(AUTHENTICATE))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"token": token}))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    accepts(&server, &token).await;
    let user = client(&server).user(id(), "u");
    let results = join_all((0..1000).map(|_| user.get_my_preferences().call())).await;
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!(count(&server, "GET", MY).await, 1000);
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_authentication_reaches_every_waiter_and_is_not_cached() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(AUTHENTICATE))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"statusCode": 401, "message": "Invalid API key"}))
                .set_delay(Duration::from_millis(100)),
        )
        .mount(&server)
        .await;
    let user = client(&server).user(id(), "u");
    let results = join_all((0..50).map(|_| user.get_my_preferences().call())).await;
    for result in &results {
        let Err(Error::Unauthorized(failure)) = result else {
            panic!("expected Unauthorized, got {result:?}")
        };
        assert_eq!((failure.operation, failure.status.as_u16()), ("authenticate", 401));
        assert_eq!(failure.body.as_ref().unwrap().message, ["Invalid API key"]);
    }
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 1, "one flight for all 50");
    assert_eq!(count(&server, "GET", MY).await, 0);

    user.get_my_preferences().call().await.unwrap_err();
    assert_eq!(
        count(&server, "POST", AUTHENTICATE).await,
        2,
        "the failure was not cached"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_call_retried() {
    let server = server().await;
    let (old, new) = (jwt(8 * 3600, "old"), jwt(8 * 3600, "new"));
    Mock::given(method("POST"))
        .and(path(AUTHENTICATE))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"token": old})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    issues(&server, &new).await;
    refuses(&server, &old).await;
    accepts(&server, &new).await;

    let user = client(&server).user(id(), "u");
    user.get_my_preferences().call().await.unwrap();
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 2);
    assert_eq!(count(&server, "GET", MY).await, 2);
    // The renewed token is the cached one now.
    user.get_my_preferences().call().await.unwrap();
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 2);
}

#[tokio::test]
async fn a_second_refusal_is_returned_as_is() {
    let server = server().await;
    let token = jwt(8 * 3600, "user");
    issues(&server, &token).await;
    refuses(&server, &token).await;
    let user = client(&server).user(id(), "u");
    let error = user.get_my_preferences().call().await.unwrap_err();
    assert!(
        matches!(&error, Error::Unauthorized(f) if f.operation == "get_my_preferences"),
        "{error:?}"
    );
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 2);
    assert_eq!(count(&server, "GET", MY).await, 2);
}

#[tokio::test]
async fn a_given_token_is_used_as_is_and_never_renewed() {
    let server = server().await;
    let given = jwt(8 * 3600, "front-end");
    refuses(&server, &given).await;
    let user = client(&server).with_token(given.clone());
    let error = user.get_my_preferences().call().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(count(&server, "GET", MY).await, 1);
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 0);

    // A client with only a token (no API key) works for the user operations.
    let server = common::server().await;
    accepts(&server, &given).await;
    let front_end = usercentrics_pmp::Client::builder()
        .bearer_token(given)
        .base_url(format!("{}/public", server.uri()))
        .build()
        .unwrap();
    front_end.get_my_preferences().call().await.unwrap();
    let error = get_preferences(&front_end).await.unwrap_err();
    assert!(matches!(error, Error::MissingCredential { .. }), "{error:?}");
}

#[tokio::test]
async fn a_refusal_of_the_api_key_is_not_a_reason_to_renew() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/public/preferences"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"statusCode": 401, "message": "Unauthorized"})))
        .mount(&server)
        .await;
    let user = client(&server).user(id(), "u");
    let error = get_preferences(&user).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)));
    assert_eq!(count(&server, "GET", "/public/preferences").await, 1);
    assert_eq!(count(&server, "POST", AUTHENTICATE).await, 0);
}
