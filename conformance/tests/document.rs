//! The pinned document passes an independent OpenAPI 3.0 validator,
//! openapi-spec-validator from PyPI.

use std::path::{Path, PathBuf};
use std::process::Command;

fn document() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/preference-api.json")
}

fn validate(document: &Path, venv: &Path) -> (bool, String) {
    let output = Command::new(venv.join("bin/openapi-spec-validator"))
        .arg(document)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

#[test]
fn the_pinned_document_passes_openapi_spec_validator() {
    let venv = conformance::python::venv(Path::new(env!("CARGO_TARGET_TMPDIR")))
        .unwrap_or_else(|problem| panic!("openapi-spec-validator could not be installed: {problem}"));
    let (ok, said) = validate(&document(), &venv);
    assert!(ok, "the pinned document fails openapi-spec-validator:\n{said}");

    // The validator does reject a broken document, so the pass above means something.
    let mut broken: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(document()).unwrap()).unwrap();
    broken["paths"]["/authenticate"]["post"]["responses"]["201"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    let file = std::env::temp_dir().join(format!("broken-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&broken).unwrap()).unwrap();
    let (ok, said) = validate(&file, &venv);
    std::fs::remove_file(&file).ok();
    assert!(!ok, "a response without its required description passed:\n{said}");
}
