//! The report as markdown: a header with the machine's core count, one table in which
//! each run of the services is followed by the reference limit it is read against (so
//! the two sit side by side), then the service levels, the stock view and the facade hop
//! (`sections`), the peaks, every run's quiet start and the processes' CPU and memory,
//! and the notes.
//! The same text is printed to stdout and written to `bench/results/latest.md`.

use std::fmt::Write as _;

use crate::{
    figures::{Comparison, GoalCheck, Latency, LimitFigures, Measure, Mode, Report, RunFigures},
    sections::{self, with_reason},
};

const COLUMNS: &str = "| scenario | mode | throughput (ok/s) | p50 ms | p95 ms | p99 ms | max ms | errors | generator lag max ms | vs limit | goal | met? |\n\
                       |---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n";

const HOW_TO_READ: &str = "\
Latency of successful requests only. Open loop measures from each request's due time, so \
it includes the generator's own lag behind its schedule (timer resolution is about 1 ms); a \
lag near the latencies means the generator, not the service, was the limit. Closed-loop \
stock reads go over one bare HTTP/1.1 keep-alive connection per worker (hyper), every \
other run over one shared reqwest pool; the bench's CPU is the whole generator, all its \
threads. `vs limit`: closed-loop reservations and reads as a share of pgbench's throughput \
for the same statement at the same concurrency (same SKU kind; the reads answered from the \
stock view reach no database); the event hop as its p99 over the raw broker's p99 at the \
same rate. `n/a`: the limit could not be measured (see the notes). The stock view's \
figures are inventory-api's own metrics, scraped at each run's start and end: a p99 from \
a histogram is known only to its bucket.\n";

/// A line of the table: a run of the services or a reference limit.
#[derive(Debug, Clone, Copy)]
enum Line<'a> {
    Run(&'a RunFigures),
    Limit(&'a LimitFigures),
}

pub fn markdown(report: &Report) -> String {
    let mut md = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        md,
        "# inventory bench, {}\n\ntarget {}, {} cores (available parallelism), commit {}, {} s per run after {} s warm-up\n",
        report.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        report.target,
        report.cores,
        report.git_commit.as_deref().unwrap_or("unknown"),
        report.duration_secs,
        report.warmup_secs,
    );
    md.push_str(COLUMNS);
    for line in interleave(&report.results, &report.limits) {
        md.push_str(&row(line));
    }
    sections::service_levels(report, &mut md);
    sections::stock_view(report, &mut md);
    sections::facade_hop(report, &mut md);
    if !report.peaks.is_empty() {
        md.push_str("\nBest closed-loop throughput:\n");
        for peak in &report.peaks {
            let _ = writeln!(
                md,
                "- {}: {:.2}/s at {} workers (p99 {:.2} ms)",
                peak.scenario, peak.throughput_per_sec, peak.concurrency, peak.p99_ms
            );
        }
    }
    sections::quiet_starts(report, &mut md);
    sections::resources(report, &mut md);
    let notes = notes(report);
    if !notes.is_empty() {
        md.push_str("\nNotes:\n");
        for note in notes {
            let _ = writeln!(md, "- {note}");
        }
    }
    md.push('\n');
    md.push_str(HOW_TO_READ);
    md
}

/// Each run followed by the limit it is compared with (the first time it comes up),
/// then the limits no run is compared with.
fn interleave<'a>(results: &'a [RunFigures], limits: &'a [LimitFigures]) -> Vec<Line<'a>> {
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
    let cells = match line {
        Line::Run(run) => [
            run.work(),
            run.mode.label(),
            format!("{:.2}", run.throughput_per_sec),
            latency_cells(Some(&run.latency_ms)),
            run.errors.to_string(),
            optional(run.schedule_lag_max_ms),
            run.vs_limit.as_ref().map_or_else(dash, comparison_cell),
            run.goal.as_ref().map_or_else(dash, |g| g.goal.clone()),
            run.goal.as_ref().map_or_else(dash, goal_cell),
        ],
        Line::Limit(limit) => [
            limit.limit.label().to_owned(),
            limit_mode(limit.mode),
            limit
                .throughput_per_sec
                .map_or_else(|| "n/a".to_owned(), |t| format!("{t:.2}")),
            latency_cells(limit.latency_ms.as_ref()),
            match limit.throughput_per_sec {
                Some(_) => limit.errors.to_string(),
                None => dash(),
            },
            optional(limit.schedule_lag_max_ms),
            dash(),
            dash(),
            dash(),
        ],
    };
    format!("| {} |\n", cells.join(" | "))
}

/// `21.4 % of 7312.40/s` or `p99 8.20 × 1.21 ms`.
fn comparison_cell(comparison: &Comparison) -> String {
    match (comparison.measure, comparison.reference, comparison.ratio) {
        (Measure::Throughput, Some(reference), Some(ratio)) => {
            format!("{:.1} % of {reference:.2}/s", ratio * 100.0)
        }
        (Measure::P99Latency, Some(reference), Some(ratio)) => {
            format!("p99 {ratio:.2} × {reference:.2} ms")
        }
        _ => "n/a".to_owned(),
    }
}

/// `yes`, `no`, `no (3 errors)`, `n/a (...)` or `-`.
fn goal_cell(check: &GoalCheck) -> String {
    let verdict = match check.met {
        Some(true) => "yes",
        Some(false) => "no",
        None if check.reason.is_none() => "-",
        None => "n/a",
    };
    with_reason(verdict, check.reason.as_deref())
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
    use chrono::TimeZone;

    use super::*;
    use crate::figures::{LimitKind, Scenario, sample_run};

    fn report() -> Report {
        let options = crate::options::parse(&[]).unwrap();
        let started = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let mut report = Report::new(&options, started);
        report.cores = 2;
        report.git_commit = Some("abc1234".into());
        let at16 = Mode::ClosedLoop { concurrency: 16 };
        let open = |rate_per_sec| Mode::OpenLoop { rate_per_sec };
        report.results = vec![
            sample_run(Scenario::HotReservations, at16, 600, 2_000, 0),
            sample_run(Scenario::HotReservations, open(2000.0), 50, 2_000, 0),
            sample_run(Scenario::Checkout, open(300.0), 300, 2_000, 0),
            sample_run(Scenario::Checkout, open(50.0), 50, 2_000, 2),
        ];
        report.limits = vec![
            LimitFigures::unavailable(
                LimitKind::BrokerPublishConsume,
                Mode::FlatOut { in_flight: 512 },
                "broker unreachable",
            ),
            LimitFigures {
                throughput_per_sec: Some(1000.0),
                latency_ms: Some(Latency {
                    p50: 0.5,
                    p95: 0.9,
                    p99: 1.0,
                    max: 3.0,
                }),
                ..LimitFigures::unavailable(LimitKind::PgbenchHotReservation, at16, "")
            },
        ];
        report.notes = vec!["pgbench 15: how it ran".into()];
        report.conclude();
        report
    }

    #[test]
    fn the_header_names_the_cores_and_each_run_sits_beside_its_limit() {
        let md = markdown(&report());
        assert!(md.contains("2 cores (available parallelism), commit abc1234"));
        let lines: Vec<&str> = md
            .lines()
            .skip_while(|l| !l.starts_with("| scenario |"))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .collect();
        assert_eq!(lines.len(), 6, "{md}");
        assert!(
            lines[0].starts_with("| hot_sku_reservations | closed loop, 16 workers | 600.00 |")
        );
        assert!(lines[0].ends_with("| 60.0 % of 1000.00/s | ≥ 60 % of pgbench | yes |"));
        assert!(lines[1].starts_with("| limit: pgbench hot-SKU reservation | closed loop, 16 clients | 1000.00 | 0.50 | 0.90 | 1.00 | 3.00 | 0 |"));
        assert!(lines[2].contains("| open loop, 2000/s |"));
        assert!(lines[3].ends_with("| - | p99 ≤ 20 ms at 300/s | yes |"));
        assert!(lines[4].ends_with("| - | p99 ≤ 20 ms at 300/s | n/a (run at 50/s) |"));
        assert!(lines[5].starts_with("| limit: broker publish → consume | flat out, 512 unconfirmed | n/a | n/a | n/a | n/a | n/a | - |"));
    }

    #[test]
    fn peaks_levels_and_the_reasons_for_missing_limits_follow_the_table() {
        let md = markdown(&report());
        assert!(md.contains(
            "| reserve p99 < 50 ms | hot_sku_reservations, open loop, 2000/s | 2.00 | 0 | met |"
        ));
        assert!(md.contains("| order (checkout) p99 < 80 ms | checkout_http_first, open loop, 50/s | 2.00 | 2 | not met (2 errors) |"));
        assert!(md.contains("| event hop p99 < 30 ms | - | - | 0 | not measured |"));
        assert!(md.contains("- hot_sku_reservations: 600.00/s at 16 workers (p99 2.00 ms)"));
        assert!(md.contains("- pgbench 15: how it ran"));
        assert!(md.contains(
            "- limit: broker publish → consume, flat out, 512 unconfirmed: n/a, broker unreachable"
        ));
        // No run here has a quiet start or resources, nor a facade hop pair.
        assert!(!md.contains("Quiet start of each run"));
        assert!(!md.contains("Facade hop cost"));
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

    #[test]
    fn a_comparison_reads_as_a_share_or_a_multiple() {
        let cell = |measure, reference, ratio| {
            comparison_cell(&Comparison {
                limit: LimitKind::PgbenchPointRead,
                limit_mode: Mode::ClosedLoop { concurrency: 1 },
                measure,
                system: 1.0,
                reference,
                ratio,
            })
        };
        assert_eq!(
            cell(Measure::Throughput, Some(7312.4), Some(0.214)),
            "21.4 % of 7312.40/s"
        );
        assert_eq!(
            cell(Measure::P99Latency, Some(2.0), Some(4.0)),
            "p99 4.00 × 2.00 ms"
        );
        assert_eq!(cell(Measure::Throughput, None, None), "n/a");
    }
}
