//! The report's sections after its main table, as markdown: the service levels (SLA),
//! the stock view (where reads were answered, how far it trailed the database), the
//! facade hop's cost, and for every run the quiet start and the processes' CPU and
//! memory. Each section is left out when it has nothing to show (`--only limits`).

use std::fmt::Write as _;

use crate::figures::{
    GoalCheck, Mode, ProcessUse, Report, Resources, RunFigures, Scenario, ViewFigures,
};

pub fn service_levels(report: &Report, md: &mut String) {
    if report.service_levels.is_empty() {
        return;
    }
    md.push_str(
        "\nService levels, read on every fixed-rate run of their path (a run with errors does not keep one):\n\n\
         | service level | run | p99 ms | errors | verdict |\n|---|---|---:|---:|---|\n",
    );
    for check in &report.service_levels {
        let verdict = match check.met {
            Some(true) => "met",
            Some(false) => "not met",
            None => "not measured",
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            check.level,
            check.run.as_deref().unwrap_or("-"),
            check
                .p99_ms
                .map_or_else(|| "-".to_owned(), |p| format!("{p:.2}")),
            check.errors,
            with_reason(verdict, check.reason.as_deref()),
        );
    }
}

/// Two tables: the stock reads sent to inventory-api, with where they were answered;
/// the runs that change stock through it, with how far the view trailed the database
/// beside the event hop.
pub fn stock_view(report: &Report, md: &mut String) {
    let watched = |reads: bool| {
        report
            .results
            .iter()
            .filter_map(move |run| Some((run, run.stock_view.as_ref()?)))
            .filter(move |(run, _)| run.scenario.is_read() == reads)
    };
    if watched(true).next().is_some() {
        md.push_str(
            "\nStock view, reads: each stock-read run to inventory-api, with where its reads were answered (`stock_view_reads_total` over the run: from the view, or forwarded to inventory-service) and the CPU the server and the load generator spent, in all and per read:\n\n\
             | run | throughput (ok/s) | p50 ms | p95 ms | p99 ms | from view | forwarded | from view % | inventory-api CPU | bench CPU | goal met? |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for (run, view) in watched(true) {
            let _ = writeln!(
                md,
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} |",
                run.label(),
                run.throughput_per_sec,
                run.latency_ms.p50,
                run.latency_ms.p95,
                run.latency_ms.p99,
                view.reads_from_view,
                view.reads_forwarded,
                view.share_from_view()
                    .map_or_else(|| "-".to_owned(), |share| format!("{:.2}", share * 100.0)),
                cpu_per_request(run, "inventory-api"),
                cpu_per_request(run, "bench"),
                run.goal.as_ref().map_or_else(|| "-".to_owned(), verdict),
            );
        }
        generator_share(report, md);
    }
    if watched(false).next().is_none() {
        return;
    }
    let hop = report
        .results
        .iter()
        .find(|run| run.scenario == Scenario::EventHop);
    let _ = writeln!(
        md,
        "\nStock view, lag: each run that changes stock through inventory-api, with the view's delay (a change's commit → the view applying it: `stock_view_event_delay_seconds` over the run, p50 and p99 interpolated inside their bucket) and the highest lag it reported (`stock_view_lag_seconds`, sampled every 100 ms), beside the event hop's p99 (commit → a consumer, {}):\n\n\
         | run | throughput (ok/s) | events applied | view delay p50 ms | view delay p99 ms (its bucket) | view lag max ms | samples not live | event hop p99 ms | view delay p99 ≤ event hop p99? |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|",
        hop.map_or_else(|| "not measured".to_owned(), |hop| hop.label()),
    );
    for (run, view) in watched(false) {
        let _ = writeln!(
            md,
            "| {} | {:.2} | {} | {} | {} | {} | {}/{} | {} | {} |",
            run.label(),
            run.throughput_per_sec,
            view.events_applied,
            optional_ms(view.event_delay_p50_ms),
            p99_in_bucket(view),
            optional_ms(view.lag_max_ms),
            view.samples_not_live,
            view.samples,
            hop.map_or_else(
                || "-".to_owned(),
                |hop| format!("{:.2}", hop.latency_ms.p99)
            ),
            view.lag_goal
                .as_ref()
                .map_or_else(|| "-".to_owned(), verdict),
        );
    }
}

/// A machine this busy (share of all its cores) had no core to spare over a run.
const SATURATED: f64 = 0.9;

/// For each closed-loop read run on a saturated machine, what share of the busy time
/// the load generator took: CPU the service could not have.
fn generator_share(report: &Report, md: &mut String) {
    let all = report.cores as f64 * 100.0;
    let saturated = report.results.iter().filter_map(|run| {
        let used = run.resources.as_ref()?;
        let busy = used
            .machine_cpu_percent
            .filter(|busy| *busy >= SATURATED * all)?;
        let bench = cpu_percent(run, "bench")?;
        let server = cpu_percent(run, "inventory-api")?;
        (run.scenario.is_read() && matches!(run.mode, Mode::ClosedLoop { .. }))
            .then_some((run, busy, bench, server))
    });
    for (run, busy, bench, server) in saturated {
        let _ = writeln!(
            md,
            "- {}: the machine was busy {busy:.1} % of {all:.0} %: inventory-api {server:.1} %, the load generator {bench:.1} % ({:.0} % of the busy time), everything else {:.1} %. The generator competes with the service for the cores: the throughput is a floor of what inventory-api would serve with them to itself.",
            run.label(),
            bench / busy * 100.0,
            (busy - server - bench).max(0.0),
        );
    }
}

/// The run's CPU of `process`, % of one core, where it was followed and running.
fn cpu_percent(run: &RunFigures, process: &str) -> Option<f64> {
    run.resources
        .as_ref()?
        .processes
        .iter()
        .find(|p| p.process == process && p.count > 0)
        .map(|p| p.cpu_percent)
}

/// `41.5 % · 12.3 µs`: the run's CPU of `process`, and per success; `-` where it was
/// not followed.
fn cpu_per_request(run: &RunFigures, process: &str) -> String {
    match cpu_percent(run, process) {
        Some(cpu) if run.throughput_per_sec > 0.0 => format!(
            "{cpu:.1} % · {:.1} µs",
            cpu / 100.0 * 1e6 / run.throughput_per_sec
        ),
        Some(cpu) => format!("{cpu:.1} %"),
        None => "-".to_owned(),
    }
}

/// `7.42 (5–10)`: the view's p99 delay and the bucket that holds it.
fn p99_in_bucket(view: &ViewFigures) -> String {
    match (view.event_delay_p99_ms, view.event_delay_p99_bucket_ms) {
        (Some(p99), Some((_, bound))) if bound.is_infinite() => format!("{p99:.2} (> {p99})"),
        (Some(p99), Some((below, bound))) => format!("{p99:.2} ({below}–{bound})"),
        (p99, _) => optional_ms(p99),
    }
}

fn optional_ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2}"))
}

/// `met`, `not met (12 forwarded)`, `not judged (event hop not measured)`.
fn verdict(check: &GoalCheck) -> String {
    let verdict = match check.met {
        Some(true) => "met",
        Some(false) => "not met",
        None => "not judged",
    };
    with_reason(verdict, check.reason.as_deref())
}

pub fn facade_hop(report: &Report, md: &mut String) {
    if report.facade_hops.is_empty() {
        return;
    }
    md.push_str(
        "\nFacade hop cost: the same requests at the same rate through inventory-api and straight to inventory-service; cost = through the facade − direct:\n\n\
         | work | rate | via inventory-api p50 / p99 ms | direct p50 / p99 ms | facade hop cost p50 ms | facade hop cost p99 ms | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for hop in &report.facade_hops {
        let _ = writeln!(
            md,
            "| {} | {}/s | {:.2} / {:.2} | {:.2} / {:.2} | {:+.2} | {:+.2} | {} |",
            hop.scenario,
            hop.rate_per_sec,
            hop.through_facade_ms.p50,
            hop.through_facade_ms.p99,
            hop.direct_ms.p50,
            hop.direct_ms.p99,
            hop.cost_p50_ms,
            hop.cost_p99_ms,
            hop.errors,
        );
    }
}

pub fn quiet_starts(report: &Report, md: &mut String) {
    let starts: Vec<_> = report
        .results
        .iter()
        .filter_map(|run| Some((run.label(), run.quiet_start.as_ref()?)))
        .chain(
            report
                .limits_quiet_start
                .as_ref()
                .map(|start| ("before the reference limits".to_owned(), start)),
        )
        .collect();
    if starts.is_empty() {
        return;
    }
    md.push_str(
        "\nQuiet start of each run: waited for both outboxes to be empty, the consumers' queues drained (ready, unacked, retrying) and no hold overdue; backlog as first found:\n\n\
         | run | waited s | backlog found | start |\n|---|---:|---|---|\n",
    );
    for (label, start) in starts {
        let _ = writeln!(
            md,
            "| {label} | {:.2} | {} | {} |",
            start.waited_secs,
            start.found.describe(),
            start.outcome(),
        );
    }
}

pub fn resources(report: &Report, md: &mut String) {
    let rows: Vec<_> = report
        .idle
        .as_ref()
        .map(|idle| ("idle, before any load".to_owned(), idle))
        .into_iter()
        .chain(
            report
                .results
                .iter()
                .filter_map(|run| Some((run.label(), run.resources.as_ref()?))),
        )
        .collect();
    // Every row follows the same processes in the same order.
    let Some((_, first)) = rows.first() else {
        return;
    };
    let _ = writeln!(
        md,
        "\nCPU (% of one core over the measured window; the event hop's and the saga's window also holds their warm-up and drain) and resident memory (MiB at the window's end; postgres sums its processes, so its shared buffers count once per process that touched them) per process; machine: every process, whoever runs it, up to {} %:\n",
        report.cores * 100
    );
    let names: Vec<&str> = first.processes.iter().map(|p| p.process).collect();
    let _ = writeln!(
        md,
        "| run | window s | {} | machine CPU |\n|---|---:|{}---:|",
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    for (label, used) in &rows {
        let _ = writeln!(md, "{}", resource_row(label, used));
    }
}

fn resource_row(label: &str, used: &Resources) -> String {
    let cells: Vec<String> = used.processes.iter().map(process_cell).collect();
    format!(
        "| {label} | {:.2} | {} | {} |",
        used.window_secs,
        cells.join(" | "),
        used.machine_cpu_percent
            .map_or_else(|| "n/a".to_owned(), |c| format!("{c:.1} %")),
    )
}

/// `41.5 % · 23.1 MiB`, with `×12` when several processes are summed.
fn process_cell(used: &ProcessUse) -> String {
    match used.count {
        0 => "not running".to_owned(),
        1 => format!("{:.1} % · {:.1} MiB", used.cpu_percent, used.rss_mib),
        n => format!("{:.1} % · {:.1} MiB ×{n}", used.cpu_percent, used.rss_mib),
    }
}

/// `verdict (reason)`, or the verdict alone.
pub fn with_reason(verdict: &str, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{verdict} ({reason})"),
        None => verdict.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        facade_hop::{DIRECT, THROUGH_FACADE},
        figures::{Backlog, Mode, QuietStart, RunFigures, Scenario, ViewFigures, sample_run},
        table::markdown,
    };

    fn used(process: &'static str, count: usize) -> ProcessUse {
        ProcessUse {
            process,
            count,
            cpu_percent: 41.46,
            rss_mib: 23.12,
        }
    }

    fn run(via: &'static str, micros: u64) -> RunFigures {
        let mode = Mode::OpenLoop {
            rate_per_sec: 500.0,
        };
        let quiet = QuietStart {
            waited_secs: 3.5,
            found: Backlog {
                inventory_outbox: Some(4200),
                ..Backlog::default()
            },
            gave_up: None,
            left: None,
        };
        let resources = Resources {
            window_secs: 2.0,
            machine_cpu_percent: Some(120.0),
            processes: vec![used("inventory-api", 1), used("postgres", 0)],
        };
        let mut run = sample_run(Scenario::StockReads, mode, 10, micros, 0).under(quiet, resources);
        run.via = Some(via);
        run
    }

    fn report() -> Report {
        let mut report = Report::new(&crate::options::parse(&[]).unwrap(), chrono::Utc::now());
        report.cores = 2;
        report.results = vec![run(THROUGH_FACADE, 1_500), run(DIRECT, 1_000)];
        report.conclude();
        report
    }

    #[test]
    fn every_run_has_its_quiet_start_and_its_resources() {
        let md = markdown(&report());
        assert!(md.contains(
            "| stock_reads via inventory-api, open loop, 500/s | 3.50 | inventory outbox 4200 | quiet |"
        ));
        assert!(md.contains("machine: every process, whoever runs it, up to 200 %"));
        assert!(md.contains("| run | window s | inventory-api | postgres | machine CPU |"));
        assert!(md.contains(
            "| stock_reads via inventory-service, open loop, 500/s | 2.00 | 41.5 % · 23.1 MiB | not running | 120.0 % |"
        ));
        assert_eq!(process_cell(&used("postgres", 12)), "41.5 % · 23.1 MiB ×12");
    }

    fn view(from_view: u64, delays: Option<(f64, f64)>) -> ViewFigures {
        ViewFigures {
            reads_from_view: from_view,
            reads_forwarded: 0,
            events_applied: if delays.is_some() { 100 } else { 0 },
            event_delay_p50_ms: delays.map(|d| d.0),
            event_delay_p99_ms: delays.map(|d| d.1),
            event_delay_p99_bucket_ms: delays.map(|_| (1.0, 2.5)),
            lag_max_ms: Some(3.1),
            samples: 22,
            samples_not_live: 0,
            lag_goal: None,
        }
    }

    #[test]
    fn the_stock_view_shows_where_reads_were_answered_and_its_lag_beside_the_event_hop() {
        let mut report = Report::new(&crate::options::parse(&[]).unwrap(), chrono::Utc::now());
        report.cores = 2;
        let cpu = |process, cpu_percent| ProcessUse {
            cpu_percent,
            ..used(process, 1)
        };
        let mut reads = sample_run(
            Scenario::StockReads,
            Mode::ClosedLoop { concurrency: 64 },
            31_000,
            4_000,
            0,
        );
        reads.resources = Some(Resources {
            window_secs: 1.0,
            machine_cpu_percent: Some(196.0),
            processes: vec![cpu("inventory-api", 124.0), cpu("bench", 62.0)],
        });
        reads.stock_view = Some(view(31_000, None));
        let open = |rate_per_sec| Mode::OpenLoop { rate_per_sec };
        let mut spread = sample_run(Scenario::SpreadReservations, open(2000.0), 100, 1_000, 0);
        spread.stock_view = Some(view(0, Some((1.0, 2.47))));
        let hop = sample_run(Scenario::EventHop, open(1000.0), 100, 8_000, 0);
        report.results = vec![reads, spread, hop];
        report.conclude();
        let md = markdown(&report);
        assert!(
            md.contains("| stock_reads, closed loop, 64 workers | 31000.00 | 4.00 | 4.00 | 4.00 | 31000 | 0 | 100.00 | 124.0 % · 40.0 µs | 62.0 % · 20.0 µs | met |"),
            "{md}"
        );
        assert!(md.contains(
            "inventory-api 124.0 %, the load generator 62.0 % (32 % of the busy time), everything else 10.0 %"
        ));
        assert!(md.contains("(commit → a consumer, event_hop, open loop, 1000/s)"));
        assert!(md.contains(
            "| spread_reservations, open loop, 2000/s | 100.00 | 100 | 1.00 | 2.47 (1–2.5) | 3.10 | 0/22 | 8.00 | met |"
        ));
        let json = serde_json::to_value(&report).unwrap();
        let spread = &json["results"][1]["stockView"];
        assert_eq!(
            spread["eventDelayP99BucketMs"],
            serde_json::json!([1.0, 2.5])
        );
        assert_eq!(spread["lagGoal"]["met"], true);
        assert_eq!(json["results"][0]["goal"]["met"], true);
    }

    #[test]
    fn the_facade_hop_is_the_difference_of_its_two_runs() {
        let report = report();
        let md = markdown(&report);
        assert!(
            md.contains("| stock_reads | 500/s | 1.50 / 1.50 | 1.00 / 1.00 | +0.50 | +0.50 | 0 |"),
            "{md}"
        );
        // The direct run does not go through inventory-api: no service level reads it.
        assert!(report.service_levels.iter().all(|c| c.run.is_none()));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["facadeHops"][0]["costP99Ms"], 0.5);
        assert_eq!(json["results"][1]["via"], "inventory-service");
        assert_eq!(
            json["results"][0]["quietStart"]["found"]["inventoryOutbox"],
            4200
        );
        assert_eq!(
            json["results"][0]["resources"]["processes"][0]["process"],
            "inventory-api"
        );
    }
}
