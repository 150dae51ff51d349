//! The Python tools the conformance tests use (openapi-spec-validator,
//! Schemathesis), installed from PyPI into a virtual environment under
//! `target/` on first use, so that the test command needs no set-up step.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The pinned requirements, `conformance/python-requirements.txt`.
pub const REQUIREMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python-requirements.txt");

static INSTALLING: Mutex<()> = Mutex::new(());

/// A virtual environment in `dir` with the pinned requirements installed,
/// reinstalled when they change; `Err` says why it could not be made.
pub fn venv(dir: &Path) -> Result<PathBuf, String> {
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let wanted = std::fs::read_to_string(REQUIREMENTS).map_err(|e| format!("cannot read {REQUIREMENTS}: {e}"))?;
    let venv = dir.join("python-venv");
    let marker = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    let venv_arg = venv.to_str().ok_or("the target directory's path is not UTF-8")?;
    run(Path::new("python3"), &["-m", "venv", "--clear", venv_arg])?;
    run(
        &venv.join("bin/pip"),
        &["install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
    )?;
    std::fs::write(&marker, wanted).map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(venv)
}

fn run(program: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program).args(args).output().map_err(|e| {
        format!(
            "cannot run {}: {e} (is python3 with its venv module installed?)",
            program.display()
        )
    })?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "`{} {}` failed: {}",
        program.display(),
        args.join(" "),
        said.trim()
    ))
}
