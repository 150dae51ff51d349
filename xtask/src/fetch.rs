//! Stage 1, fetch: read the API document from a URL or a file and make sure it
//! is an OpenAPI 3.0.x JSON document before anything else looks at it.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Where the live service serves its document: a NestJS app with its Swagger
/// UI at `/public-api-doc` serves the JSON at `/public-api-doc-json`.
pub const LIVE_URL: &str = "https://preference-api.preference-management.usercentrics.eu/public-api-doc-json";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The reconstructed document is ~50 KB; anything past this is not an API document.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// A document as read, before canonical formatting.
pub struct Fetched {
    /// Where it came from, as recorded in the pin.
    pub source: String,
    pub document: Value,
}

pub fn from_url(url: &str) -> Result<Fetched> {
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(concat!("usercentrics-pmp-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("could not set up the HTTP client")?;
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .map_err(|e| anyhow::anyhow!("could not fetch {url}: {}", describe_transport(&e)))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered HTTP {status}; expected the OpenAPI JSON document");
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if let Some(length) = response.content_length()
        && length > MAX_BYTES
    {
        bail!("{url} sent {length} bytes, more than the {MAX_BYTES}-byte limit for an API document");
    }
    let body = read_limited(response, url)?;
    if content_type.starts_with("text/html") {
        bail!("{}", html_error(url));
    }
    decode(&body, url)
}

pub fn from_file(path: &Path) -> Result<Fetched> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("could not open {shown}"))?;
    let body = read_limited(file, &shown)?;
    decode(&body, &shown)
}

fn read_limited(reader: impl Read, source: &str) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    reader
        .take(MAX_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| anyhow::anyhow!("could not read {source}: {}", describe_io(&e)))?;
    if body.len() as u64 > MAX_BYTES {
        bail!("{source} is larger than the {MAX_BYTES}-byte limit for an API document");
    }
    Ok(body)
}

/// Parses the body and checks that it is an OpenAPI 3.0.x document.
pub fn decode(body: &[u8], source: &str) -> Result<Fetched> {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('<') {
        bail!("{}", html_error(source));
    }
    let document: Value = serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() {
            anyhow::anyhow!(
                "{source} is not a complete JSON document (it ends at line {} column {}); the transfer may have been cut",
                e.line(),
                e.column()
            )
        } else {
            anyhow::anyhow!("{source} is not JSON: {e}")
        }
    })?;
    check_version(&document, source)?;
    Ok(Fetched {
        source: source.to_string(),
        document,
    })
}

fn check_version(document: &Value, source: &str) -> Result<()> {
    let Some(object) = document.as_object() else {
        bail!("{source} is JSON but not an OpenAPI document (the top level is not an object)");
    };
    if let Some(swagger) = object.get("swagger") {
        bail!(
            "{source} is a Swagger {} document; progenitor needs OpenAPI 3.0.x",
            swagger.as_str().unwrap_or("2.x")
        );
    }
    match object.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.0.") => Ok(()),
        Some(version) => bail!("{source} is OpenAPI {version}; progenitor needs OpenAPI 3.0.x"),
        None => bail!("{source} is JSON but not an OpenAPI document (no `openapi` version field)"),
    }
}

fn html_error(source: &str) -> String {
    format!(
        "{source} served an HTML page, not the OpenAPI JSON document (a NestJS Swagger UI at /public-api-doc serves its JSON at /public-api-doc-json)"
    )
}

fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The innermost cause says most (e.g. "Connection refused").
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    format!("{kind} ({cause})")
}

fn describe_io(error: &std::io::Error) -> String {
    match error.get_ref() {
        Some(inner) => {
            let mut cause: &dyn std::error::Error = inner;
            while let Some(next) = cause.source() {
                cause = next;
            }
            format!("{error}: {cause}")
        }
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> String {
        match decode(body.as_bytes(), "doc") {
            Ok(_) => String::from("ok"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn accepts_openapi_3_0() {
        assert_eq!(message(r#"{"openapi":"3.0.3","info":{},"paths":{}}"#), "ok");
    }

    #[test]
    fn rejects_other_versions_and_shapes() {
        assert_eq!(
            message(r#"{"openapi":"3.1.0"}"#),
            "doc is OpenAPI 3.1.0; progenitor needs OpenAPI 3.0.x"
        );
        assert_eq!(
            message(r#"{"swagger":"2.0"}"#),
            "doc is a Swagger 2.0 document; progenitor needs OpenAPI 3.0.x"
        );
        assert!(message("[1]").contains("not an OpenAPI document"));
        assert!(message(r#"{"info":{}}"#).contains("no `openapi` version field"));
    }

    #[test]
    fn names_html_truncated_and_non_json_bodies() {
        assert!(message("<!DOCTYPE html><html></html>").contains("served an HTML page"));
        assert!(message(r#"{"openapi": "3.0.0", "paths": {"#).contains("not a complete JSON document"));
        assert!(message("openapi: 3.0.0").starts_with("doc is not JSON"));
    }
}
