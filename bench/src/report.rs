//! The report of a bench run (its fields are in `figures`): how it starts, how each run
//! of the services is read against its limit (`comparison`), its goal and the service
//! levels (`goal`) once all figures are in, and where it goes: `latest.json` and
//! `latest.md` (see `table`) in the results folder.
//!
//! The services' runs and the reference limits measured on the same machine sit in the
//! same report, so that every run is read against what PostgreSQL or RabbitMQ alone
//! manage there. Each run also carries how quiet the system was when it started
//! (`settle`) and what the processes used over it (`process_use`), so a figure can be
//! told from the conditions it was taken in.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::{
    comparison, facade_hop,
    figures::{Mode, Peak, Report, RunFigures, Scenario},
    goal,
    options::Options,
    scenario::SPREAD_SKUS,
    table,
};

impl Report {
    pub fn new(options: &Options, started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            target: options.target.clone(),
            cores: cores(),
            git_commit: git_commit(),
            duration_secs: options.duration().as_secs_f64(),
            warmup_secs: options.warmup().as_secs_f64(),
            spread_skus: SPREAD_SKUS,
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

    /// Reads every run against its limit, its goal and its service level, the stock
    /// view's lag over every run that changes stock against the event hop, finds the
    /// peaks and the facade hop's cost. Call once all figures are in.
    pub fn conclude(&mut self) {
        let event_hop = self
            .results
            .iter()
            .find(|run| run.scenario == Scenario::EventHop)
            .cloned();
        let unpaid: Vec<RunFigures> = self
            .results
            .iter()
            .filter(|run| run.scenario == Scenario::Checkout)
            .cloned()
            .collect();
        for run in &mut self.results {
            run.vs_limit = comparison::compare(run, &self.limits);
            run.goal = goal::goal_for(run.scenario, run.mode)
                .map(|goal| goal::judge(goal, run, run.vs_limit.as_ref()));
            if run.scenario == Scenario::PaidCheckout {
                let same_rate = unpaid.iter().find(|u| u.mode == run.mode);
                run.goal = Some(goal::judge_payment_cost(run, same_rate));
            }
            if let Some(view) = run.stock_view.as_mut().filter(|_| !run.scenario.is_read()) {
                view.lag_goal = Some(goal::judge_view_lag(view, event_hop.as_ref()));
            }
        }
        self.peaks = peaks(&self.results);
        // With no run of the services (`--only limits`) there is nothing to read them on.
        if !self.results.is_empty() {
            self.service_levels = goal::check_service_levels(&self.results);
        }
        self.facade_hops = facade_hop::costs(&self.results);
    }

    /// Adds `note` unless the report holds it already.
    pub fn note_once(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Writes `latest.json` and `latest.md` into `dir`; returns the JSON's path.
    pub fn write(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).context("serializing the report")? + "\n";
        let json_path = dir.join("latest.json");
        for (path, text) in [
            (json_path.clone(), json),
            (dir.join("latest.md"), table::markdown(self)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::sample_run;

    #[test]
    fn the_peak_of_a_scenario_is_its_best_closed_loop_run() {
        let hot = |mode, successes, micros| {
            sample_run(Scenario::HotReservations, mode, successes, micros, 0)
        };
        let at = |concurrency| Mode::ClosedLoop { concurrency };
        let results = [
            hot(at(4), 4, 1_000),
            hot(at(16), 8, 2_000),
            hot(at(64), 6, 9_000),
            hot(Mode::OpenLoop { rate_per_sec: 99.0 }, 99, 1),
        ];
        let peaks = peaks(&results);
        assert_eq!(peaks.len(), 1);
        assert_eq!(
            (
                peaks[0].concurrency,
                peaks[0].throughput_per_sec,
                peaks[0].p99_ms
            ),
            (16, 8.0, 2.0)
        );
    }

    #[test]
    fn only_the_latest_figures_are_written() {
        let dir = std::env::temp_dir().join(format!("bench-report-{}", uuid::Uuid::now_v7()));
        let report = Report::new(&crate::options::parse(&[]).unwrap(), Utc::now());
        let json = report.write(&dir).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["latest.json", "latest.md"]);
        assert_eq!(json, dir.join("latest.json"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
