//! The figures of a bench run, and where they go: one JSON document and one markdown
//! table (see `table`) in the results folder, each also copied to `latest.*`.
//!
//! The services' runs and the reference limits measured on the same machine sit in the
//! same report, so that every run is read against what PostgreSQL or RabbitMQ alone
//! manage there (see `comparison` and `goal`). Each run also carries how quiet the
//! system was when it started (`settle`) and what the processes used over it
//! (`process_use`), so a figure can be told from the conditions it was taken in.

use std::{path::Path, process::Command, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::{
    comparison::{self, Comparison},
    facade_hop::{self, HopCost},
    goal::{self, GoalCheck, ServiceLevelCheck},
    limits::LimitFigures,
    options::Options,
    process_use::Resources,
    scenario::Scenario,
    settle::QuietStart,
    tally::Measurement,
};

/// How a run applied load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
    /// As fast as the other side confirms, with at most `in_flight` unconfirmed.
    FlatOut { in_flight: usize },
}

impl Mode {
    pub fn label(&self) -> String {
        match self {
            Mode::ClosedLoop { concurrency } => format!("closed loop, {concurrency} workers"),
            Mode::OpenLoop { rate_per_sec } => format!("open loop, {rate_per_sec}/s"),
            Mode::FlatOut { in_flight } => format!("flat out, {in_flight} unconfirmed"),
        }
    }
}

/// Latency percentiles in milliseconds, two decimals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// The percentiles of a histogram of microseconds; all zero when it is empty.
    pub fn of(micros: &Histogram<u64>) -> Self {
        let at = |q: f64| {
            if micros.is_empty() {
                0.0
            } else {
                millis(micros.value_at_quantile(q))
            }
        };
        Self {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: if micros.is_empty() {
                0.0
            } else {
                millis(micros.max())
            },
        }
    }
}

/// One scenario of the services under one mode.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFigures {
    pub scenario: Scenario,
    pub mode: Mode,
    /// The service the requests went to, where the facade hop names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'static str>,
    pub requests: u64,
    pub successes: u64,
    /// Non-2xx answers and transport errors.
    pub errors: u64,
    pub errors_by_kind: std::collections::BTreeMap<String, u64>,
    /// Successes per second of the run; for a closed loop, the throughput it sustains.
    pub throughput_per_sec: f64,
    /// Of successful requests; open loop: from the time each was due.
    pub latency_ms: Latency,
    pub elapsed_secs: f64,
    /// Open loop only: worst delay of the generator behind its own schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_lag_max_ms: Option<f64>,
    /// This run against the reference limit it is read with, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_limit: Option<Comparison>,
    /// The goal the specification sets for this run, where it sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<GoalCheck>,
    /// How long the wait for a quiet system took before the run, and what it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_start: Option<QuietStart>,
    /// CPU and memory of the system's processes over the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

impl RunFigures {
    pub fn new(scenario: Scenario, mode: Mode, measured: &Measurement) -> Self {
        let tally = &measured.tally;
        let elapsed = measured.elapsed.as_secs_f64();
        Self {
            scenario,
            mode,
            via: None,
            requests: tally.successes + tally.error_count(),
            successes: tally.successes,
            errors: tally.error_count(),
            errors_by_kind: tally.errors.clone(),
            throughput_per_sec: per_second(tally.successes, measured.elapsed),
            latency_ms: Latency::of(&tally.latency_micros),
            elapsed_secs: round2(elapsed),
            schedule_lag_max_ms: measured.schedule_lag_max.map(duration_millis),
            vs_limit: None,
            goal: None,
            quiet_start: None,
            resources: None,
        }
    }

    /// With how the run started and what it used.
    pub fn under(mut self, quiet_start: QuietStart, resources: Resources) -> Self {
        self.quiet_start = Some(quiet_start);
        self.resources = Some(resources);
        self
    }

    /// The scenario, and the service it went to when named: `stock_reads via inventory-api`.
    pub fn work(&self) -> String {
        match self.via {
            Some(via) => format!("{} via {via}", self.scenario),
            None => self.scenario.to_string(),
        }
    }

    /// `spread_reservations, open loop, 2000/s`.
    pub fn label(&self) -> String {
        format!("{}, {}", self.work(), self.mode.label())
    }
}

/// The best a scenario sustained among its closed-loop runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peak {
    pub scenario: Scenario,
    pub concurrency: usize,
    pub throughput_per_sec: f64,
    pub p99_ms: f64,
}

/// The whole bench run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub started_at: DateTime<Utc>,
    pub target: String,
    /// `std::thread::available_parallelism` of the machine that ran everything.
    pub cores: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    pub duration_secs: f64,
    pub warmup_secs: f64,
    pub spread_skus: u64,
    /// The services' runs.
    pub results: Vec<RunFigures>,
    /// PostgreSQL and RabbitMQ alone, on the same machine, in the same run.
    pub limits: Vec<LimitFigures>,
    /// Per scenario, its best closed-loop throughput.
    pub peaks: Vec<Peak>,
    /// The service levels (SLA), read on every fixed-rate run of their paths.
    pub service_levels: Vec<ServiceLevelCheck>,
    /// What inventory-api's hop costs, from the facade hop's pairs of runs.
    pub facade_hops: Vec<HopCost>,
    /// The processes at rest before any load (after the first quiet start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle: Option<Resources>,
    /// The wait for quiet before the reference limits, when the services ran first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits_quiet_start: Option<QuietStart>,
    /// What could not be measured, and how the limits were taken.
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(options: &Options, started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            target: options.target.clone(),
            cores: cores(),
            git_commit: git_commit(),
            duration_secs: options.duration.as_secs_f64(),
            warmup_secs: options.warmup.as_secs_f64(),
            spread_skus: crate::scenario::SPREAD_SKUS,
            results: Vec::new(),
            limits: Vec::new(),
            peaks: Vec::new(),
            service_levels: Vec::new(),
            facade_hops: Vec::new(),
            idle: None,
            limits_quiet_start: None,
            notes: Vec::new(),
        }
    }

    /// Reads every run against its limit, its goal and its service level, finds the
    /// peaks and the facade hop's cost. Call once all figures are in.
    pub fn conclude(&mut self) {
        comparison::annotate(&mut self.results, &self.limits);
        self.peaks = peaks(&self.results);
        // With no run of the services (`--only limits`) there is nothing to read them on.
        if !self.results.is_empty() {
            self.service_levels = goal::check_service_levels(&self.results);
        }
        self.facade_hops = facade_hop::costs(&self.results);
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

/// Per scenario, in the order first seen, the closed-loop run with the most throughput.
pub fn peaks(results: &[RunFigures]) -> Vec<Peak> {
    let mut peaks: Vec<Peak> = Vec::new();
    for run in results {
        let Mode::ClosedLoop { concurrency } = run.mode else {
            continue;
        };
        let candidate = Peak {
            scenario: run.scenario,
            concurrency,
            throughput_per_sec: run.throughput_per_sec,
            p99_ms: run.latency_ms.p99,
        };
        match peaks.iter_mut().find(|p| p.scenario == run.scenario) {
            Some(best) if best.throughput_per_sec < candidate.throughput_per_sec => {
                *best = candidate;
            }
            Some(_) => {}
            None => peaks.push(candidate),
        }
    }
    peaks
}

/// The cores this process may use, as the standard library sees them.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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

/// Events per second over `elapsed`, two decimals.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    round2(count as f64 / elapsed.as_secs_f64().max(f64::EPSILON))
}

pub fn millis(micros: u64) -> f64 {
    round2(micros as f64 / 1000.0)
}

pub fn duration_millis(d: Duration) -> f64 {
    round2(d.as_secs_f64() * 1000.0)
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scenario::Outcome, tally::Tally};

    fn measured(micros: &[u64], errors: u64) -> Measurement {
        let mut tally = Tally::new();
        for m in micros {
            tally.record(Duration::from_micros(*m), Outcome::Success);
        }
        for _ in 0..errors {
            tally.record(Duration::from_millis(1), Outcome::Status(503));
        }
        Measurement {
            tally,
            elapsed: Duration::from_secs(2),
            schedule_lag_max: Some(Duration::from_micros(1_506)),
        }
    }

    #[test]
    fn figures_are_in_milliseconds_with_two_decimals_and_count_errors() {
        let run = RunFigures::new(
            Scenario::StockReads,
            Mode::OpenLoop { rate_per_sec: 2.0 },
            &measured(&[1_234, 2_000, 3_000], 1),
        );
        assert_eq!(run.requests, 4);
        assert_eq!(run.errors, 1);
        assert_eq!(run.throughput_per_sec, 1.5);
        assert_eq!(run.latency_ms.p50, 2.0);
        assert_eq!(run.latency_ms.p95, 3.0);
        assert_eq!(run.latency_ms.max, 3.0);
        assert_eq!(run.schedule_lag_max_ms, Some(1.51));
    }

    #[test]
    fn an_empty_histogram_has_zero_latencies() {
        let latency = Latency::of(&Tally::new().latency_micros);
        assert_eq!(latency.p99, 0.0);
        assert_eq!(latency.max, 0.0);
    }

    #[test]
    fn the_peak_of_a_scenario_is_its_best_closed_loop_run() {
        let run =
            |scenario, mode, micros: &[u64]| RunFigures::new(scenario, mode, &measured(micros, 0));
        let results = [
            run(
                Scenario::HotReservations,
                Mode::ClosedLoop { concurrency: 4 },
                &[1_000; 4],
            ),
            run(
                Scenario::HotReservations,
                Mode::ClosedLoop { concurrency: 16 },
                &[2_000; 8],
            ),
            run(
                Scenario::HotReservations,
                Mode::ClosedLoop { concurrency: 64 },
                &[9_000; 6],
            ),
            run(
                Scenario::HotReservations,
                Mode::OpenLoop { rate_per_sec: 99.0 },
                &[1; 99],
            ),
        ];
        let peaks = peaks(&results);
        assert_eq!(peaks.len(), 1);
        assert_eq!(peaks[0].concurrency, 16);
        assert_eq!(peaks[0].throughput_per_sec, 4.0);
        assert_eq!(peaks[0].p99_ms, 2.0);
    }
}
