//! `pmp-bench`: see `conformance::bench`. Run as `cargo xtask bench`, which
//! builds it in release. Prints a table, writes `target/bench/report.json`
//! and `target/bench/summary.md`, and checks the targets; `--instructions`
//! counts what each layer of the client costs instead (`instructions`).
#![forbid(unsafe_code)]

mod instructions;

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use conformance::bench::{self, Clients, Operation, Round, Server, Side};
use serde_json::{Value, json};
use usercentrics_pmp::retry::RetryPolicy;

#[derive(Parser)]
#[command(about = "The client's overhead against raw reqwest on a local server")]
struct Args {
    /// Repetitions of each measurement; figures are their medians
    #[arg(long, default_value_t = 15)]
    reps: usize,
    /// Requests per round at concurrency 1 (8 times as many at 64)
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Where the report goes
    #[arg(long, default_value = "target/bench")]
    out: std::path::PathBuf,
    /// Only run one side and operation at concurrency 1, this many times: a
    /// steady load to profile (`perf record`, `perf stat`), no report
    #[arg(long)]
    profile: Option<usize>,
    /// Install no tracing subscriber (to see what tracing costs)
    #[arg(long)]
    no_tracing: bool,
    /// Turn our client's retry policy off (to see what retrying costs)
    #[arg(long)]
    no_retries: bool,
    /// Count instructions per request of each layer under callgrind (needs
    /// valgrind) instead of timing; writes instructions.json and .md
    #[arg(long)]
    instructions: bool,
    /// With --profile: which side and operation
    #[arg(long, value_enum, default_value_t = ProfileCase::OursGet)]
    profile_case: ProfileCase,
    /// Run only the bulk upserts against this server and print the figures
    /// (the harness runs it as a child process, to measure its memory alone)
    #[arg(long, hide = true)]
    bulk_against: Option<String>,
}

/// What `--profile` runs.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ProfileCase {
    OursGet,
    OursPost,
    RawGet,
    RawPost,
}

impl ProfileCase {
    fn side_and_operation(self) -> (Side, Operation) {
        match self {
            Self::OursGet => (Side::Ours, Operation::GetPreferences),
            Self::OursPost => (Side::Ours, Operation::SaveMyPreferences),
            Self::RawGet => (Side::Raw, Operation::GetPreferences),
            Self::RawPost => (Side::Raw, Operation::SaveMyPreferences),
        }
    }
}

/// Median, min and max.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

fn spread(mut values: Vec<f64>) -> Spread {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Spread {
        median,
        min: values[0],
        max: values[n - 1],
    }
}

fn to_json(s: Spread) -> Value {
    json!({"median": s.median, "min": s.min, "max": s.max})
}

struct Measured {
    operation: Operation,
    concurrency: usize,
    rps: [Spread; 2],
    p50_us: [Spread; 2],
    p99_us: [Spread; 2],
    cpu_us: [Spread; 2],
    /// Ours over raw within each interleaved pair of rounds: drift between
    /// pairs cancels out, which a ratio of the two sides' medians keeps.
    rps_ratio: Spread,
    p99_ratio: Spread,
    cpu_ratio: Spread,
}

// One client thread beside the server's: no more busy threads than the two
// cores, so the OS scheduler adds less noise to either side (bulk runs in a
// process of its own).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.no_tracing {
        // The client's tracing is on, into a subscriber that formats and discards.
        tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    match run(&args).await {
        Ok(passed) => {
            if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// One bulk run in a child process: (seconds, req/s, peak RSS KiB).
fn bulk_in_child(url: &str) -> Result<(f64, f64, Option<f64>), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = std::process::Command::new(exe)
        .args(["--bulk-against", url])
        .output()
        .map_err(|e| e.to_string())?;
    let said = String::from_utf8_lossy(&output.stdout);
    let figures: Value = serde_json::from_str(said.trim()).map_err(|_| {
        format!(
            "the bulk run failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    Ok((
        figures["seconds"].as_f64().unwrap_or(0.0),
        figures["rps"].as_f64().unwrap_or(0.0),
        figures["peak_rss_kib"].as_f64(),
    ))
}

async fn run(args: &Args) -> Result<bool, String> {
    if let Some(url) = &args.bulk_against {
        let (elapsed, rps, rss) = bench::bulk(url).await?;
        println!(
            "{}",
            json!({"seconds": elapsed.as_secs_f64(), "rps": rps, "peak_rss_kib": rss})
        );
        return Ok(true);
    }
    if args.instructions {
        instructions::run(&args.out)?;
        return Ok(true);
    }
    let reps = args.reps.max(1);
    let server = Server::start(Duration::from_millis(50)).map_err(|e| format!("the local server cannot start: {e}"))?;
    let retry = if args.no_retries {
        RetryPolicy::none()
    } else {
        RetryPolicy::default()
    };
    let clients = Clients::new(&server, retry).await.map_err(|e| e.to_string())?;
    if let Some(requests) = args.profile {
        let (side, operation) = args.profile_case.side_and_operation();
        let round = clients.round(side, operation, 1, requests).await?;
        println!("{:.0} req/s, p50 {:?}, p99 {:?}", round.rps, round.p50, round.p99);
        return Ok(true);
    }
    let mut measured = Vec::new();
    for operation in [Operation::GetPreferences, Operation::SaveMyPreferences] {
        for concurrency in [1, 64] {
            let requests = if concurrency == 1 {
                args.requests
            } else {
                args.requests * 8
            };
            // Warm both sides' connection pools.
            for side in [Side::Ours, Side::Raw] {
                clients.round(side, operation, concurrency, requests / 4).await?;
            }
            let mut rounds: [Vec<Round>; 2] = [Vec::new(), Vec::new()];
            for rep in 0..reps {
                // Interleaved, alternating who goes first, so drift hits both alike.
                let order = if rep % 2 == 0 {
                    [Side::Ours, Side::Raw]
                } else {
                    [Side::Raw, Side::Ours]
                };
                for side in order {
                    let figures = clients.round(side, operation, concurrency, requests).await?;
                    rounds[if side == Side::Ours { 0 } else { 1 }].push(figures);
                }
            }
            let pick = |f: fn(&Round) -> f64| [0, 1].map(|i| spread(rounds[i].iter().map(f).collect()));
            let paired =
                |f: fn(&Round) -> f64| spread(rounds[0].iter().zip(&rounds[1]).map(|(o, r)| f(o) / f(r)).collect());
            measured.push(Measured {
                operation,
                concurrency,
                rps: pick(|r| r.rps),
                p50_us: pick(|r| r.p50.as_secs_f64() * 1e6),
                p99_us: pick(|r| r.p99.as_secs_f64() * 1e6),
                cpu_us: pick(|r| r.cpu_per_request.map_or(f64::NAN, |s| s * 1e6)),
                rps_ratio: paired(|r| r.rps),
                p99_ratio: paired(|r| r.p99.as_secs_f64()),
                cpu_ratio: paired(|r| r.cpu_per_request.unwrap_or(f64::NAN)),
            });
            eprintln!("measured {} at concurrency {concurrency}", operation.label());
        }
    }

    let python: Vec<(Operation, Result<f64, String>)> = [Operation::GetPreferences, Operation::SaveMyPreferences]
        .into_iter()
        .map(|operation| {
            (
                operation,
                bench::python(&server, operation, args.requests, clients.token()),
            )
        })
        .collect();

    let mut flights = Vec::new();
    for _ in 0..reps {
        flights.push(bench::single_flight(&server).await?);
    }
    let authentications: Vec<usize> = flights.iter().map(|(n, _)| *n).collect();
    let flight_ms = spread(flights.iter().map(|(_, d)| d.as_secs_f64() * 1e3).collect());

    let mut bulks = Vec::new();
    for _ in 0..reps {
        let url = server.url.clone();
        bulks.push(
            tokio::task::spawn_blocking(move || bulk_in_child(&url))
                .await
                .map_err(|e| e.to_string())??,
        );
    }
    let bulk_s = spread(bulks.iter().map(|b| b.0).collect());
    let bulk_rps = spread(bulks.iter().map(|b| b.1).collect());
    let bulk_rss = bulks
        .iter()
        .filter_map(|b| b.2)
        .map(|kib| kib / 1024.0)
        .collect::<Vec<_>>();
    let bulk_rss = (!bulk_rss.is_empty()).then(|| spread(bulk_rss));

    // The table.
    let mut table = String::new();
    let _ = writeln!(
        table,
        "| operation | concurrency | ours req/s | raw req/s | ratio | ours p50 µs | raw p50 µs | ours p99 µs | raw p99 µs | p99 ratio | ours CPU µs/req | raw CPU µs/req | CPU ratio |"
    );
    let _ = writeln!(
        table,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for m in &measured {
        let _ = writeln!(
            table,
            "| {} | {} | {:.0} | {:.0} | {:.3} ({:.2}–{:.2}) | {:.0} | {:.0} | {:.0} | {:.0} | {:.3} ({:.2}–{:.2}) | {:.1} | {:.1} | {:.3} ({:.2}–{:.2}) |",
            m.operation.label(),
            m.concurrency,
            m.rps[0].median,
            m.rps[1].median,
            m.rps_ratio.median,
            m.rps_ratio.min,
            m.rps_ratio.max,
            m.p50_us[0].median,
            m.p50_us[1].median,
            m.p99_us[0].median,
            m.p99_us[1].median,
            m.p99_ratio.median,
            m.p99_ratio.min,
            m.p99_ratio.max,
            m.cpu_us[0].median,
            m.cpu_us[1].median,
            m.cpu_ratio.median,
            m.cpu_ratio.min,
            m.cpu_ratio.max,
        );
    }
    let mut extra = String::new();
    for (operation, result) in &python {
        let _ = match result {
            Ok(rps) => writeln!(
                extra,
                "- Python `requests.Session`, {} at concurrency 1: {rps:.0} req/s",
                operation.label()
            ),
            Err(why) => writeln!(
                extra,
                "- Python `requests.Session`, {}: skipped ({why})",
                operation.label()
            ),
        };
    }
    let _ = writeln!(
        extra,
        "- Single flight: 1,000 concurrent first calls on a session made {:?} `/authenticate` request(s) per repetition; all served in {:.0} ms (median; min {:.0}, max {:.0}; the server takes 50 ms to authenticate)",
        authentications, flight_ms.median, flight_ms.min, flight_ms.max
    );
    let _ = writeln!(
        extra,
        "- Bulk: 10,000 upserts through `POST /preferences`, 64 at a time, in a client process of its own: {:.2} s, {:.0} req/s (medians){}",
        bulk_s.median,
        bulk_rps.median,
        bulk_rss.map_or(String::new(), |r| format!(
            ", peak resident memory {:.1} MB (median; max {:.1})",
            r.median, r.max
        ))
    );

    // The targets.
    let mut targets = Vec::new();
    for m in &measured {
        let ratio = m.rps_ratio.median;
        targets.push((
            format!("throughput ≥ 0.95 of raw, {} at {}", m.operation.label(), m.concurrency),
            ratio >= 0.95,
            format!("{ratio:.3}"),
        ));
        let p99 = m.p99_ratio.median;
        targets.push((
            format!("p99 ≤ 1.10 of raw, {} at {}", m.operation.label(), m.concurrency),
            p99 <= 1.10,
            format!("{p99:.3}"),
        ));
    }
    targets.push((
        "exactly one /authenticate for 1,000 first calls".into(),
        authentications.iter().all(|n| *n == 1),
        format!("{authentications:?}"),
    ));
    if let Some(rss) = bulk_rss {
        targets.push((
            "bulk peak resident memory < 50 MB".into(),
            rss.max < 50.0,
            format!("{:.1} MB", rss.max),
        ));
    } else {
        targets.push((
            "bulk peak resident memory < 50 MB".into(),
            false,
            "unmeasured (no /proc/self/status)".into(),
        ));
    }
    let mut checks = String::new();
    for (name, passed, figure) in &targets {
        let _ = writeln!(checks, "- {} {name}: {figure}", if *passed { "PASS" } else { "MISS" });
    }

    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                .split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .to_string()))
            .unwrap_or_else(|| "unknown CPU".into())
    );
    let summary = format!(
        "Measured with `cargo xtask bench` ({reps} repetitions; {machine}). Figures are medians; a ratio is the median, with its range, of ours/raw within each interleaved pair of rounds:\n\n{table}\n{extra}\nTargets:\n{checks}"
    );
    println!("{summary}");

    let report = json!({
        "machine": machine,
        "repetitions": reps,
        "comparisons": measured.iter().map(|m| json!({
            "operation": m.operation.label(),
            "concurrency": m.concurrency,
            "ours": {"rps": to_json(m.rps[0]), "p50_us": to_json(m.p50_us[0]), "p99_us": to_json(m.p99_us[0]), "cpu_us_per_request": to_json(m.cpu_us[0])},
            "raw": {"rps": to_json(m.rps[1]), "p50_us": to_json(m.p50_us[1]), "p99_us": to_json(m.p99_us[1]), "cpu_us_per_request": to_json(m.cpu_us[1])},
            "throughput_ratio": to_json(m.rps_ratio),
            "p99_ratio": to_json(m.p99_ratio),
            "cpu_ratio": to_json(m.cpu_ratio),
        })).collect::<Vec<_>>(),
        "python": python.iter().map(|(o, r)| json!({"operation": o.label(), "rps": r.as_ref().ok(), "skipped": r.as_ref().err()})).collect::<Vec<_>>(),
        "single_flight": {"authentications": authentications, "ms": to_json(flight_ms)},
        "bulk": {"seconds": to_json(bulk_s), "rps": to_json(bulk_rps), "peak_rss_mb": bulk_rss.map(to_json)},
        "targets": targets.iter().map(|(n, p, f)| json!({"target": n, "passed": p, "figure": f})).collect::<Vec<_>>(),
    });
    write_out(
        &args.out,
        "report.json",
        &serde_json::to_string_pretty(&report).expect("JSON serializes"),
    )?;
    write_out(&args.out, "summary.md", &summary)?;
    eprintln!("wrote {}/report.json and summary.md", args.out.display());
    Ok(targets.iter().all(|(_, passed, _)| *passed))
}

/// Writes `text` to `out/name`, creating `out`.
fn write_out(out: &std::path::Path, name: &str, text: &str) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    std::fs::write(out.join(name), text).map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))
}
