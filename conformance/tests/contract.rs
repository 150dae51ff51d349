//! The live contract run, against the stand-in (which stands in for the live
//! API) and against a server that answers one case wrongly.

use conformance::contract::{self, Settings};
use conformance::fake::{DEMO_API_KEY, DEMO_NEWSLETTER_WIDGET, DEMO_PAC_UUID, Fake};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TEST_USER: &str = "contract-test@example.com";

fn settings(base_url: &str, allow_writes: bool) -> Settings {
    let vars = [
        ("PMP_API_KEY", DEMO_API_KEY.to_string()),
        ("PMP_PAC_UUID", DEMO_PAC_UUID.to_string()),
        ("PMP_WIDGET_UUID", DEMO_NEWSLETTER_WIDGET.to_string()),
        ("PMP_TEST_USER_ID", TEST_USER.to_string()),
    ];
    Settings::from_lookup(base_url, allow_writes, |name| {
        vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .unwrap()
}

#[tokio::test]
async fn the_read_only_run_passes_against_the_stand_in_and_writes_nothing() {
    let fake = Fake::start().await;
    let report = contract::run(&settings(&fake.url(), false)).await;
    assert!(report.passed(), "{report}");
    let cases: Vec<&str> = report.0.iter().map(|o| o.case.as_str()).collect();
    assert_eq!(
        cases,
        [
            "authenticate/201",
            "get_widget/200",
            "get_my_preferences/200",
            "get_preferences/200"
        ]
    );
    assert!(report.0[1].detail.contains("decoded by the client"), "{report}");
    assert!(fake.preference(TEST_USER, DEMO_NEWSLETTER_WIDGET).is_none());
    assert!(!report.to_string().contains(DEMO_API_KEY));
}

#[tokio::test]
async fn the_write_run_passes_and_cleans_up_after_itself() {
    let fake = Fake::start().await;
    let report = contract::run(&settings(&fake.url(), true)).await;
    assert!(report.passed(), "{report}");
    assert_eq!(report.0.len(), 8);
    assert!(report.to_string().ends_with("8 passed, 0 failed\n"), "{report}");
    assert!(
        fake.preference(TEST_USER, DEMO_NEWSLETTER_WIDGET).is_none(),
        "the run deleted what it wrote"
    );
    assert_eq!(report.to_json()["passed"], true);
}

#[tokio::test]
async fn a_non_conforming_answer_is_reported() {
    let server = MockServer::start().await;
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2ln";
    Mock::given(method("POST"))
        .and(path("/public/authenticate"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"token": token})))
        .mount(&server)
        .await;
    // `topics` must be an array, and `doubleOptIn` a boolean.
    Mock::given(method("GET"))
        .and(path(format!("/public/widgets/{DEMO_NEWSLETTER_WIDGET}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"uuid": DEMO_NEWSLETTER_WIDGET, "doubleOptIn": "yes", "topics": "none"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/public/preferences/my"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/public/preferences"))
        .respond_with(ResponseTemplate::new(418))
        .mount(&server)
        .await;

    let report = contract::run(&settings(&format!("{}/public", server.uri()), false)).await;
    assert!(!report.passed());
    let detail = |case: &str| {
        report
            .0
            .iter()
            .find(|o| o.case == case)
            .map(|o| (o.passed, o.detail.clone()))
            .unwrap()
    };
    assert!(detail("authenticate/201").0);
    let (passed, widget) = detail("get_widget/200");
    assert!(
        !passed && widget.contains("`/topics`") && widget.contains("`/doubleOptIn`"),
        "{widget}"
    );
    let (passed, mine) = detail("get_my_preferences/200");
    assert!(!passed && mine.contains("media type `text/html`"), "{mine}");
    let (passed, server_view) = detail("get_preferences/200");
    assert!(
        !passed && server_view.contains("expected a success, got 418"),
        "{server_view}"
    );
    assert!(report.to_string().ends_with("1 passed, 3 failed\n"), "{report}");
    assert!(!report.to_string().contains(token));
}

#[test]
fn missing_settings_are_named() {
    let problem = Settings::from_lookup("http://127.0.0.1:1/public", false, |name| {
        (name == "PMP_PAC_UUID").then(|| "not-a-uuid".to_string())
    })
    .err()
    .unwrap();
    for expected in [
        "PMP_API_KEY is not set",
        "PMP_PAC_UUID is not a UUID",
        "PMP_WIDGET_UUID is not set",
        "PMP_TEST_USER_ID is not set",
    ] {
        assert!(problem.contains(expected), "`{expected}` missing from: {problem}");
    }
}

#[test]
fn the_binary_without_credentials_says_what_to_set_and_fails() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pmp-contract"))
        .args(["--base-url", "http://127.0.0.1:1/public"])
        .env_remove("PMP_API_KEY")
        .env_remove("PMP_PAC_UUID")
        .env_remove("PMP_WIDGET_UUID")
        .env_remove("PMP_TEST_USER_ID")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.starts_with("error: PMP_API_KEY is not set") && said.contains("set PMP_API_KEY"),
        "{said}"
    );
    assert!(output.stdout.is_empty(), "nothing is reported as passing");
}
