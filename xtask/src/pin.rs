//! Stage 2, pin: the canonical form of the document in `openapi/`, its sha256
//! and where it came from, and atomic writes so a failed run changes nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const DOCUMENT: &str = "openapi/preference-api.json";
pub const RECORD: &str = "openapi/pin.json";
pub const GENERATED: &str = "client/src/generated.rs";

/// Sorted keys, two-space indent, trailing newline: the same document always
/// pins to the same bytes, whatever order the server wrote its keys in, so
/// diffs show only real changes.
pub fn canonical(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(document)).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Sorts explicitly rather than relying on `serde_json::Map` being a
/// `BTreeMap`: any crate in the build that enables `preserve_order` changes that.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The record next to the document: its source and digest.
pub fn record(source: &str, sha256: &str) -> String {
    canonical(&json!({
        "document": "preference-api.json",
        "source": source,
        "sha256": sha256,
    }))
}

/// The pinned document as text and as JSON (checked to be OpenAPI 3.0).
pub fn read_pinned(root: &Path) -> Result<(String, Value)> {
    let path = root.join(DOCUMENT);
    let text = std::fs::read_to_string(&path).with_context(|| format!("could not read {}", path.display()))?;
    let document = crate::fetch::decode(text.as_bytes(), DOCUMENT)?.document;
    Ok((text, document))
}

/// The sha256 the record claims, if it can be read.
pub fn recorded_sha256(root: &Path) -> Result<String> {
    let path = root.join(RECORD);
    let text = std::fs::read_to_string(&path).with_context(|| format!("could not read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    value
        .get("sha256")
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("{} has no sha256", path.display()))
}

/// Writes every file or none: each goes to a temporary file in its own folder
/// first, and only when all are written are they renamed into place.
pub fn write_all(root: &Path, files: &[(&str, &str)]) -> Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for (relative, contents) in files {
            let target = root.join(relative);
            let temporary = target.with_extension("regen-tmp");
            std::fs::write(&temporary, contents).with_context(|| format!("could not write {}", temporary.display()))?;
            staged.push((temporary, target));
        }
        for (temporary, target) in &staged {
            std::fs::rename(temporary, target).with_context(|| format!("could not replace {}", target.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (temporary, _) in &staged {
            let _ = std::fs::remove_file(temporary);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_key_order_and_whitespace() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"d": [1,2], "c": "ü"}}"#).unwrap();
        let b: Value = serde_json::from_str("{\"a\":{\"c\":\"ü\",\"d\":[1,2]},\"b\":1}").unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&a),
            "{\n  \"a\": {\n    \"c\": \"ü\",\n    \"d\": [\n      1,\n      2\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn sha256_is_hex_of_the_bytes() {
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn write_all_replaces_every_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("openapi")).unwrap();
        write_all(dir.path(), &[("openapi/a.json", "1"), ("openapi/b.json", "2")]).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("openapi/a.json")).unwrap(), "1");
        assert_eq!(std::fs::read_to_string(dir.path().join("openapi/b.json")).unwrap(), "2");
        let error = write_all(dir.path(), &[("openapi/a.json", "3"), ("missing/b.json", "4")]).unwrap_err();
        assert!(format!("{error:#}").contains("could not write"));
        assert_eq!(std::fs::read_to_string(dir.path().join("openapi/a.json")).unwrap(), "1");
        assert!(!dir.path().join("openapi/a.regen-tmp").exists());
    }
}
