//! The benchmark behind `cargo xtask bench`: the client on its full path
//! against raw `reqwest` on the same minimal local server, interleaved round
//! by round so the machine's drift hits both sides alike; a Python
//! `requests` loop where one is available; token single flight; bulk upserts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Deserialize;
use serde_json::{Value, json};
use usercentrics_pmp::retry::RetryPolicy;
use usercentrics_pmp::{Call, Client, types};
use uuid::Uuid;

const API_KEY: &str = "bench-api-key";
const ID: &str = "1234abcd-22bb-33cc-44dd-12345678abcd";

fn id() -> Uuid {
    ID.parse().expect("ID is a UUID")
}

/// The answers, as documented, built once.
struct Bodies {
    server_view: Bytes,
    user_object: Bytes,
    token: Bytes,
}

fn bodies() -> Bodies {
    let answer = json!({"topicName": "Newsletter-Themen", "topicUuid": ID, "topicAnswerUuids": [ID, ID], "answerName": ["Produkt-News", "Angebote"]});
    let server_view = json!([{"uuid": ID, "widgetName": "Kommunikationspräferenzen", "widgetUuid": ID, "pending": false, "answers": [answer.clone(), answer]}]);
    let user_object = json!({"uuid": ID, "widgetId": ID, "pending": false,
        "answers": [{"topicUuid": ID, "topicAnswerUuids": [ID, ID]}],
        "createdAt": "2024-01-01T00:00:00", "updatedAt": "2024-01-01T00:00:00", "expiresAt": "2024-01-01T00:00:00"});
    // A token without `exp` lives the documented 8 hours: one fetch per session.
    let token = json!({"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl"});
    let bytes = |v: Value| Bytes::from(serde_json::to_vec(&v).expect("JSON serializes"));
    Bodies {
        server_view: bytes(server_view),
        user_object: bytes(user_object),
        token: bytes(token),
    }
}

/// The local server: hyper, HTTP/1.1 keep-alive, canned documented answers.
pub struct Server {
    /// Its base URL, `/public` included.
    pub url: String,
    authentications: Arc<AtomicUsize>,
}

impl Server {
    /// Starts it on a free loopback port, on a thread and runtime of its own
    /// so that it does not share the measured side's scheduler;
    /// `/authenticate` waits `auth_delay`.
    pub fn start(auth_delay: Duration) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/public", listener.local_addr()?);
        let authentications = Arc::new(AtomicUsize::new(0));
        let (count, bodies) = (authentications.clone(), Arc::new(bodies()));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                while let Ok((stream, _)) = listener.accept().await {
                    let (count, bodies) = (count.clone(), bodies.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                            let (count, bodies) = (count.clone(), bodies.clone());
                            async move { Ok::<_, Infallible>(answer(request, &bodies, &count, auth_delay).await) }
                        });
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Ok(Self { url, authentications })
    }

    /// How many `/authenticate` requests arrived.
    pub fn authentications(&self) -> usize {
        self.authentications.load(Ordering::SeqCst)
    }
}

async fn answer(
    request: Request<hyper::body::Incoming>,
    bodies: &Bodies,
    count: &AtomicUsize,
    auth_delay: Duration,
) -> Response<Full<Bytes>> {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    // Read the body, as a real server would.
    let _ = request.into_body().collect().await;
    let (status, body) = match (method.as_str(), path.as_str()) {
        ("GET", "/public/preferences") => (200, bodies.server_view.clone()),
        ("POST", "/public/preferences/my" | "/public/preferences") => (201, bodies.user_object.clone()),
        ("POST", "/public/authenticate") => {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(auth_delay).await;
            (201, bodies.token.clone())
        }
        _ => (404, Bytes::from_static(br#"{"statusCode":404,"message":"Not Found"}"#)),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// What a hand-written integration would decode into: the same fields as the
/// generated types, decoded and then not read.
#[allow(dead_code)]
mod raw {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Answer {
        pub topic_uuid: Uuid,
        #[serde(default)]
        pub topic_name: Option<String>,
        #[serde(default)]
        pub topic_answer_uuids: Vec<Uuid>,
        #[serde(default)]
        pub answer_name: Option<Value>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ServerPreference {
        pub uuid: Option<Uuid>,
        pub widget_uuid: Uuid,
        pub widget_name: Option<String>,
        pub pending: Option<bool>,
        pub answers: Vec<Answer>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct UserPreference {
        pub uuid: Uuid,
        pub widget_id: Option<Uuid>,
        pub pending: bool,
        pub answers: Vec<Answer>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
        pub expires_at: Option<String>,
    }
}

/// What a hand-written integration does with an answer: check, read, decode.
async fn decoded<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<(), String> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("status {status}"));
    }
    serde_json::from_slice::<T>(&bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Same settings on both sides: the client's defaults.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(usercentrics_pmp::config::DEFAULT_CONNECT_TIMEOUT)
        .timeout(usercentrics_pmp::config::DEFAULT_TIMEOUT)
        .user_agent("bench")
        .build()
        .expect("a plain reqwest client builds")
}

fn save_body() -> types::SavePreferencesRequest {
    let id = id();
    types::SavePreferencesRequest {
        widget_uuid: id,
        language: "en".into(),
        answers: vec![types::PreferenceAnswer {
            topic_uuid: id,
            topic_answer_uuids: vec![id, id],
        }],
    }
}

/// One measured side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `usercentrics-pmp`, full path.
    Ours,
    /// Hand-written `reqwest`.
    Raw,
}

/// The two measured operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `GET /preferences` with the API key.
    GetPreferences,
    /// `POST /preferences/my` with a bearer token.
    SaveMyPreferences,
}

impl Operation {
    /// The label in reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::GetPreferences => "GET /preferences",
            Self::SaveMyPreferences => "POST /preferences/my",
        }
    }
}

/// The clients of one run.
pub struct Clients {
    ours: Client,
    user: usercentrics_pmp::UserSession,
    raw: reqwest::Client,
    token: String,
    base: String,
}

impl Clients {
    /// Both sides against `server`, ours with `retry`; the user session's
    /// token is fetched first.
    pub async fn new(server: &Server, retry: RetryPolicy) -> Result<Self, usercentrics_pmp::Error> {
        let ours = Client::builder()
            .api_key(API_KEY)
            .base_url(&server.url)
            .retry(retry)
            .build()?;
        let user = ours.user(id(), "bench@example.com");
        let token = secrecy::ExposeSecret::expose_secret(&user.token().await?).to_string();
        Ok(Self {
            ours,
            user,
            raw: raw_client(),
            token,
            base: server.url.clone(),
        })
    }

    /// The user session's token, for the Python loop.
    pub fn token(&self) -> &str {
        &self.token
    }

    async fn once(&self, side: Side, operation: Operation) -> Result<(), String> {
        let id = id();
        match (side, operation) {
            (Side::Ours, Operation::GetPreferences) => {
                let found = self
                    .ours
                    .get_preferences()
                    .widget_uuid(id)
                    .x_user_id("bench@example.com")
                    .language("de")
                    .call()
                    .await;
                found.map(|_| ()).map_err(|e| e.to_string())
            }
            (Side::Ours, Operation::SaveMyPreferences) => self
                .user
                .save_my_preferences()
                .body(save_body())
                .call()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            (Side::Raw, Operation::GetPreferences) => {
                let response = self
                    .raw
                    .get(format!("{}/preferences", self.base))
                    .query(&[("widgetUuid", ID), ("language", "de")])
                    .header("accept", "application/json")
                    .header("x-api-key", API_KEY)
                    .header("x-user-id", "bench@example.com")
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                decoded::<Vec<raw::ServerPreference>>(response).await
            }
            (Side::Raw, Operation::SaveMyPreferences) => {
                let response = self
                    .raw
                    .post(format!("{}/preferences/my", self.base))
                    .header("accept", "application/json")
                    .header("authorization", format!("Bearer {}", self.token))
                    .json(&save_body())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                decoded::<raw::UserPreference>(response).await
            }
        }
    }

    /// `requests` calls at `concurrency`: requests per second and every latency.
    pub async fn round(
        &self,
        side: Side,
        operation: Operation,
        concurrency: usize,
        requests: usize,
    ) -> Result<Round, String> {
        let (started, cpu) = (Instant::now(), process_cpu());
        let latencies: Vec<Result<Duration, String>> = stream::iter(0..requests)
            .map(|_| async move {
                let sent = Instant::now();
                self.once(side, operation).await.map(|()| sent.elapsed())
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let elapsed = started.elapsed();
        let cpu = cpu
            .zip(process_cpu())
            .map(|(before, after)| after.saturating_sub(before));
        let mut latencies: Vec<Duration> = latencies.into_iter().collect::<Result<_, _>>()?;
        latencies.sort();
        let at = |q: f64| {
            latencies[((latencies.len() as f64 * q).ceil() as usize)
                .saturating_sub(1)
                .min(latencies.len() - 1)]
        };
        Ok(Round {
            rps: requests as f64 / elapsed.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
            cpu_per_request: cpu.map(|cpu| cpu.as_secs_f64() / requests as f64),
        })
    }
}

/// One round's figures.
#[derive(Clone, Copy, Debug)]
pub struct Round {
    /// Requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// CPU seconds per request, the client's and the local server's threads
    /// together: what throughput follows once the client is CPU-bound, and
    /// far less moved by a noisy machine than wall-clock time.
    pub cpu_per_request: Option<f64>,
}

/// CPU time of all threads of this process so far, from
/// `/proc/self/task/*/schedstat` (nanoseconds); `None` where that is missing.
pub fn process_cpu() -> Option<Duration> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        // A thread that ended meanwhile has no file left: skip it.
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("schedstat")) else {
            continue;
        };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// 1,000 concurrent first calls on one new session: how many `/authenticate`
/// requests reached the server, and how long serving all of them took.
pub async fn single_flight(server: &Server) -> Result<(usize, Duration), String> {
    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(&server.url)
        .build()
        .map_err(|e| e.to_string())?;
    let before = server.authentications();
    let user = client.user(id(), format!("first-{before}@example.com"));
    let started = Instant::now();
    let results =
        futures_util::future::join_all((0..1000).map(|_| user.save_my_preferences().body(save_body()).call())).await;
    let elapsed = started.elapsed();
    if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
        return Err(error.to_string());
    }
    Ok((server.authentications() - before, elapsed))
}

/// 10,000 users' upserts through `POST /preferences` at `url`, 64 at a time:
/// total time, requests per second, and this process's peak resident memory
/// (run it in a process of its own, so the figure is the client's alone).
pub async fn bulk(url: &str) -> Result<(Duration, f64, Option<u64>), String> {
    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(url)
        .build()
        .map_err(|e| e.to_string())?;
    let pac = id();
    let started = Instant::now();
    let failures = stream::iter(0..10_000)
        .map(|n| {
            let client = &client;
            async move {
                client
                    .save_preferences()
                    .pac_uuid(pac)
                    .x_user_id(format!("user-{n}@example.com"))
                    .body(save_body())
                    .call()
                    .await
            }
        })
        .buffer_unordered(64)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    let elapsed = started.elapsed();
    if failures > 0 {
        return Err(format!("{failures} of 10000 upserts failed"));
    }
    Ok((elapsed, 10_000.0 / elapsed.as_secs_f64(), peak_rss_kib()))
}

/// VmHWM of this process, in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A Python `requests.Session` loop making `requests` calls of `operation`
/// at concurrency 1: requests per second, or why it was skipped.
pub fn python(server: &Server, operation: Operation, requests: usize, token: &str) -> Result<f64, String> {
    let script = r#"
import json, sys, time, requests
base, op, n, key, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = requests.Session()
body = {"widgetUuid": "1234abcd-22bb-33cc-44dd-12345678abcd", "language": "en", "answers": [{"topicUuid": "1234abcd-22bb-33cc-44dd-12345678abcd", "topicAnswerUuids": ["1234abcd-22bb-33cc-44dd-12345678abcd", "1234abcd-22bb-33cc-44dd-12345678abcd"]}]}
start = time.perf_counter()
for _ in range(n):
    if op == "get":
        r = s.get(base + "/preferences", params={"widgetUuid": body["widgetUuid"], "language": "de"}, headers={"x-api-key": key, "x-user-id": "bench@example.com", "accept": "application/json"})
    else:
        r = s.post(base + "/preferences/my", json=body, headers={"authorization": "Bearer " + token, "accept": "application/json"})
    r.raise_for_status(); r.json()
print(n / (time.perf_counter() - start))
"#;
    let op = if operation == Operation::GetPreferences {
        "get"
    } else {
        "post"
    };
    let output = std::process::Command::new("python3")
        .args(["-c", script, &server.url, op, &requests.to_string(), API_KEY, token])
        .output()
        .map_err(|e| format!("python3 cannot run: {e}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(if said.contains("No module named 'requests'") {
            "python3 has no `requests`".into()
        } else {
            said.trim().lines().last().unwrap_or("failed").to_string()
        });
    }
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| "no figure from the Python loop".into())
}
