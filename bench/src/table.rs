//! The report as markdown: a header with the machine's core count, one table in which
//! each run of the services is followed by the reference limit it is read against (so
//! the two sit side by side), then the service levels and the facade hop (`sections`),
//! the peaks, every run's quiet start and the processes' CPU and memory, and the notes.
//! The same text is printed to stdout and written to `bench/results/`.

use std::fmt::Write as _;

use crate::{
    limits::LimitFigures,
    report::{Latency, Mode, Report, RunFigures},
    sections,
};

const COLUMNS: &str = "| scenario | mode | throughput (ok/s) | p50 ms | p95 ms | p99 ms | max ms | errors | generator lag max ms | vs limit | goal | met? |\n\
                       |---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n";

const HOW_TO_READ: &str = "\
Latency of successful requests only. Open loop measures from each request's due time, so \
it includes the generator's own lag behind its schedule (timer resolution is about 1 ms); a \
lag near the latencies means the generator, not the service, was the limit. `vs limit`: \
closed-loop reservations and reads as a share of pgbench's throughput for the same \
statement at the same concurrency (same SKU kind); the event hop as its p99 over the raw \
broker's p99 at the same rate. `n/a`: the limit could not be measured (see the notes).\n";

/// A line of the table: a run of the services or a reference limit.
#[derive(Debug, Clone, Copy)]
pub enum Line<'a> {
    Run(&'a RunFigures),
    Limit(&'a LimitFigures),
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            md,
            "# inventory bench, {}\n\ntarget {}, {} cores (available parallelism), commit {}, {} s per run after {} s warm-up\n",
            self.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.target,
            self.cores,
            self.git_commit.as_deref().unwrap_or("unknown"),
            self.duration_secs,
            self.warmup_secs,
        );
        md.push_str(COLUMNS);
        for line in interleave(&self.results, &self.limits) {
            md.push_str(&row(line));
        }
        sections::service_levels(self, &mut md);
        sections::facade_hop(self, &mut md);
        self.write_peaks(&mut md);
        sections::quiet_starts(self, &mut md);
        sections::resources(self, &mut md);
        self.write_notes(&mut md);
        md.push('\n');
        md.push_str(HOW_TO_READ);
        md
    }

    fn write_peaks(&self, md: &mut String) {
        if !self.peaks.is_empty() {
            md.push_str("\nBest closed-loop throughput:\n");
            for peak in &self.peaks {
                let _ = writeln!(
                    md,
                    "- {}: {:.2}/s at {} workers (p99 {:.2} ms)",
                    peak.scenario, peak.throughput_per_sec, peak.concurrency, peak.p99_ms
                );
            }
        }
    }

    fn write_notes(&self, md: &mut String) {
        let notes = notes(self);
        if !notes.is_empty() {
            md.push_str("\nNotes:\n");
            for note in notes {
                let _ = writeln!(md, "- {note}");
            }
        }
    }
}

/// Each run followed by the limit it is compared with (the first time it comes up),
/// then the limits no run is compared with.
pub fn interleave<'a>(results: &'a [RunFigures], limits: &'a [LimitFigures]) -> Vec<Line<'a>> {
    let mut shown = vec![false; limits.len()];
    let mut lines = Vec::with_capacity(results.len() + limits.len());
    for run in results {
        lines.push(Line::Run(run));
        let Some(comparison) = &run.vs_limit else {
            continue;
        };
        let found = limits
            .iter()
            .position(|l| l.limit == comparison.limit && l.mode == comparison.limit_mode);
        if let Some(i) = found.filter(|&i| !shown[i]) {
            shown[i] = true;
            lines.push(Line::Limit(&limits[i]));
        }
    }
    lines.extend(
        limits
            .iter()
            .zip(shown)
            .filter(|(_, shown)| !shown)
            .map(|(limit, _)| Line::Limit(limit)),
    );
    lines
}

fn row(line: Line<'_>) -> String {
    match line {
        Line::Run(run) => cells(&[
            run.work(),
            run.mode.label(),
            format!("{:.2}", run.throughput_per_sec),
            latency_cells(Some(&run.latency_ms)),
            run.errors.to_string(),
            optional(run.schedule_lag_max_ms),
            run.vs_limit.as_ref().map_or_else(dash, |c| c.cell()),
            run.goal.as_ref().map_or_else(dash, |g| g.goal.clone()),
            run.goal.as_ref().map_or_else(dash, |g| g.cell()),
        ]),
        Line::Limit(limit) => cells(&[
            limit.limit.label().to_owned(),
            limit_mode(limit.mode),
            limit
                .throughput_per_sec
                .map_or_else(|| "n/a".to_owned(), |t| format!("{t:.2}")),
            latency_cells(limit.latency_ms.as_ref()),
            if limit.throughput_per_sec.is_some() {
                limit.errors.to_string()
            } else {
                dash()
            },
            optional(limit.schedule_lag_max_ms),
            dash(),
            dash(),
            dash(),
        ]),
    }
}

/// Four cells: p50, p95, p99, max; `n/a` when not measured.
fn latency_cells(latency: Option<&Latency>) -> String {
    match latency {
        Some(l) => format!("{:.2} | {:.2} | {:.2} | {:.2}", l.p50, l.p95, l.p99, l.max),
        None => "n/a | n/a | n/a | n/a".to_owned(),
    }
}

/// pgbench's closed loop is clients, not workers.
fn limit_mode(mode: Mode) -> String {
    match mode {
        Mode::ClosedLoop { concurrency } => format!("closed loop, {concurrency} clients"),
        other => other.label(),
    }
}

fn cells(values: &[String]) -> String {
    format!("| {} |\n", values.join(" | "))
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(dash, |v| format!("{v:.2}"))
}

fn dash() -> String {
    "-".to_owned()
}

/// The report's notes, then why each unmeasured limit is missing, unless a note says it.
fn notes(report: &Report) -> Vec<String> {
    let mut notes = report.notes.clone();
    for limit in &report.limits {
        let Some(note) = &limit.note else { continue };
        if !report.notes.iter().any(|n| n.contains(note.as_str())) {
            notes.push(format!(
                "{}, {}: n/a, {note}",
                limit.limit.label(),
                limit_mode(limit.mode)
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::{
        limits::LimitKind,
        options::{Invocation, Options},
        scenario::{Outcome, Scenario},
        tally::{Measurement, Tally},
    };

    fn run(scenario: Scenario, mode: Mode, successes: u64) -> RunFigures {
        let mut tally = Tally::new();
        for _ in 0..successes {
            tally.record(Duration::from_millis(2), Outcome::Success);
        }
        RunFigures::new(
            scenario,
            mode,
            &Measurement {
                tally,
                elapsed: Duration::from_secs(1),
                schedule_lag_max: None,
            },
        )
    }

    fn measured_limit(limit: LimitKind, mode: Mode, tps: f64) -> LimitFigures {
        LimitFigures {
            throughput_per_sec: Some(tps),
            latency_ms: Some(Latency {
                p50: 0.5,
                p95: 0.9,
                p99: 1.0,
                max: 3.0,
            }),
            ..LimitFigures::unavailable(limit, mode, "")
        }
    }

    fn report() -> Report {
        let Ok(Invocation::Run(options)) = Options::parse(Vec::<String>::new(), |_| None) else {
            panic!("default options");
        };
        let started = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let mut report = Report::new(&options, started);
        report.cores = 2;
        report.git_commit = Some("abc1234".into());
        let at16 = Mode::ClosedLoop { concurrency: 16 };
        report.results = vec![
            run(Scenario::HotReservations, at16, 600),
            run(
                Scenario::HotReservations,
                Mode::OpenLoop {
                    rate_per_sec: 2000.0,
                },
                50,
            ),
            run(
                Scenario::Checkout,
                Mode::OpenLoop {
                    rate_per_sec: 300.0,
                },
                300,
            ),
        ];
        report.limits = vec![
            LimitFigures::unavailable(
                LimitKind::BrokerPublishConsume,
                Mode::FlatOut { in_flight: 512 },
                "broker unreachable",
            ),
            measured_limit(LimitKind::PgbenchHotReservation, at16, 1000.0),
        ];
        report.notes = vec!["pgbench 15: how it ran".into()];
        report.conclude();
        report
    }

    #[test]
    fn the_header_names_the_cores_and_each_run_sits_beside_its_limit() {
        let md = report().markdown();
        assert!(md.contains("2 cores (available parallelism), commit abc1234"));
        let table = md
            .split("\n\n")
            .find(|block| block.starts_with("| scenario |"))
            .unwrap();
        let lines: Vec<&str> = table.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(lines.len(), 6, "{md}");
        assert!(
            lines[1].starts_with("| hot_sku_reservations | closed loop, 16 workers | 600.00 |")
        );
        assert!(lines[1].ends_with("| 60.0 % of 1000.00/s | ≥ 60 % of pgbench | yes |"));
        assert!(lines[2].starts_with("| limit: pgbench hot-SKU reservation | closed loop, 16 clients | 1000.00 | 0.50 | 0.90 | 1.00 | 3.00 | 0 |"));
        assert!(lines[3].contains("| open loop, 2000/s |"));
        assert!(
            lines[4].ends_with("| - | p99 ≤ 20 ms at 300/s | yes |"),
            "{}",
            lines[4]
        );
        assert!(lines[5].starts_with("| limit: broker publish → consume | flat out, 512 unconfirmed | n/a | n/a | n/a | n/a | n/a | - |"));
    }

    #[test]
    fn the_service_levels_follow_the_table_with_a_verdict_each() {
        let md = report().markdown();
        assert!(md.contains(
            "| reserve p99 < 50 ms | hot_sku_reservations, open loop, 2000/s | 2.00 | 0 | met |"
        ));
        assert!(md.contains(
            "| order (checkout) p99 < 80 ms | checkout_http_first, open loop, 300/s | 2.00 | 0 | met |"
        ));
        assert!(md.contains("| event hop p99 < 30 ms | - | - | 0 | not measured |"));
        // No run here has a quiet start or resources, nor a facade hop pair.
        assert!(!md.contains("Quiet start of each run"));
        assert!(!md.contains("Facade hop cost"));
    }

    #[test]
    fn peaks_and_the_reasons_for_missing_limits_follow_the_table() {
        let md = report().markdown();
        assert!(md.contains("- hot_sku_reservations: 600.00/s at 16 workers (p99 2.00 ms)"));
        assert!(md.contains("- pgbench 15: how it ran"));
        assert!(md.contains(
            "- limit: broker publish → consume, flat out, 512 unconfirmed: n/a, broker unreachable"
        ));
    }

    #[test]
    fn the_json_holds_results_limits_and_verdicts() {
        let json = serde_json::to_value(report()).unwrap();
        assert_eq!(json["cores"], 2);
        assert_eq!(json["results"][0]["scenario"], "hot_sku_reservations");
        assert_eq!(json["results"][0]["vsLimit"]["ratio"], 0.6);
        assert_eq!(json["results"][0]["goal"]["met"], true);
        assert_eq!(json["limits"][1]["limit"], "pgbench_hot_reservation");
        assert!(json["limits"][0]["throughputPerSec"].is_null());
    }
}
