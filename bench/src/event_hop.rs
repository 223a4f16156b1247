//! The event hop: how long a reservation's event takes from its commit to a consumer.
//!
//! A consumer on an exclusive queue bound to `product.inventory.reserved.direct` (the
//! bench's holds are a client's own, not the saga's) reads every
//! `ProductInventoryReserved` while spread reservations run open-loop at a fixed rate;
//! each event's latency is its arrival time minus its `occurredAt` (stamped just before
//! the statement that commits it, so the figure includes that statement). Only events
//! stamped inside the measured window count; the warm-up's do not.

use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::events::{HoldEvent, ProductInventoryReserved};
use futures::StreamExt;
use reqwest::Client;
use tokio::sync::oneshot;

use crate::{
    open_loop,
    options::Options,
    scenario::{Outcome, Scenario},
    subscription,
    tally::{Measurement, Tally},
};

const EXCHANGE: &str = "inventory_events";
const ROUTING_KEY: &str = <ProductInventoryReserved as HoldEvent>::DIRECT_ROUTING_KEY;

pub async fn run(client: &Client, options: &Options, rate: f64) -> anyhow::Result<Measurement> {
    let (connection, mut deliveries) = subscription::subscribe(
        &options.amqp_url,
        EXCHANGE,
        &[ROUTING_KEY],
        "bench-event-hop",
    )
    .await?;

    let window_start = Utc::now() + chrono::Duration::from_std(options.warmup)?;
    let (stop, stopped) = oneshot::channel::<DateTime<Utc>>();
    let consumer = tokio::spawn(async move {
        let mut tally = Tally::new();
        let mut stopped = stopped;
        let mut window_end: Option<DateTime<Utc>> = None;
        loop {
            let next = tokio::select! {
                end = &mut stopped, if window_end.is_none() => {
                    window_end = end.ok();
                    continue;
                }
                // After the load stops, wait for stragglers for a moment only.
                next = tokio::time::timeout(Duration::from_secs(2), deliveries.next()) => next,
            };
            let Ok(Some(Ok(delivery))) = next else {
                if window_end.is_some() {
                    break;
                }
                continue;
            };
            let arrived = Utc::now();
            let Some(occurred) = serde_json::from_slice::<serde_json::Value>(&delivery.data)
                .ok()
                .and_then(|v| v["occurredAt"].as_str().map(str::to_owned))
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc))
            else {
                continue;
            };
            let in_window =
                occurred >= window_start && window_end.is_none_or(|end| occurred <= end);
            if in_window {
                let hop = (arrived - occurred).to_std().unwrap_or_default();
                tally.record(hop, Outcome::Success);
            }
        }
        tally
    });

    let load = open_loop::run(
        client,
        &options.target,
        Scenario::EventHop,
        rate,
        options.warmup + options.duration,
    )
    .await?;
    let _ = stop.send(Utc::now());
    let mut tally = consumer.await?;
    // The load's refusals and transport errors are the run's errors.
    for (kind, count) in load.tally.errors {
        *tally.errors.entry(kind).or_default() += count;
    }
    let _ = connection.close(200, "done".into()).await;
    Ok(Measurement {
        tally,
        elapsed: options.duration,
        schedule_lag_max: load.schedule_lag_max,
    })
}
