//! `--instructions`: what each layer of the client costs per request, in
//! instructions counted by callgrind. Time on a shared 2-core machine moves
//! by more than the few percent the targets are about; an instruction count
//! is the same run after run. Each case is this binary's `--profile` mode
//! under valgrind at two request counts, and the slope between them leaves
//! out start-up. The local server runs in the same process, so every figure
//! includes its share, alike on both sides.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::json;

const FEW: usize = 1000;
const MANY: usize = 4000;

/// The layers, each adding one thing to the row above: (label, side, flags).
const LAYERS: [(&str, &str, &[&str]); 4] = [
    ("raw reqwest", "raw", &[]),
    (
        "ours: generated code, hooks, credentials (no subscriber, retries off)",
        "ours",
        &["--no-tracing", "--no-retries"],
    ),
    (
        "+ retry policy on (GET keeps a copy of each request to send again)",
        "ours",
        &["--no-tracing"],
    ),
    (
        "+ a tracing subscriber that formats: the `pmp.request` span (full path)",
        "ours",
        &[],
    ),
];

const OPERATIONS: [(&str, &str); 2] = [("get", "GET /preferences"), ("post", "POST /preferences/my")];

/// Counts every layer of both operations, prints the table and writes
/// `instructions.json` and `instructions.md` under `out`.
pub fn run(out: &Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut counts = Vec::new();
    for (label, side, flags) in LAYERS {
        let mut per_operation = Vec::new();
        for (operation, _) in OPERATIONS {
            let case = format!("{side}-{operation}");
            let at = |requests| collected(&exe, &case, requests, flags);
            per_operation.push((at(MANY)?.saturating_sub(at(FEW)?)) as f64 / (MANY - FEW) as f64);
            eprintln!("counted {label}, {case}");
        }
        counts.push((label, per_operation));
    }

    let raw = counts[0].1.clone();
    let mut table = String::from("| instructions per request |");
    for (_, name) in OPERATIONS {
        let _ = write!(table, " {name} |");
    }
    table.push_str("\n|---|");
    table.push_str(&"---:|".repeat(OPERATIONS.len()));
    table.push('\n');
    for (label, per_operation) in &counts {
        let _ = write!(table, "| {label} |");
        for (count, raw) in per_operation.iter().zip(&raw) {
            let over = (count / raw - 1.0) * 100.0;
            let _ = if *label == LAYERS[0].0 {
                write!(table, " {count:.0} |")
            } else {
                write!(table, " {count:.0} ({over:+.1} % of raw) |")
            };
        }
        table.push('\n');
    }
    let summary = format!(
        "Instructions per request under callgrind (slope between {FEW} and {MANY} requests at concurrency 1, the local server's share included):\n\n{table}"
    );
    println!("{summary}");
    let report = json!({
        "requests": [FEW, MANY],
        "layers": counts.iter().map(|(label, per_operation)| json!({
            "layer": label,
            "instructions_per_request": OPERATIONS.iter().zip(per_operation).map(|((_, name), n)| (name.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });
    crate::write_out(
        out,
        "instructions.json",
        &serde_json::to_string_pretty(&report).expect("JSON serializes"),
    )?;
    crate::write_out(out, "instructions.md", &summary)
}

/// The instructions valgrind counted for `requests` calls of `case`.
fn collected(exe: &Path, case: &str, requests: usize, flags: &[&str]) -> Result<u64, String> {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["--profile", &requests.to_string(), "--profile-case", case])
        .args(flags)
        .output()
        .map_err(|e| format!("valgrind cannot run ({e}): install it (Debian: apt-get install valgrind)"))?;
    let said = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let last = said.trim().lines().last().unwrap_or("no message");
        return Err(format!("{case} under valgrind failed: {last}"));
    }
    said.lines()
        .find_map(|line| line.split("Collected : ").nth(1)?.trim().parse().ok())
        .ok_or_else(|| format!("valgrind reported no instruction count for {case}"))
}
