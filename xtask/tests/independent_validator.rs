//! The pinned document passes an independent OpenAPI 3.0 validator:
//! openapi-spec-validator from PyPI, installed into a virtual environment
//! under `target/` on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A virtual environment with the pinned requirements, made once per target
/// directory; reinstalled when the requirements change.
fn venv() -> Result<PathBuf, String> {
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("python-requirements.txt");
    let wanted =
        std::fs::read_to_string(&requirements).map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let marker = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    let run = |program: &Path, args: &[&str]| -> Result<(), String> {
        let output = Command::new(program).args(args).output().map_err(|e| {
            format!(
                "cannot run {}: {e} (is python3 with venv installed?)",
                program.display()
            )
        })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{} {}` failed: {}",
                program.display(),
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    };
    run(Path::new("python3"), &["-m", "venv", "--clear", venv.to_str().unwrap()])?;
    let pip = venv.join("bin/pip");
    run(
        &pip,
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements.to_str().unwrap(),
        ],
    )?;
    std::fs::write(&marker, wanted).map_err(|e| e.to_string())?;
    Ok(venv)
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
    let venv = venv().unwrap_or_else(|problem| panic!("openapi-spec-validator could not be installed: {problem}"));
    let (ok, said) = validate(&workspace().join("openapi/preference-api.json"), &venv);
    assert!(ok, "the pinned document fails openapi-spec-validator:\n{said}");

    // The validator does reject a broken document, so the pass above means something.
    let mut broken: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace().join("openapi/preference-api.json")).unwrap())
            .unwrap();
    broken["paths"]["/authenticate"]["post"]["responses"]["201"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&broken).unwrap()).unwrap();
    let (ok, said) = validate(file.path(), &venv);
    assert!(!ok, "a response without its required description passed:\n{said}");
}
