//! `cargo xtask regen`: fetch, pin, normalize, validate and generate, writing
//! nothing until every stage has succeeded; `--check` does the same offline
//! from the pinned document and compares.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{diff, fetch, generate, normalize, pin, validate};

#[derive(clap::Args)]
pub struct Args {
    /// Fetch the document from this URL [default: the live document]
    #[arg(long, conflicts_with = "spec")]
    url: Option<String>,
    /// Read the document from this JSON file instead of fetching it
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Regenerate in memory from the pinned document and fail, with a diff,
    /// if the checked-in client differs. Works offline.
    #[arg(long, conflicts_with_all = ["url", "spec"])]
    check: bool,
    /// The workspace to work on [default: this one]
    #[arg(long, hide = true)]
    root: Option<PathBuf>,
}

/// Everything a document turns into.
struct Built {
    canonical: String,
    sha256: String,
    generated: String,
}

fn build(document: &Value, quiet: bool) -> Result<Built> {
    let canonical = pin::canonical(document);
    let sha256 = pin::sha256(&canonical);
    let mut normalized = document.clone();
    for (step, change) in normalize::normalize(&mut normalized) {
        if !quiet {
            println!("normalize {step}: {change}");
        }
    }
    let (spec, operations) = validate::validate(&normalized)?;
    let generated = generate::generate(&spec, &operations, &normalized, &sha256)?;
    Ok(Built {
        canonical,
        sha256,
        generated,
    })
}

pub fn run(args: &Args) -> Result<()> {
    let root = args.root.clone().unwrap_or_else(crate::workspace_root);
    if args.check {
        return check(&root);
    }
    let fetched = match (&args.spec, &args.url) {
        (Some(path), _) => fetch::from_file(path)?,
        (None, url) => fetch::from_url(url.as_deref().unwrap_or(fetch::LIVE_URL))?,
    };
    let built = build(&fetched.document, false).with_context(|| format!("{} cannot be used", fetched.source))?;

    let old_document = std::fs::read_to_string(root.join(pin::DOCUMENT)).ok();
    let old_generated = std::fs::read_to_string(root.join(pin::GENERATED)).ok();
    let document_changed = old_document.as_deref() != Some(built.canonical.as_str());
    let record_stale = pin::recorded_sha256(&root).ok().as_deref() != Some(built.sha256.as_str());
    if !document_changed && !record_stale && old_generated.as_deref() == Some(built.generated.as_str()) {
        println!(
            "unchanged: {} (sha256 {}) and {} are up to date",
            pin::DOCUMENT,
            built.sha256,
            pin::GENERATED
        );
        return Ok(());
    }

    let mut files = vec![(pin::GENERATED, built.generated.clone())];
    if document_changed {
        files.push((pin::DOCUMENT, built.canonical.clone()));
    }
    if document_changed || record_stale {
        // An unchanged document, or the pinned file itself re-read after an
        // edit, did not come from anywhere new: keep the recorded source.
        let keep = !document_changed || is_pinned_file(&root, args.spec.as_deref());
        let source = keep.then(|| recorded_source(&root)).flatten().unwrap_or(fetched.source);
        files.push((pin::RECORD, pin::record(&source, &built.sha256)));
    }
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(path, text)| (*path, text.as_str())).collect();
    pin::write_all(&root, &borrowed)?;
    for (path, _) in &files {
        println!("wrote {path}");
    }

    if document_changed {
        match old_document.and_then(|text| serde_json::from_str::<Value>(&text).ok()) {
            Some(old) => print!(
                "API changes against the previous pin:\n{}",
                diff::compare(&old, &fetched.document)
            ),
            None => println!("no previous pin to compare with"),
        }
    }
    Ok(())
}

fn is_pinned_file(root: &Path, spec: Option<&Path>) -> bool {
    let canonical = |path: &Path| path.canonicalize().ok();
    spec.and_then(canonical)
        .is_some_and(|spec| Some(spec) == canonical(&root.join(pin::DOCUMENT)))
}

fn recorded_source(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(pin::RECORD)).ok()?;
    let record: Value = serde_json::from_str(&text).ok()?;
    record.get("source")?.as_str().map(str::to_string)
}

fn check(root: &Path) -> Result<()> {
    let (text, document) = pin::read_pinned(root)?;
    let built = build(&document, true).with_context(|| format!("{} cannot be used", pin::DOCUMENT))?;
    let regen = format!("run `cargo xtask regen --spec {}`", pin::DOCUMENT);
    if built.canonical != text {
        bail!("{} is not in canonical form: {regen}", pin::DOCUMENT);
    }
    let recorded = pin::recorded_sha256(root)?;
    if recorded != built.sha256 {
        bail!(
            "{} records sha256 {recorded} but the document's is {}: {regen}",
            pin::RECORD,
            built.sha256
        );
    }
    if build(&document, true)?.generated != built.generated {
        bail!(
            "generation is not deterministic: two runs on {} gave different code",
            pin::DOCUMENT
        );
    }
    let checked_in = std::fs::read_to_string(root.join(pin::GENERATED)).unwrap_or_default();
    if checked_in != built.generated {
        eprintln!("{}", unified_diff(&checked_in, &built.generated));
        bail!("{} is stale against {}: {regen}", pin::GENERATED, pin::DOCUMENT);
    }
    println!(
        "ok: {} matches {} (sha256 {})",
        pin::GENERATED,
        pin::DOCUMENT,
        built.sha256
    );
    Ok(())
}

/// A unified diff, cut to a readable length.
fn unified_diff(old: &str, new: &str) -> String {
    const MAX_LINES: usize = 200;
    let text = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{} (checked in)", pin::GENERATED),
            &format!("{} (regenerated)", pin::GENERATED),
        )
        .to_string();
    let total = text.lines().count();
    let mut shown: Vec<&str> = text.lines().take(MAX_LINES).collect();
    let more = format!("... {} more diff lines", total.saturating_sub(MAX_LINES));
    if total > MAX_LINES {
        shown.push(&more);
    }
    shown.join("\n")
}
