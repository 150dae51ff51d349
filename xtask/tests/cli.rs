//! `cargo xtask regen` and `cargo xtask diff` end to end: the real binary
//! against a local HTTP server and a copy of the workspace's pinned and
//! generated files. Nothing here touches the internet.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const FILES: [&str; 3] = [
    "openapi/preference-api.json",
    "openapi/pin.json",
    "client/src/generated.rs",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn pinned() -> Value {
    serde_json::from_str(&std::fs::read_to_string(workspace().join(FILES[0])).unwrap()).unwrap()
}

/// A copy of the files regen reads and writes, laid out as in the workspace.
fn copy_of_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in FILES {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(workspace().join(file), target).unwrap();
    }
    dir
}

fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walk(root)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(root).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() { walk(&path) } else { vec![path] }
        })
        .collect()
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    run("regen", root, args)
}

fn run(command: &str, root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg(command)
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Serves canned answers by path on a loopback port, one connection at a time.
fn serve(routes: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let path = read_request_path(&mut stream);
            let answer = routes.iter().find(|(p, _)| *p == path).map(|(_, a)| a.clone());
            let answer = answer.unwrap_or_else(|| response("404 Not Found", "text/plain", b"no route"));
            let _ = stream.write_all(&answer);
        }
    });
    format!("http://{address}")
}

fn read_request_path(stream: &mut TcpStream) -> String {
    let mut request = Vec::new();
    let mut buffer = [0; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    text(&request).split_whitespace().nth(1).unwrap_or("/").to_string()
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    answer
}

fn json(value: &Value) -> Vec<u8> {
    response(
        "200 OK",
        "application/json; charset=utf-8",
        serde_json::to_string(value).unwrap().as_bytes(),
    )
}

/// The pinned document with one new optional response field.
fn changed() -> Value {
    let mut document = pinned();
    document["components"]["schemas"]["ServerPreference"]["properties"]["retainedUntil"] =
        serde_json::json!({"type": "string"});
    document
}

fn routes() -> Vec<(&'static str, Vec<u8>)> {
    let good = serde_json::to_vec(&pinned()).unwrap();
    let mut v31 = pinned();
    v31["openapi"] = "3.1.0".into();
    let mut broken = pinned();
    broken["paths"]["/preferences/{preferenceUuid}"]["delete"]["responses"]["204"] =
        serde_json::json!({"description": "none"});
    broken["paths"]["/preferences/{preferenceUuid}"]["delete"]["responses"]["200"]["content"] =
        serde_json::json!({"application/json": {"schema": {"type": "string"}}});
    let mut truncated = response("200 OK", "application/json", &good);
    truncated.truncate(truncated.len() - good.len() / 2);
    vec![
        (
            "/public-api-doc-json",
            response("200 OK", "application/json; charset=utf-8", &good),
        ),
        ("/changed", json(&changed())),
        (
            "/public-api-doc",
            response(
                "200 OK",
                "text/html; charset=utf-8",
                b"<!DOCTYPE html><html><body>Swagger UI</body></html>",
            ),
        ),
        (
            "/down",
            response("503 Service Unavailable", "text/html", b"<html>down</html>"),
        ),
        ("/v31", json(&v31)),
        (
            "/swagger2",
            json(&serde_json::json!({"swagger": "2.0", "info": {}, "paths": {}})),
        ),
        ("/truncated", truncated),
        ("/text", response("200 OK", "text/plain", b"openapi: 3.0.0")),
        ("/broken", json(&broken)),
    ]
}

fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/public-api-doc-json")
}

#[test]
fn the_same_document_changes_nothing() {
    let base = serve(routes());
    let root = copy_of_workspace();
    let before = snapshot(root.path());

    let from_url = xtask(root.path(), &["--url", &format!("{base}/public-api-doc-json")]);
    assert!(from_url.status.success(), "{}", text(&from_url.stderr));
    assert!(
        text(&from_url.stdout).contains("unchanged: openapi/preference-api.json"),
        "{}",
        text(&from_url.stdout)
    );

    let pinned_file = root.path().join(FILES[0]);
    let from_file = xtask(root.path(), &["--spec", pinned_file.to_str().unwrap()]);
    assert!(from_file.status.success(), "{}", text(&from_file.stderr));

    // Key order and white space are not changes: the pin is canonical.
    let compact = root.path().join("compact.json");
    std::fs::write(&compact, serde_json::to_string(&pinned()).unwrap()).unwrap();
    let from_compact = xtask(root.path(), &["--spec", compact.to_str().unwrap()]);
    assert!(from_compact.status.success(), "{}", text(&from_compact.stderr));
    std::fs::remove_file(compact).unwrap();

    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn a_bad_source_fails_in_one_line_and_changes_nothing() {
    let base = serve(routes());
    let root = copy_of_workspace();
    let before = snapshot(root.path());
    let cases = [
        (
            format!("{base}/public-api-doc"),
            "served an HTML page, not the OpenAPI JSON document",
        ),
        (
            format!("{base}/down"),
            "answered HTTP 503 Service Unavailable; expected the OpenAPI JSON document",
        ),
        (format!("{base}/missing"), "answered HTTP 404 Not Found"),
        (
            format!("{base}/v31"),
            "is OpenAPI 3.1.0; progenitor needs OpenAPI 3.0.x",
        ),
        (
            format!("{base}/swagger2"),
            "is a Swagger 2.0 document; progenitor needs OpenAPI 3.0.x",
        ),
        (format!("{base}/truncated"), "could not read"),
        (format!("{base}/text"), "is not JSON"),
        (
            format!("{base}/broken"),
            "deletePreference (DELETE /preferences/{preferenceUuid}): success responses need one body type",
        ),
        (refused_url(), "could not connect"),
    ];
    for (url, expected) in cases {
        let output = xtask(root.path(), &["--url", &url]);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{url} should fail");
        assert_eq!(stderr.lines().count(), 1, "one line for {url}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{url}: expected `{expected}` in {stderr}"
        );
        assert_eq!(snapshot(root.path()), before, "{url} changed files");
    }
}

#[test]
fn a_truncated_file_is_named_as_such() {
    let root = copy_of_workspace();
    let before = snapshot(root.path());
    let cut = tempfile::NamedTempFile::new().unwrap();
    let full = std::fs::read(root.path().join(FILES[0])).unwrap();
    std::fs::write(cut.path(), &full[..full.len() / 2]).unwrap();
    let output = xtask(root.path(), &["--spec", cut.path().to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("is not a complete JSON document"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn a_changed_document_is_pinned_regenerated_and_summarized() {
    let base = serve(routes());
    let url = format!("{base}/changed");
    let (first, second) = (copy_of_workspace(), copy_of_workspace());
    for root in [&first, &second] {
        let output = xtask(root.path(), &["--url", &url]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        for line in [
            "wrote client/src/generated.rs",
            "wrote openapi/preference-api.json",
            "wrote openapi/pin.json",
            "compatible (2):",
            "GET /preferences: optional response 200 (oneOf 1) property `retainedUntil` added",
        ] {
            assert!(stdout.contains(line), "`{line}` missing from {stdout}");
        }
    }
    // Generation is deterministic: two runs, same bytes.
    assert_eq!(snapshot(first.path()), snapshot(second.path()));

    let root = first.path();
    let generated = std::fs::read_to_string(root.join(FILES[2])).unwrap();
    assert!(generated.contains("pub retained_until: ::std::option::Option<::std::string::String>"));
    let record: Value = serde_json::from_str(&std::fs::read_to_string(root.join(FILES[1])).unwrap()).unwrap();
    assert_eq!(record["source"], url.as_str());
    let document = std::fs::read_to_string(root.join(FILES[0])).unwrap();
    assert!(
        generated.contains(record["sha256"].as_str().unwrap()),
        "the header names the document's sha256"
    );
    assert!(
        document.ends_with("}\n") && document.starts_with("{\n  \"components\""),
        "canonical form"
    );

    let check = xtask(root, &["--check"]);
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn check_passes_on_the_workspace() {
    let output = xtask(&workspace(), &["--check"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("ok: client/src/generated.rs matches openapi/preference-api.json"));
}

#[test]
fn check_fails_with_a_diff_on_stale_code() {
    let root = copy_of_workspace();
    let generated = root.path().join(FILES[2]);
    let code = std::fs::read_to_string(&generated).unwrap();
    std::fs::write(
        &generated,
        code.replacen("pub mod types {", "pub mod types {\n    // edited by hand", 1),
    )
    .unwrap();
    let output = xtask(root.path(), &["--check"]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("-    // edited by hand"), "{stderr}");
    assert!(
        stderr.contains("error: client/src/generated.rs is stale against openapi/preference-api.json"),
        "{stderr}"
    );
}

#[test]
fn check_fails_on_a_hand_edited_document() {
    let root = copy_of_workspace();
    let document = root.path().join(FILES[0]);
    let original = std::fs::read_to_string(&document).unwrap();

    std::fs::write(&document, serde_json::to_string(&pinned()).unwrap()).unwrap();
    let output = xtask(root.path(), &["--check"]);
    assert!(
        text(&output.stderr).contains("is not in canonical form"),
        "{}",
        text(&output.stderr)
    );

    std::fs::write(
        &document,
        original.replacen("Generate an end-user JWT", "Generate a JWT", 1),
    )
    .unwrap();
    let output = xtask(root.path(), &["--check"]);
    assert!(
        text(&output.stderr).contains("openapi/pin.json records sha256"),
        "{}",
        text(&output.stderr)
    );

    // Re-pinning the edited file keeps the recorded source.
    let output = xtask(root.path(), &["--spec", document.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let record: Value = serde_json::from_str(&std::fs::read_to_string(root.path().join(FILES[1])).unwrap()).unwrap();
    let original_record: Value =
        serde_json::from_str(&std::fs::read_to_string(workspace().join(FILES[1])).unwrap()).unwrap();
    assert_eq!(record["source"], original_record["source"]);
    assert!(xtask(root.path(), &["--check"]).status.success());
}

fn diff(against: &Value, json: bool) -> (i32, String) {
    let root = copy_of_workspace();
    let file = root.path().join("other.json");
    std::fs::write(&file, serde_json::to_vec(against).unwrap()).unwrap();
    let mut args = vec!["--against", file.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    let output = run("diff", root.path(), &args);
    (
        output.status.code().unwrap(),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

#[test]
fn diff_of_the_pinned_document_against_itself_finds_nothing() {
    let (code, said) = diff(&pinned(), false);
    assert_eq!(code, 0, "{said}");
    assert!(said.ends_with("no API changes\n"), "{said}");
}

#[test]
fn diff_exits_1_on_a_new_required_request_field() {
    let mut document = pinned();
    let schema = &mut document["components"]["schemas"]["SavePreferencesRequest"];
    schema["properties"]["consentText"] = serde_json::json!({"type": "string"});
    schema["required"].as_array_mut().unwrap().push("consentText".into());
    let (code, said) = diff(&document, false);
    assert_eq!(code, 1, "{said}");
    for operation in ["POST /preferences", "POST /preferences/my"] {
        let line = format!("{operation}: required request body property `consentText` added");
        assert!(said.contains(&line), "`{line}` missing from:\n{said}");
    }
    assert!(said.contains("breaking (2):"), "{said}");
}

#[test]
fn diff_exits_0_on_a_new_optional_response_field_and_lists_it() {
    let (code, said) = diff(&changed(), false);
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("optional response 200 (oneOf 1) property `retainedUntil` added"),
        "{said}"
    );
    let (code, json) = diff(&changed(), true);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (report["breaking"].as_u64(), report["compatible"].as_u64()),
        (Some(0), Some(2)),
        "{report}"
    );
    assert_eq!(report["changes"][0]["operation"], "GET /preferences");
}

#[test]
fn diff_exits_2_when_it_cannot_compare() {
    let root = copy_of_workspace();
    let output = run("diff", root.path(), &["--against", &refused_url()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with("error: could not fetch"),
        "{}",
        text(&output.stderr)
    );
    let output = run("diff", root.path(), &["--against", "/no/such/file.json"]);
    assert_eq!(output.status.code(), Some(2));
}
