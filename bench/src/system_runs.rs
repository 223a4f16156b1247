//! The services' runs, in order: stock reads (closed loop at each of the reads'
//! concurrencies, then open loop), hot-SKU and spread reservations (closed loop at each
//! of the reservation concurrencies, then open loop), the facade hop (reads and
//! reservations at one rate, through inventory-api and straight to inventory-service),
//! the event hop, HTTP-first checkouts (unpaid, then paid by card at the same rate; at
//! the checkout rate, then at the payment rate) and the event-driven saga.
//!
//! Before each run it waits for the system to be quiet (`settle`); over each measured
//! window it follows the processes' CPU and memory (`process_use`) and, on the runs
//! sent to inventory-api, its stock view (`stock_view`); before any load it takes the
//! processes at rest once.

use std::time::Duration;

use reqwest::Client;

use crate::{
    closed_loop, event_hop,
    facade_hop::{self, DIRECT, THROUGH_FACADE},
    figures::{Measurement, Mode, QuietStart, Report, RunFigures, Scenario, ViewFigures},
    open_loop,
    options::{Options, Run},
    process_use, saga,
    settle::Settler,
    stock_setup, stock_view,
};

/// How long the processes are watched at rest before any load.
const IDLE_WINDOW: Duration = Duration::from_secs(1);

/// Creates the SKUs, then measures every run of the services into `report`.
pub async fn run(
    client: &Client,
    options: &Options,
    settler: &mut Settler,
    report: &mut Report,
) -> anyhow::Result<()> {
    stock_setup::check_reachable(client, &options.target).await?;
    // At rest means before the SKUs are created: that alone is 10,001 writes and events.
    let waited = settler.settle().await;
    eprintln!(
        "(quiet after {:.1} s) idle, {IDLE_WINDOW:?}",
        waited.waited_secs
    );
    report.idle = Some(process_use::idle(IDLE_WINDOW).await);
    stock_setup::create_skus(client, &options.target).await?;

    for scenario in Scenario::ALL {
        if !options.takes(scenario_run(scenario)) {
            continue;
        }
        for mode in modes(scenario, options) {
            let target = &options.target;
            let run = http_run(client, options, settler, report, target, scenario, mode).await?;
            report.results.push(run);
        }
    }

    if options.takes(Run::FacadeHop) {
        facade_hop_runs(client, options, settler, report).await?;
    }
    if options.takes(Run::EventHop) {
        event_hop_run(client, options, settler, report).await?;
    }
    if options.takes(Run::Checkout) {
        checkout_runs(client, options, settler, report).await?;
    }
    if options.takes(Run::EventSaga) {
        event_saga_run(client, options, settler, report).await;
    }
    Ok(())
}

/// The run group a closed/open-loop scenario belongs to.
fn scenario_run(scenario: Scenario) -> Run {
    match scenario {
        Scenario::StockReads => Run::StockReads,
        Scenario::HotReservations => Run::HotSkuReservations,
        _ => Run::SpreadReservations,
    }
}

/// The event hop at `--event-rate`, with the stock view's delay over it.
async fn event_hop_run(
    client: &Client,
    options: &Options,
    settler: &mut Settler,
    report: &mut Report,
) -> anyhow::Result<()> {
    let hop = open(options.event_rate);
    let quiet = announce(settler, options, Scenario::EventHop, hop).await;
    let timed = process_use::during(event_hop::run(client, options, options.event_rate));
    let ((measured, used), view) = stock_view::during(client, &options.target, timed).await;
    let mut run = RunFigures::new(Scenario::EventHop, hop, &measured?).under(quiet, used);
    run.stock_view = view_or_note(view, report);
    report.results.push(run);
    Ok(())
}

/// HTTP-first checkouts, unpaid then paid, at the checkout rate and at the payment rate.
async fn checkout_runs(
    client: &Client,
    options: &Options,
    settler: &mut Settler,
    report: &mut Report,
) -> anyhow::Result<()> {
    let target = &options.checkout_target;
    let mut rates = vec![options.checkout_rate];
    if options.payment_rate != options.checkout_rate {
        rates.push(options.payment_rate);
    }
    for rate in rates {
        for scenario in [Scenario::Checkout, Scenario::PaidCheckout] {
            let run = http_run(
                client,
                options,
                settler,
                report,
                target,
                scenario,
                open(rate),
            )
            .await?;
            report.results.push(run);
        }
    }
    Ok(())
}

/// The event-driven saga at `--saga-rate`; a note instead when it cannot run.
async fn event_saga_run(
    client: &Client,
    options: &Options,
    settler: &mut Settler,
    report: &mut Report,
) {
    let placing = open(options.saga_rate);
    let quiet = announce(settler, options, Scenario::EventSaga, placing).await;
    match process_use::during(saga::run(client, options, options.saga_rate)).await {
        (Ok(measured), used) => report
            .results
            .push(RunFigures::new(Scenario::EventSaga, placing, &measured).under(quiet, used)),
        (Err(e), _) => {
            eprintln!("event saga skipped: {e:#}");
            report.notes.push(format!("event saga not measured: {e:#}"));
        }
    }
}

/// The facade hop's runs: each of its scenarios at `--hop-rate`, through inventory-api,
/// then straight to inventory-service. Skipped, with a note, when inventory-service
/// does not answer (the Compose stack publishes only the facades).
async fn facade_hop_runs(
    client: &Client,
    options: &Options,
    settler: &mut Settler,
    report: &mut Report,
) -> anyhow::Result<()> {
    let health = format!("{}/healthz", options.service_target);
    if let Err(e) = client
        .get(&health)
        .send()
        .await
        .and_then(|r| r.error_for_status())
    {
        let why = format!("inventory-service does not answer at {health} ({e})");
        eprintln!("facade hop skipped: {why}");
        report.notes.push(format!("facade hop not measured: {why}"));
        return Ok(());
    }
    let mode = open(options.hop_rate);
    for scenario in facade_hop::SCENARIOS {
        for (via, target) in [
            (THROUGH_FACADE, &options.target),
            (DIRECT, &options.service_target),
        ] {
            eprintln!("facade hop: via {via}");
            let mut run =
                http_run(client, options, settler, report, target, scenario, mode).await?;
            run.via = Some(via);
            report.results.push(run);
        }
    }
    Ok(())
}

/// Reads: one closed loop and the open loop. Reservations: a closed loop per
/// concurrency, then the open loop.
pub fn modes(scenario: Scenario, options: &Options) -> Vec<Mode> {
    let (concurrencies, rate) = if scenario.is_read() {
        (options.read_concurrencies.clone(), options.read_rate)
    } else {
        (options.concurrencies.clone(), options.reserve_rate)
    };
    concurrencies
        .into_iter()
        .map(|concurrency| Mode::ClosedLoop { concurrency })
        .chain([open(rate)])
        .collect()
}

fn open(rate_per_sec: f64) -> Mode {
    Mode::OpenLoop { rate_per_sec }
}

/// One run of HTTP requests to `target`: the wait for quiet, the warm-up, then the
/// measured window with the processes' use over it and, when `target` is inventory-api,
/// its stock view.
async fn http_run(
    client: &Client,
    options: &Options,
    settler: &mut Settler,
    report: &mut Report,
    target: &str,
    scenario: Scenario,
    mode: Mode,
) -> anyhow::Result<RunFigures> {
    let quiet = announce(settler, options, scenario, mode).await;
    if !options.warmup().is_zero() {
        measure(client, target, scenario, mode, options.warmup()).await?;
    }
    let timed = process_use::during(measure(client, target, scenario, mode, options.duration()));
    if target != options.target {
        let (measured, used) = timed.await;
        return Ok(RunFigures::new(scenario, mode, &measured?).under(quiet, used));
    }
    let ((measured, used), view) = stock_view::during(client, target, timed).await;
    let mut run = RunFigures::new(scenario, mode, &measured?).under(quiet, used);
    run.stock_view = view_or_note(view, report);
    Ok(run)
}

/// The view's figures of `run`, or a note of why they are missing.
fn view_or_note(view: Result<ViewFigures, String>, report: &mut Report) -> Option<ViewFigures> {
    view.map_err(|why| {
        eprintln!("stock view not read: {why}");
        report.note_once(format!("stock view not read: {why}"));
    })
    .ok()
}

/// Waits for quiet, then says what comes and how quiet it was.
async fn announce(
    settler: &mut Settler,
    options: &Options,
    scenario: Scenario,
    mode: Mode,
) -> QuietStart {
    let quiet = settler.settle().await;
    eprintln!(
        "(waited {:.1} s, found {}, {}) {scenario}, {}: {:?} warm-up, {:?} measured",
        quiet.waited_secs,
        quiet.found.describe(),
        quiet.outcome(),
        mode.label(),
        options.warmup(),
        options.duration()
    );
    quiet
}

async fn measure(
    client: &Client,
    target: &str,
    scenario: Scenario,
    mode: Mode,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    match mode {
        Mode::ClosedLoop { concurrency } => {
            closed_loop::run(client, target, scenario, concurrency, duration).await
        }
        Mode::OpenLoop { rate_per_sec } => {
            open_loop::run(client, target, scenario, rate_per_sec, duration).await
        }
        Mode::FlatOut { .. } => anyhow::bail!("no run of the services is flat out"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_and_reads_run_at_each_of_their_concurrencies() {
        let args = [
            "--concurrencies=4,64",
            "--read-concurrencies=8,32",
            "--reserve-rate=100",
        ];
        let options = crate::options::parse(&args).unwrap();
        assert_eq!(
            modes(Scenario::HotReservations, &options),
            [
                Mode::ClosedLoop { concurrency: 4 },
                Mode::ClosedLoop { concurrency: 64 },
                open(100.0),
            ]
        );
        assert_eq!(
            modes(Scenario::StockReads, &options),
            [
                Mode::ClosedLoop { concurrency: 8 },
                Mode::ClosedLoop { concurrency: 32 },
                open(5000.0),
            ]
        );
    }
}
