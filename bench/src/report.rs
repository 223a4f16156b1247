//! The figures of a bench run, and where they go: a JSON document and a markdown table
//! in the results folder, each also copied to `latest.*`.

use std::{fmt::Write as _, path::Path, process::Command, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{options::Options, scenario::Scenario, tally::Measurement};

/// How a run applied load.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum Mode {
    /// N workers, each waiting for its answer before sending again.
    ClosedLoop { concurrency: usize },
    /// Requests due at a fixed rate, sent whatever the answers.
    OpenLoop { rate_per_sec: f64 },
}

impl Mode {
    pub fn label(&self) -> String {
        match self {
            Mode::ClosedLoop { concurrency } => format!("closed loop, {concurrency} workers"),
            Mode::OpenLoop { rate_per_sec } => format!("open loop, {rate_per_sec}/s"),
        }
    }
}

/// Latency percentiles in milliseconds, two decimals.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// One scenario under one mode.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFigures {
    pub scenario: String,
    pub mode: Mode,
    pub requests: u64,
    pub successes: u64,
    /// Non-2xx answers and transport errors.
    pub errors: u64,
    pub errors_by_kind: std::collections::BTreeMap<String, u64>,
    /// Successes per second of the run.
    pub throughput_per_sec: f64,
    /// Of successful requests; open loop: from the time each was due.
    pub latency_ms: Latency,
    pub elapsed_secs: f64,
    /// Open loop only: worst delay of the generator behind its own schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_lag_max_ms: Option<f64>,
}

impl RunFigures {
    pub fn new(scenario: Scenario, mode: Mode, measured: &Measurement) -> Self {
        let tally = &measured.tally;
        let h = &tally.latency_micros;
        let at = |q: f64| {
            if h.is_empty() {
                0.0
            } else {
                millis(h.value_at_quantile(q))
            }
        };
        let elapsed = measured.elapsed.as_secs_f64();
        Self {
            scenario: scenario.to_string(),
            mode,
            requests: tally.successes + tally.error_count(),
            successes: tally.successes,
            errors: tally.error_count(),
            errors_by_kind: tally.errors.clone(),
            throughput_per_sec: round2(tally.successes as f64 / elapsed.max(f64::EPSILON)),
            latency_ms: Latency {
                p50: at(0.50),
                p95: at(0.95),
                p99: at(0.99),
                max: if h.is_empty() { 0.0 } else { millis(h.max()) },
            },
            elapsed_secs: round2(elapsed),
            schedule_lag_max_ms: measured.schedule_lag_max.map(duration_millis),
        }
    }
}

/// The whole bench run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub started_at: DateTime<Utc>,
    pub target: String,
    pub cores: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    pub duration_secs: f64,
    pub warmup_secs: f64,
    pub spread_skus: u64,
    pub results: Vec<RunFigures>,
}

impl Report {
    pub fn new(options: &Options, started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            target: options.target.clone(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            git_commit: git_commit(),
            duration_secs: options.duration.as_secs_f64(),
            warmup_secs: options.warmup.as_secs_f64(),
            spread_skus: crate::scenario::SPREAD_SKUS,
            results: Vec::new(),
        }
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            md,
            "# inventory-api bench, {}\n\ntarget {}, {} cores, commit {}, {} s per run after {} s warm-up\n",
            self.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.target,
            self.cores,
            self.git_commit.as_deref().unwrap_or("unknown"),
            self.duration_secs,
            self.warmup_secs,
        );
        md.push_str(
            "| scenario | mode | throughput (ok/s) | p50 ms | p95 ms | p99 ms | max ms | errors | generator lag max ms |\n",
        );
        md.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for run in &self.results {
            let l = &run.latency_ms;
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
                run.scenario,
                run.mode.label(),
                run.throughput_per_sec,
                l.p50,
                l.p95,
                l.p99,
                l.max,
                run.errors,
                run.schedule_lag_max_ms
                    .map_or_else(|| "-".to_owned(), |lag| format!("{lag:.2}")),
            );
        }
        md.push_str(
            "\nLatency of successful requests only. Open loop measures from each request's due \
             time, so it includes the generator's own lag behind its schedule (timer resolution \
             is about 1 ms); a lag near the latencies means the generator, not the service, \
             was the limit.\n",
        );
        md
    }

    /// Writes `inventory-<timestamp>.{json,md}` and `latest.{json,md}` into `dir`;
    /// returns the path of the timestamped JSON.
    pub fn write(&self, dir: &Path) -> anyhow::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let stamp = self.started_at.format("%Y%m%dT%H%M%SZ");
        let json = serde_json::to_string_pretty(self).context("serializing the report")? + "\n";
        let markdown = self.markdown();
        let json_path = dir.join(format!("inventory-{stamp}.json"));
        for (path, text) in [
            (json_path.clone(), &json),
            (dir.join(format!("inventory-{stamp}.md")), &markdown),
            (dir.join("latest.json"), &json),
            (dir.join("latest.md"), &markdown),
        ] {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(json_path)
    }
}

/// The short commit of the working tree, if this runs inside a git checkout.
fn git_commit() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}

fn millis(micros: u64) -> f64 {
    round2(micros as f64 / 1000.0)
}

fn duration_millis(d: Duration) -> f64 {
    round2(d.as_secs_f64() * 1000.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scenario::Outcome, tally::Tally};

    #[test]
    fn figures_are_in_milliseconds_with_two_decimals_and_count_errors() {
        let mut tally = Tally::new();
        for micros in [1_234, 2_000, 3_000] {
            tally.record(Duration::from_micros(micros), Outcome::Success);
        }
        tally.record(Duration::from_millis(1), Outcome::Status(503));
        let measured = Measurement {
            tally,
            elapsed: Duration::from_secs(2),
            schedule_lag_max: Some(Duration::from_micros(1_506)),
        };
        let run = RunFigures::new(
            Scenario::StockReads,
            Mode::OpenLoop { rate_per_sec: 2.0 },
            &measured,
        );
        assert_eq!(run.requests, 4);
        assert_eq!(run.errors, 1);
        assert_eq!(run.throughput_per_sec, 1.5);
        assert_eq!(run.latency_ms.p50, 2.0);
        assert_eq!(run.latency_ms.max, 3.0);
        assert_eq!(run.schedule_lag_max_ms, Some(1.51));
    }
}
