//! `pmp-contract`: the conformance suite's read-only (and, with
//! `--allow-writes`, self-cleaning) cases against a real endpoint, every
//! answer checked against the pinned document. Usually run as
//! `cargo xtask contract --base-url URL`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use conformance::contract::{self, Settings};

#[derive(Parser)]
#[command(about = "Check a live PMP endpoint against the pinned API document")]
struct Args {
    /// The API's base URL, `/public` included
    #[arg(long, default_value = usercentrics_pmp::PRODUCTION_URL)]
    base_url: String,
    /// Also run the write cases, on PMP_TEST_USER_ID only; they delete what they wrote
    #[arg(long)]
    allow_writes: bool,
    /// Machine-readable report
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let settings = match Settings::from_lookup(&args.base_url, args.allow_writes, |name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::from(2);
        }
    };
    let report = contract::run(&settings).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("a JSON value serializes")
        );
    } else {
        print!("contract run against {}:\n{report}", settings.base_url);
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
