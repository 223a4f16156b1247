//! The report's sections after its main table, as markdown: the service levels (SLA),
//! the facade hop's cost, and for every run the quiet start and the processes' CPU and
//! memory. Each section is left out when it has nothing to show (`--only limits`).

use std::fmt::Write as _;

use crate::figures::{ProcessUse, Report, Resources};

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
        figures::{Backlog, Mode, QuietStart, RunFigures, Scenario, sample_run},
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
