//! The report's sections after its main table, as markdown: the service levels (SLA),
//! the facade hop's cost, and for every run the quiet start and the processes' CPU and
//! memory. Each section is left out when it has nothing to show (`--only limits`).

use std::fmt::Write as _;

use crate::{
    process_use::{Process, ProcessUse, Resources},
    report::Report,
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
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            check.level,
            check.run.as_deref().unwrap_or("-"),
            check
                .p99_ms
                .map_or_else(|| "-".to_owned(), |p| format!("{p:.2}")),
            check.errors,
            check.verdict(),
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
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nCPU (% of one core over the measured window; the event hop's and the saga's window also holds their warm-up and drain) and resident memory (MiB at the window's end; postgres sums its processes, so its shared buffers count once per process that touched them) per process; machine: every process, whoever runs it, up to {} %:\n",
        report.cores * 100
    );
    let names: Vec<&str> = Process::ALL.iter().map(|p| p.name()).collect();
    let _ = writeln!(
        md,
        "| run | window s | {} | machine CPU |\n|---|---:|{}---:|",
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    for (label, used) in rows {
        let _ = writeln!(md, "{}", resource_row(&label, used));
    }
}

fn resource_row(label: &str, used: &Resources) -> String {
    let cells: Vec<String> = Process::ALL
        .iter()
        .map(|process| {
            used.processes
                .iter()
                .find(|p| p.process == *process)
                .map_or_else(|| "-".to_owned(), process_cell)
        })
        .collect();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        facade_hop::{DIRECT, THROUGH_FACADE},
        options::{Invocation, Options},
        report::{Mode, RunFigures},
        scenario::{Outcome, Scenario},
        settle::{Backlog, QuietStart},
        tally::{Measurement, Tally},
    };

    fn run(scenario: Scenario, via: Option<&'static str>, micros: u64) -> RunFigures {
        let mut tally = Tally::new();
        for _ in 0..10 {
            tally.record(Duration::from_micros(micros), Outcome::Success);
        }
        let measured = Measurement {
            tally,
            elapsed: Duration::from_secs(2),
            schedule_lag_max: None,
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
        let used = Resources {
            window_secs: 2.0,
            machine_cpu_percent: Some(120.0),
            processes: vec![ProcessUse {
                process: Process::InventoryApi,
                count: 1,
                cpu_percent: 35.0,
                rss_mib: 20.0,
            }],
        };
        let mode = Mode::OpenLoop {
            rate_per_sec: 500.0,
        };
        let mut run = RunFigures::new(scenario, mode, &measured).under(quiet, used);
        run.via = via;
        run
    }

    fn report() -> Report {
        let Ok(Invocation::Run(options)) = Options::parse(Vec::<String>::new(), |_| None) else {
            panic!("default options");
        };
        let mut report = Report::new(&options, chrono::Utc::now());
        report.cores = 2;
        report.results = vec![
            run(Scenario::StockReads, Some(THROUGH_FACADE), 1_500),
            run(Scenario::StockReads, Some(DIRECT), 1_000),
        ];
        report.conclude();
        report
    }

    #[test]
    fn every_run_has_its_quiet_start_and_its_resources() {
        let md = report().markdown();
        assert!(md.contains(
            "| stock_reads via inventory-api, open loop, 500/s | 3.50 | inventory outbox 4200 | quiet |"
        ));
        assert!(md.contains("machine: every process, whoever runs it, up to 200 %"));
        assert!(md.contains(
            "| stock_reads via inventory-service, open loop, 500/s | 2.00 | 35.0 % · 20.0 MiB | - |"
        ));
    }

    #[test]
    fn the_facade_hop_is_the_difference_of_its_two_runs() {
        let report = report();
        let md = report.markdown();
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

    #[test]
    fn a_cell_says_when_processes_are_summed_or_missing() {
        let used = |count| ProcessUse {
            process: Process::Postgres,
            count,
            cpu_percent: 41.46,
            rss_mib: 23.12,
        };
        assert_eq!(process_cell(&used(0)), "not running");
        assert_eq!(process_cell(&used(1)), "41.5 % · 23.1 MiB");
        assert_eq!(process_cell(&used(12)), "41.5 % · 23.1 MiB ×12");
    }

    #[test]
    fn a_resource_row_has_a_cell_per_process_and_the_machine() {
        let used = Resources {
            window_secs: 2.0,
            machine_cpu_percent: Some(150.04),
            processes: vec![ProcessUse {
                process: Process::OrderApi,
                count: 1,
                cpu_percent: 10.0,
                rss_mib: 8.0,
            }],
        };
        assert_eq!(
            resource_row("idle", &used),
            "| idle | 2.00 | - | - | 10.0 % · 8.0 MiB | - | - | - | - | 150.0 % |"
        );
    }
}
