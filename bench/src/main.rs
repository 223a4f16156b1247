//! bench: drives the services with their workloads (stock reads; reservations on one hot
//! SKU and spread over 10,000 SKUs, at several concurrencies and at a fixed rate;
//! the event hop from a reservation's commit to a consumer; HTTP-first checkouts; the
//! event-driven saga; the facade hop, through inventory-api and straight to
//! inventory-service), measures on the same machine what PostgreSQL (pgbench) and
//! RabbitMQ alone sustain for the same work, and writes both side by side, each run
//! read against its limit, its goal and the service levels (SLA), with how quiet the
//! system was when it started, what its processes used and, for the runs through
//! inventory-api, where its stock view answered the reads and how far it trailed the
//! database, to `bench/results/latest.{json,md}` and stdout.
//!
//! It talks HTTP to a running system; start it first (`just bench` does). The limits
//! alone (`--only limits`) need PostgreSQL and RabbitMQ but no service.

mod closed_loop;
mod comparison;
mod event_hop;
mod facade_hop;
mod figures;
mod goal;
mod limits;
mod open_loop;
mod options;
mod process_use;
mod prometheus_text;
mod psql;
mod read_client;
mod report;
mod saga;
mod scenario;
mod sections;
mod settle;
mod stock_setup;
mod stock_view;
mod subscription;
mod system_runs;
mod table;

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use figures::Report;
use options::Options;
use reqwest::Client;
use settle::Settler;

/// No single request waits longer: a hung request is a transport error, not a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let client = http_client(&options)?;
    let mut report = Report::new(&options, chrono::Utc::now());
    let mut settler = Settler::new(&options);

    if options.only.runs_system() {
        system_runs::run(&client, &options, &mut settler, &mut report).await?;
    }
    if options.only.runs_limits() {
        if options.only.runs_system() {
            // The limits are taken on a quiet machine, as the services' runs are.
            report.limits_quiet_start = Some(settler.settle().await);
        }
        let limits = limits::measure(&options).await;
        report.limits = limits.figures;
        report.notes.extend(limits.notes);
    }
    report.notes.extend(settler.problems());
    report.conclude();

    let written = report.write(&options.out_dir)?;
    print!("{}", table::markdown(&report));
    eprintln!("figures written to {}", written.display());
    Ok(())
}

/// One pool for the whole run, HTTP/1.1 keep-alive, large enough that no worker or
/// in-flight open-loop request has to open a fresh connection in steady state.
fn http_client(options: &Options) -> anyhow::Result<Client> {
    Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(options.most_workers().max(256))
        .pool_idle_timeout(Duration::from_secs(90))
        .connect_timeout(Duration::from_secs(2))
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")
}
