//! `cargo xtask contract` and `cargo xtask bench` run binaries of the
//! conformance crate, which holds the cases, the client and the benchmark;
//! the xtask stays free of them.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result};

/// The arguments, passed on as they are.
#[derive(clap::Args)]
pub struct Args {
    /// See `cargo run -p conformance --bin <name> -- --help`
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs `bin` of the conformance crate (built in release when asked) and
/// exits with its code.
pub fn run(bin: &str, release: bool, args: &Args) -> Result<ExitCode> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(crate::workspace_root())
        .args(["run", "--quiet", "--package", "conformance", "--bin", bin]);
    if release {
        command.arg("--release");
    }
    let status = command
        .arg("--")
        .args(&args.rest)
        .status()
        .with_context(|| format!("could not run {bin} through cargo"))?;
    Ok(ExitCode::from(
        status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(2),
    ))
}
