//! The services' runs, in order: stock reads (closed loop at the reads' concurrency, then
//! open loop), hot-SKU and spread reservations (closed loop at each of the reservation
//! concurrencies, then open loop), the event hop, HTTP-first checkouts and the
//! event-driven saga. Before each run it waits for the system to be quiet (`settle`).

use std::time::Duration;

use reqwest::Client;

use crate::{
    closed_loop, event_hop, open_loop,
    options::Options,
    report::{Mode, Report, RunFigures},
    saga,
    scenario::Scenario,
    settle, stock_setup,
    tally::Measurement,
};

/// Creates the SKUs, then measures every run of the services into `report`.
pub async fn run(client: &Client, options: &Options, report: &mut Report) -> anyhow::Result<()> {
    stock_setup::check_reachable(client, &options.target).await?;
    stock_setup::create_skus(client, &options.target).await?;

    for scenario in Scenario::ALL {
        for mode in modes(scenario, options) {
            announce(client, options, scenario, mode).await;
            if !options.warmup.is_zero() {
                measure(client, &options.target, scenario, mode, options.warmup).await?;
            }
            let measured =
                measure(client, &options.target, scenario, mode, options.duration).await?;
            report
                .results
                .push(RunFigures::new(scenario, mode, &measured));
        }
    }

    let hop = open(options.event_rate);
    announce(client, options, Scenario::EventHop, hop).await;
    let measured = event_hop::run(client, options, options.event_rate).await?;
    report
        .results
        .push(RunFigures::new(Scenario::EventHop, hop, &measured));

    let checkout = open(options.checkout_rate);
    announce(client, options, Scenario::Checkout, checkout).await;
    let target = &options.checkout_target;
    if !options.warmup.is_zero() {
        open_loop::run(
            client,
            target,
            Scenario::Checkout,
            options.checkout_rate,
            options.warmup,
        )
        .await?;
    }
    let measured = open_loop::run(
        client,
        target,
        Scenario::Checkout,
        options.checkout_rate,
        options.duration,
    )
    .await?;
    report
        .results
        .push(RunFigures::new(Scenario::Checkout, checkout, &measured));

    let placing = open(options.saga_rate);
    announce(client, options, Scenario::EventSaga, placing).await;
    match saga::run(client, options, options.saga_rate).await {
        Ok(measured) => {
            report
                .results
                .push(RunFigures::new(Scenario::EventSaga, placing, &measured))
        }
        Err(e) => {
            eprintln!("event saga skipped: {e:#}");
            report.notes.push(format!("event saga not measured: {e:#}"));
        }
    }
    Ok(())
}

/// Reads: one closed loop and the open loop. Reservations: a closed loop per
/// concurrency, then the open loop.
pub fn modes(scenario: Scenario, options: &Options) -> Vec<Mode> {
    let (concurrencies, rate) = if scenario.is_read() {
        (vec![options.concurrency], options.read_rate)
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

/// Waits for quiet, then says what comes.
async fn announce(client: &Client, options: &Options, scenario: Scenario, mode: Mode) {
    let waited = settle::settle(client, &options.amqp_url).await;
    eprintln!(
        "(settled in {waited:.1?}) {scenario}, {}: {:?} warm-up, {:?} measured",
        mode.label(),
        options.warmup,
        options.duration
    );
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
    use crate::options::Invocation;

    #[test]
    fn reservations_run_at_every_concurrency_and_reads_at_one() {
        let Ok(Invocation::Run(options)) = Options::parse(
            [
                "--concurrencies=4,64",
                "--concurrency=8",
                "--reserve-rate=100",
            ]
            .map(String::from),
            |_| None,
        ) else {
            panic!("options");
        };
        assert_eq!(
            modes(Scenario::HotReservations, &options),
            [
                Mode::ClosedLoop { concurrency: 4 },
                Mode::ClosedLoop { concurrency: 64 },
                Mode::OpenLoop {
                    rate_per_sec: 100.0
                },
            ]
        );
        assert_eq!(
            modes(Scenario::StockReads, &options),
            [
                Mode::ClosedLoop { concurrency: 8 },
                Mode::OpenLoop {
                    rate_per_sec: 5000.0
                },
            ]
        );
    }
}
