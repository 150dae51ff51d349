//! `cargo xtask contract`: runs the conformance crate's `pmp-contract`
//! binary, which holds the cases and the client; the xtask stays free of both.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The arguments of pmp-contract: --base-url URL, --allow-writes, --json
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(crate::workspace_root())
        .args([
            "run",
            "--quiet",
            "--package",
            "conformance",
            "--bin",
            "pmp-contract",
            "--",
        ])
        .args(&args.rest)
        .status()
        .context("could not run pmp-contract through cargo")?;
    // Its exit code is the answer: 0 passed, 1 a case failed, 2 settings missing.
    Ok(ExitCode::from(
        status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(2),
    ))
}
