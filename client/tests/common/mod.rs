//! What the client's integration tests share: a mock server with a loud
//! catch-all, clients pointed at it, JWTs with a chosen expiry, and a writer
//! that captures a subscriber's output.
#![allow(dead_code)] // each test binary uses a part

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use usercentrics_pmp::{Call, Client, ClientBuilder, Error, retry::RetryPolicy, types};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const API_KEY: &str = "7b931a0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxa0d1";
pub const ID: &str = "1234abcd-22bb-33cc-44dd-12345678abcd";

pub fn id() -> uuid::Uuid {
    ID.parse().unwrap()
}

/// A server whose unmatched requests get a 418 naming them, so a test never
/// mistakes "nothing matched" for a documented 404.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(418).set_body_string(format!("unmatched: {} {}", request.method, request.url))
        })
        .with_priority(u8::MAX)
        .named("catch-all")
        .mount(&server)
        .await;
    server
}

pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .api_key(API_KEY)
        .base_url(format!("{}/public", server.uri()))
}

/// A client that never retries, so request counts are exact.
pub fn client(server: &MockServer) -> Client {
    builder(server).retry(RetryPolicy::none()).build().unwrap()
}

/// `GET /preferences` with placeholder parameters: the call most tests make.
pub async fn get_preferences(client: &Client) -> Result<types::ServerPreferences, Error> {
    client.get_preferences().widget_uuid(id()).x_user_id("u").call().await
}

/// A fast retry policy for tests.
pub fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(20))
}

/// An HS256-shaped JWT (signature not real) expiring `seconds` from now.
pub fn jwt(seconds: i64, subject: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let encode = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        encode(r#"{"alg":"HS256","typ":"JWT"}"#.into()),
        encode(format!(
            r#"{{"sub":"{subject}","pacUuid":"{ID}","exp":{}}}"#,
            now + seconds
        ))
    )
}

pub async fn count(server: &MockServer, method: &str, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .count()
}

/// A `MakeWriter` for tracing-subscriber that keeps everything written.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was written since the last call.
    pub fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
