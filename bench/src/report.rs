//! Results: a Markdown table row per measurement, as measured; JSON lines
//! for a results file; and the side-by-side table of Waypost against
//! another server (PostGraphile) read back from such a file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::load::Outcome;

const MIB: f64 = 1024.0 * 1024.0;

/// One scenario measured with one load generator.
#[derive(Debug, Clone)]
pub struct Row {
    pub target: String,
    /// Whether the target is another server (`--external`).
    pub external: bool,
    pub round: Option<u32>,
    pub scenario: &'static str,
    pub describe: &'static str,
    pub load: &'static str,
    pub outcome: Outcome,
    /// SQL statements per GraphQL request, from the server's metrics.
    pub statements: Option<f64>,
    /// The server's peak resident memory during the measurement.
    pub peak_bytes: Option<u64>,
    /// CPU taken, as a share of one core.
    pub server_cpu: Option<f64>,
    pub load_cpu: Option<f64>,
    /// CPU per request, in milliseconds: the server's own, and PostgreSQL's
    /// (every `postgres` process on the machine). Less noisy than req/s on a
    /// shared machine: a neighbour slows a request down but does not make
    /// it cost more.
    pub server_ms_per_request: Option<f64>,
    pub database_ms_per_request: Option<f64>,
}

pub const HEADER: &str = "| target | scenario | load | req/s | p50 ms | p99 ms | SQL/req | peak RSS MiB | server CPU | load-gen CPU | server CPU ms/req | DB CPU ms/req |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

impl Row {
    pub fn markdown(&self) -> String {
        let percent = |share: Option<f64>| or_dash(share.map(|s| format!("{:.0}%", 100.0 * s)));
        let ms = |cost: Option<f64>| or_dash(cost.map(|c| format!("{c:.2}")));
        format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} |",
            self.target,
            self.describe,
            self.load,
            self.outcome.rate(),
            self.outcome.p50_ms,
            self.outcome.p99_ms,
            or_dash(self.statements.map(|s| format!("{s:.1}"))),
            or_dash(self.peak_bytes.map(|b| format!("{:.0}", b as f64 / MIB))),
            percent(self.server_cpu),
            percent(self.load_cpu),
            ms(self.server_ms_per_request),
            ms(self.database_ms_per_request),
        )
    }

    fn json(&self) -> Value {
        json!({
            "target": self.target,
            "external": self.external,
            "round": self.round,
            "scenario": self.scenario,
            "describe": self.describe,
            "load": self.load,
            "requests": self.outcome.requests,
            "seconds": self.outcome.elapsed.as_secs_f64(),
            "rps": self.outcome.rate(),
            "p50_ms": self.outcome.p50_ms,
            "p99_ms": self.outcome.p99_ms,
            "sql_per_request": self.statements,
            "peak_mib": self.peak_bytes.map(|b| b as f64 / MIB),
            "server_cpu": self.server_cpu,
            "load_cpu": self.load_cpu,
            "server_ms_per_request": self.server_ms_per_request,
            "database_ms_per_request": self.database_ms_per_request,
        })
    }
}

/// Appends `row` to the results file as one JSON line.
pub fn append(path: &Path, row: &Row) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "{}", row.json())?;
    Ok(())
}

/// A measurement read back from a results file.
struct Measured {
    rps: f64,
    p99_ms: f64,
    peak_mib: Option<f64>,
}

fn read(value: &Value) -> Option<Measured> {
    Some(Measured {
        rps: value["rps"].as_f64()?,
        p99_ms: value["p99_ms"].as_f64()?,
        peak_mib: value["peak_mib"].as_f64(),
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// Waypost's rows beside the other server's, in the order they were
/// measured (the first Waypost run with the first of the other), with the
/// ratios the targets are stated in, and a mean per scenario.
pub fn compare(path: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    // (scenario, load) -> (Waypost's, the other's), in the order measured.
    type Key = (String, String, String);
    type Pairs = (Vec<Measured>, Vec<Measured>);
    let mut by: Vec<(Key, Pairs)> = Vec::new();
    let (mut ours, mut theirs) = (None, None);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line).context("a results line is not JSON")?;
        let target = value["target"].as_str().unwrap_or_default().to_owned();
        let external = value["external"].as_bool().unwrap_or(false);
        let label = if external { &mut theirs } else { &mut ours };
        match label {
            None => *label = Some(target.clone()),
            Some(seen) if *seen != target => bail!(
                "{} holds runs of {seen} and of {target}; compare one pair at a time",
                path.display()
            ),
            Some(_) => {}
        }
        let key = (
            value["scenario"].as_str().unwrap_or_default().to_owned(),
            value["describe"].as_str().unwrap_or_default().to_owned(),
            value["load"].as_str().unwrap_or_default().to_owned(),
        );
        let Some(measured) = read(&value) else {
            bail!("a results line lacks rps or p99_ms: {line}");
        };
        let index = match by.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                by.push((key, Pairs::default()));
                by.len() - 1
            }
        };
        let Some((_, entry)) = by.get_mut(index) else {
            continue;
        };
        if external {
            entry.1.push(measured);
        } else {
            entry.0.push(measured);
        }
    }
    let (Some(ours), Some(theirs)) = (ours, theirs) else {
        bail!(
            "{} needs runs of Waypost and of another server",
            path.display()
        );
    };
    let mut out = format!(
        "| scenario | load | run | {ours} req/s | {theirs} req/s | ratio | {ours} p99 ms | {theirs} p99 ms | p99 ratio | {ours} peak MiB | {theirs} peak MiB |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    let mib = |m: Option<f64>| or_dash(m.map(|m| format!("{m:.0}")));
    for ((_, describe, load), (w, p)) in &by {
        for (i, (w, p)) in w.iter().zip(p).enumerate() {
            out.push_str(&format!(
                "| {describe} | {load} | {} | {:.0} | {:.0} | {:.2}x | {:.2} | {:.2} | {:.2}x | {} | {} |\n",
                i + 1,
                w.rps,
                p.rps,
                w.rps / p.rps.max(f64::EPSILON),
                w.p99_ms,
                p.p99_ms,
                p.p99_ms / w.p99_ms.max(f64::EPSILON),
                mib(w.peak_mib),
                mib(p.peak_mib),
            ));
        }
        let pairs = w.len().min(p.len());
        let (Some(w_rps), Some(p_rps), Some(w_p99), Some(p_p99)) = (
            mean(w.iter().take(pairs).map(|m| m.rps)),
            mean(p.iter().take(pairs).map(|m| m.rps)),
            mean(w.iter().take(pairs).map(|m| m.p99_ms)),
            mean(p.iter().take(pairs).map(|m| m.p99_ms)),
        ) else {
            continue;
        };
        out.push_str(&format!(
            "| {describe} | {load} | mean | {w_rps:.0} | {p_rps:.0} | **{:.2}x** | {w_p99:.2} | {p_p99:.2} | **{:.2}x** | {} | {} |\n",
            w_rps / p_rps.max(f64::EPSILON),
            p_p99 / w_p99.max(f64::EPSILON),
            mib(w.iter().take(pairs).filter_map(|m| m.peak_mib).reduce(f64::max)),
            mib(p.iter().take(pairs).filter_map(|m| m.peak_mib).reduce(f64::max)),
        ));
    }
    out.push_str(&format!(
        "\nratio = {ours} req/s ÷ {theirs} req/s; p99 ratio = {theirs} p99 ÷ {ours} p99 (above 1: {ours} answers faster); peak RSS on the mean rows: the highest of the runs.\n"
    ));
    Ok(out)
}
