//! bench: drives inventory-api with three workloads (stock reads, reservations on one
//! hot SKU, reservations spread over 10,000 SKUs), each under fixed concurrency and at a
//! fixed rate, then times the event hop (a reservation's commit to its
//! `ProductInventoryReserved` at a consumer) at a fixed rate, and writes the figures to
//! `bench/results/`.
//!
//! It only talks HTTP to a running inventory-api; start the system first.

mod closed_loop;
mod event_hop;
mod open_loop;
mod options;
mod report;
mod saga;
mod scenario;
mod settle;
mod stock_setup;
mod subscription;
mod tally;

use std::time::Duration;

use anyhow::Context;
use options::{Invocation, Options};
use report::{Mode, Report, RunFigures};
use reqwest::Client;
use scenario::Scenario;

/// No single request waits longer: a hung request is a transport error, not a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = match Options::from_process()? {
        Invocation::Run(options) => options,
        Invocation::Help => {
            print!("{}", options::USAGE);
            return Ok(());
        }
    };
    let client = http_client(&options)?;
    let mut report = Report::new(&options, chrono::Utc::now());

    stock_setup::check_reachable(&client, &options.target).await?;
    stock_setup::create_skus(&client, &options.target).await?;

    for scenario in Scenario::ALL {
        let rate = if scenario.is_read() {
            options.read_rate
        } else {
            options.reserve_rate
        };
        for mode in [
            Mode::ClosedLoop {
                concurrency: options.concurrency,
            },
            Mode::OpenLoop { rate_per_sec: rate },
        ] {
            let waited = settle::settle(&client, &options.amqp_url).await;
            eprintln!(
                "(settled in {waited:.1?}) {scenario}, {}: {:?} warm-up, {:?} measured",
                mode.label(),
                options.warmup,
                options.duration
            );
            if !options.warmup.is_zero() {
                measure(&client, &options.target, scenario, mode, options.warmup).await?;
            }
            let measured =
                measure(&client, &options.target, scenario, mode, options.duration).await?;
            report
                .results
                .push(RunFigures::new(scenario, mode, &measured));
        }
    }

    settle::settle(&client, &options.amqp_url).await;
    eprintln!(
        "{}, {}: {:?} warm-up, {:?} measured",
        Scenario::EventHop,
        Mode::OpenLoop {
            rate_per_sec: options.event_rate
        }
        .label(),
        options.warmup,
        options.duration
    );
    let hop = event_hop::run(&client, &options, options.event_rate).await?;
    report.results.push(RunFigures::new(
        Scenario::EventHop,
        Mode::OpenLoop {
            rate_per_sec: options.event_rate,
        },
        &hop,
    ));

    settle::settle(&client, &options.amqp_url).await;
    eprintln!(
        "{}, {}: {:?} warm-up, {:?} measured",
        Scenario::Checkout,
        Mode::OpenLoop {
            rate_per_sec: options.checkout_rate
        }
        .label(),
        options.warmup,
        options.duration
    );
    if !options.warmup.is_zero() {
        open_loop::run(
            &client,
            &options.checkout_target,
            Scenario::Checkout,
            options.checkout_rate,
            options.warmup,
        )
        .await?;
    }
    let checkouts = open_loop::run(
        &client,
        &options.checkout_target,
        Scenario::Checkout,
        options.checkout_rate,
        options.duration,
    )
    .await?;
    report.results.push(RunFigures::new(
        Scenario::Checkout,
        Mode::OpenLoop {
            rate_per_sec: options.checkout_rate,
        },
        &checkouts,
    ));

    settle::settle(&client, &options.amqp_url).await;
    eprintln!(
        "{}, {}: {:?} warm-up, {:?} measured",
        Scenario::EventSaga,
        Mode::OpenLoop {
            rate_per_sec: options.saga_rate
        }
        .label(),
        options.warmup,
        options.duration
    );
    match saga::run(&client, &options, options.saga_rate).await {
        Ok(figures) => report.results.push(RunFigures::new(
            Scenario::EventSaga,
            Mode::OpenLoop {
                rate_per_sec: options.saga_rate,
            },
            &figures,
        )),
        Err(e) => eprintln!("event saga skipped: {e:#}"),
    }

    let written = report.write(&options.out_dir)?;
    print!("{}", report.markdown());
    eprintln!("figures written to {}", written.display());
    Ok(())
}

async fn measure(
    client: &Client,
    target: &str,
    scenario: Scenario,
    mode: Mode,
    duration: Duration,
) -> anyhow::Result<tally::Measurement> {
    match mode {
        Mode::ClosedLoop { concurrency } => {
            closed_loop::run(client, target, scenario, concurrency, duration).await
        }
        Mode::OpenLoop { rate_per_sec } => {
            open_loop::run(client, target, scenario, rate_per_sec, duration).await
        }
    }
}

/// One pool for the whole run, HTTP/1.1 keep-alive, large enough that no worker or
/// in-flight open-loop request has to open a fresh connection in steady state.
fn http_client(options: &Options) -> anyhow::Result<Client> {
    Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(options.concurrency.max(256))
        .pool_idle_timeout(Duration::from_secs(90))
        .connect_timeout(Duration::from_secs(2))
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")
}
