//! Project automation. `cargo xtask regen` pulls the API document, pins it,
//! validates and normalizes it, and regenerates the client; `--check` proves
//! offline that the checked-in client matches the pinned document.
#![forbid(unsafe_code)]

mod delegate;
mod diff;
mod fetch;
mod generate;
mod normalize;
mod pin;
mod regen;
mod untagged;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Project automation for the PMP client")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pull the API document, pin it into openapi/ and regenerate client/src/generated.rs.
    Regen(regen::Args),
    /// Compare the pinned document with another and classify the changes
    /// (exit 0: nothing breaking, 1: something breaking, 2: could not compare).
    Diff(diff::Args),
    /// Run the conformance cases against a live endpoint: --base-url URL, --allow-writes, --json
    /// (exit 0: all conform, 1: a case failed, 2: settings missing).
    Contract(delegate::Args),
    /// Build in release and compare the client with raw reqwest on a local server:
    /// --reps N, --requests N, --no-tracing (writes target/bench/report.json and
    /// summary.md); --instructions counts each layer's cost under callgrind.
    Bench(delegate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (result, failure) = match cli.command {
        Command::Regen(args) => (regen::run(&args).map(|()| ExitCode::SUCCESS), ExitCode::FAILURE),
        // A diff that could not compare exits 2, apart from 1 for "breaking".
        Command::Diff(args) => (diff::run(&args), ExitCode::from(2)),
        Command::Contract(args) => (delegate::run("pmp-contract", false, &args), ExitCode::from(2)),
        Command::Bench(args) => (delegate::run("pmp-bench", true, &args), ExitCode::from(2)),
    };
    result.unwrap_or_else(|error| {
        // `{:#}` joins the context chain on one line: what failed, then why.
        eprintln!("error: {error:#}");
        failure
    })
}

/// The workspace root: where `openapi/` and `client/` live.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits one level below the workspace root")
        .to_path_buf()
}
