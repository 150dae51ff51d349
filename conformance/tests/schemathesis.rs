//! The stand-in agrees with our document: Schemathesis (from PyPI) runs every
//! check it has against the running stand-in with `openapi/preference-api.json`,
//! bounded in examples and time, and any failure fails this test.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use conformance::fake::{DEMO_PAC_UUID, Fake};
use secrecy::ExposeSecret;
use usercentrics_pmp::Client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_against_the_stand_in() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = tokio::task::spawn_blocking(move || conformance::python::venv(dir))
        .await
        .unwrap()
        .unwrap_or_else(|problem| {
            panic!("Schemathesis could not be installed, so the stand-in is unchecked: {problem}")
        });

    let fake = Fake::start().await;
    let client = Client::builder()
        .api_key(fake.api_key())
        .base_url(fake.url())
        .build()
        .unwrap();
    let token = client
        .user(DEMO_PAC_UUID, "schemathesis@example.com")
        .token()
        .await
        .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(venv.join("bin/schemathesis"));
    command
        .arg("--config-file")
        .arg(root.join("schemathesis.toml"))
        .arg("run")
        .arg(root.join("../openapi/preference-api.json"))
        .args(["--url", &fake.url()])
        .args(["--header", &format!("X-API-KEY: {}", fake.api_key())])
        .args(["--header", &format!("Authorization: Bearer {}", token.expose_secret())])
        .args(["--checks", "all"])
        // NestJS, which the real API runs on, answers an undeclared method with
        // 404 "Cannot TRACE /…", not 405, and the stand-in does the same.
        .args(["--exclude-checks", "unsupported_method"])
        .args([
            "--max-examples",
            "30",
            "--request-timeout",
            "5",
            "--seed",
            "1",
            "--workers",
            "1",
        ])
        .arg("--no-color");
    let output = tokio::task::spawn_blocking(move || bounded(command, Duration::from_secs(300)))
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Schemathesis found the stand-in and the document disagreeing:\n{said}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("Tested: 8"), "every operation was tested:\n{said}");
    // Warnings (e.g. that most generated saves break the widget's rules,
    // which no schema can state) are reported but are no failures.
    assert!(!said.contains("Failures:"), "{said}");
}

/// Runs `command`, killing it when it outlives `limit`.
fn bounded(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("schemathesis starts");
    // Both pipes are drained while it runs, so neither can fill up and block it.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            pipe.read_to_end(&mut text).ok();
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().ok();
            panic!("Schemathesis ran longer than {limit:?} and was stopped");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}
