//! `pmp-fake`: the local stand-in for the Preference API, on a fixed port,
//! logging each request. `cargo run -p conformance --bin pmp-fake -- --port 4010`
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use conformance::fake::{self, Fake, FakeOptions, Fixture};

#[derive(Parser)]
#[command(about = "A local, stateful stand-in for the Usercentrics PMP public API")]
struct Args {
    /// The loopback port to listen on
    #[arg(long, default_value_t = 4010)]
    port: u16,
    /// Seed from this JSON file instead of the demo (shape: conformance/fixtures/demo.json)
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds
    #[arg(long, default_value_t = 8 * 3600)]
    token_lifetime: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let args = Args::parse();
    let fixture = match &args.fixture {
        None => Fixture::demo(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Fixture::from_json(&t).map_err(|e| e.to_string()))
        {
            Ok(fixture) => fixture,
            Err(error) => {
                eprintln!("error: cannot use the fixture {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        },
    };
    let options = FakeOptions {
        fixture,
        token_lifetime: Duration::from_secs(args.token_lifetime),
        port: Some(args.port),
    };
    let fake = match Fake::start_with(options).await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!(
                "error: cannot listen on 127.0.0.1:{}: {error} (choose another with --port)",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    println!("PMP stand-in listening on {}", fake.url());
    println!("  PMP_BASE_URL={}", fake.url());
    if args.fixture.is_none() {
        println!(
            "  PMP_API_KEY={}  (demo key; owner owner@demo-shop.example)",
            fake::DEMO_API_KEY
        );
        println!(
            "  PMP_PAC_UUID={}  (Demo Shop, English and German)",
            fake::DEMO_PAC_UUID
        );
        println!(
            "  PMP_WIDGET_UUID={}  (Newsletter, double opt-in)",
            fake::DEMO_NEWSLETTER_WIDGET
        );
    }
    println!("Ctrl-C stops it.");
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
