//! Fixed concurrency (closed loop): N workers, each sending its next request as soon as
//! the previous one is answered. It finds the throughput the service sustains; its
//! latencies are those of a client that waits, so they hide queueing (see `open_loop`).
//!
//! Stock reads go over one bare keep-alive connection per worker (`read_client`), the
//! cheapest client for the rates they reach; every other scenario over the shared
//! reqwest pool.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use reqwest::Client;
use tokio::time::Instant;

use crate::{
    figures::{Measurement, Scenario, Tally},
    read_client::{Reader, Target},
    scenario,
};

pub async fn run(
    client: &Client,
    target: &str,
    scenario: Scenario,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    let reads = if scenario.is_read() {
        Some(Arc::new(Target::parse(target)?))
    } else {
        None
    };
    let started = Instant::now();
    let deadline = started + duration;
    // One sequence shared by all workers so the SKUs they visit do not overlap.
    let sequence = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let target = target.to_owned();
            let sequence = Arc::clone(&sequence);
            let mut reader = reads.clone().map(Reader::new);
            tokio::spawn(async move {
                let mut tally = Tally::default();
                if let Some(reader) = &mut reader {
                    reader.connect().await;
                }
                while Instant::now() < deadline {
                    let n = sequence.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let outcome = match &mut reader {
                        Some(reader) => reader.get(&scenario::stock_path(n)).await,
                        None => scenario::send(scenario, &client, &target, n).await,
                    };
                    tally.record(sent.elapsed(), outcome);
                }
                tally
            })
        })
        .collect();

    let mut total = Tally::default();
    for worker in workers {
        total.merge(&worker.await?);
    }
    Ok(Measurement {
        tally: total,
        elapsed: started.elapsed(),
        schedule_lag_max: None,
    })
}
