//! The event hop: how long a reservation's event takes from its commit to a consumer.
//!
//! A consumer on a private queue bound to `product.inventory.reserved.direct` (the
//! bench's holds are a client's own, not the saga's) reads every
//! `ProductInventoryReserved` while spread reservations run open-loop at a fixed rate;
//! each event's latency is its arrival time minus its `occurredAt` (stamped just before
//! the statement that commits it, so the figure includes that statement). Only events
//! stamped inside the measured window count; the warm-up's do not.

use chrono::Utc;
use contracts::events::{EventType, HoldEvent, ProductInventoryReserved};
use reqwest::Client;
use tokio::sync::oneshot;

use crate::{
    figures::{Measurement, Scenario},
    open_loop,
    options::Options,
    subscription::{self, Queue},
};

pub async fn run(client: &Client, options: &Options, rate: f64) -> anyhow::Result<Measurement> {
    let (connection, deliveries) = subscription::subscribe(
        &options.amqp_url,
        ProductInventoryReserved::EXCHANGE,
        &[ProductInventoryReserved::DIRECT_ROUTING_KEY],
        Queue::Private,
    )
    .await?;
    let window_start = Utc::now() + chrono::Duration::from_std(options.warmup())?;
    let (stop, stopped) = oneshot::channel();
    let listener = tokio::spawn(subscription::ages(deliveries, window_start, stopped));

    let total = options.warmup() + options.duration();
    let load = open_loop::run(client, &options.target, Scenario::EventHop, rate, total).await;
    let _ = stop.send(Utc::now());
    let mut tally = listener.await?.tally;
    let _ = connection.close(200, "done".into()).await;
    // The load's refusals and transport errors are the run's errors.
    let load = load?;
    tally.merge_errors(&load.tally);
    Ok(Measurement {
        tally,
        elapsed: options.duration(),
        schedule_lag_max: load.schedule_lag_max,
    })
}
