//! RabbitMQ's own limit: persistent `ProductInventoryReserved` events published with
//! publisher confirms to a throwaway exchange and durable queue, consumed in this
//! process, and timed as the event hop is, from their `occurredAt` (stamped just before
//! each publish) to their arrival at the consumer.
//!
//! Published the way the outbox relay publishes (delivery mode 2, confirms awaited, the
//! same envelope, message id, type, timestamp and a `traceparent` header) and consumed
//! the way the event-hop run consumes (no acks), so the event hop and this differ by
//! what the services add: the outbox, the relay, its database work.
//!
//! Two loads: open loop at the event hop's rate (its p99 is the event hop's reference),
//! and flat out, with a bounded number of unconfirmed messages, for the most messages
//! per second. Each gets its own exchange and queue, deleted afterwards; the queue also
//! expires by itself should the bench die. As in the event hop, only the events that
//! occur after the warm-up count.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use contracts::events::{EventType, HoldEvent, ProductInventoryReserved};
use futures::{FutureExt, StreamExt, stream::FuturesUnordered};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties,
    options::{
        BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions, QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable, LongString},
};
use tokio::{sync::oneshot, time::Instant};

use super::{
    Limits,
    event::{self, TRACEPARENT},
};
use crate::{
    figures::{LimitFigures, LimitKind, Measurement, Mode},
    options::Options,
    subscription::{self, Queue},
};

/// Unconfirmed messages at most when publishing flat out.
const IN_FLIGHT: usize = 512;
/// Delay before the first message is due (see `open_loop`).
const START_OFFSET: Duration = Duration::from_millis(10);
/// The routing key of every message: the event hop's.
const ROUTING_KEY: &str = <ProductInventoryReserved as HoldEvent>::DIRECT_ROUTING_KEY;

/// How messages are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pacing {
    /// Message `i` due at `t0 + i / rate`.
    Rate(f64),
    /// As fast as confirms come back, at most this many unconfirmed.
    FlatOut(usize),
}

impl Pacing {
    fn mode(self) -> Mode {
        match self {
            Pacing::Rate(rate_per_sec) => Mode::OpenLoop { rate_per_sec },
            Pacing::FlatOut(in_flight) => Mode::FlatOut { in_flight },
        }
    }
}

/// Measures the broker at the event hop's rate and flat out into `limits`.
pub async fn measure(options: &Options, limits: &mut Limits) {
    let limit = LimitKind::BrokerPublishConsume;
    for pacing in [Pacing::Rate(options.event_rate), Pacing::FlatOut(IN_FLIGHT)] {
        eprintln!(
            "{}, {}: {:?} warm-up, {:?} measured",
            limit.label(),
            pacing.mode().label(),
            options.warmup(),
            options.duration()
        );
        limits.figures.push(match load(options, pacing).await {
            Ok(measured) => LimitFigures::measured(limit, pacing.mode(), &measured),
            Err(e) => {
                limits.notes.push(format!("broker limit n/a: {e:#}"));
                LimitFigures::unavailable(limit, pacing.mode(), format!("{e:#}"))
            }
        });
    }
    limits.notes.push(format!(
        "broker limit: persistent messages with publisher confirms to a throwaway durable \
         queue, consumed without acks in the same process, publish → consume; flat out \
         with at most {IN_FLIGHT} unconfirmed"
    ));
}

/// One load, warm-up and measured window, on a route of its own.
async fn load(options: &Options, pacing: Pacing) -> anyhow::Result<Measurement> {
    let name = format!("bench-raw-{}", uuid::Uuid::now_v7().simple());
    let queue = Queue::Durable(name.clone());
    let (listener, deliveries) =
        subscription::subscribe(&options.amqp_url, &name, &[ROUTING_KEY], queue).await?;
    let publisher = Connection::connect(&options.amqp_url, ConnectionProperties::default()).await?;
    let channel = publisher.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;

    let window_start = Utc::now() + chrono::Duration::from_std(options.warmup())?;
    let (stop, stopped) = oneshot::channel();
    let consumer = tokio::spawn(subscription::ages(deliveries, window_start, stopped));
    let total = options.warmup() + options.duration();
    let published = publish(&channel, &name, pacing, total, window_start).await;
    let window_end = Utc::now();
    let _ = stop.send(window_end);
    let arrivals = consumer.await.context("the consumer task failed")?;
    // Best effort: the queue expires anyway.
    let _ = channel
        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = channel
        .exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default())
        .await;
    let _ = listener.close(200, "done".into()).await;
    let _ = publisher.close(200, "done".into()).await;

    let published = published?;
    let mut tally = arrivals.tally;
    let lost = published.confirmed.saturating_sub(tally.successes);
    tally.add_errors("lost", lost);
    tally.add_errors("nack", published.nacked);
    tally.add_errors("unconfirmed", published.unconfirmed);
    let elapsed = match pacing {
        // The schedule spans the window even if the last message came early.
        Pacing::Rate(_) => Some(window_end),
        Pacing::FlatOut(_) => arrivals.last,
    }
    .and_then(|end| (end - window_start).to_std().ok());
    Ok(Measurement {
        tally,
        elapsed: elapsed.unwrap_or(options.duration()),
        schedule_lag_max: published.schedule_lag_max,
    })
}

/// What the broker answered to the messages of the measured window.
#[derive(Debug, Default)]
struct Published {
    confirmed: u64,
    nacked: u64,
    /// The confirm never came: the channel or the connection failed.
    unconfirmed: u64,
    schedule_lag_max: Option<Duration>,
}

impl Published {
    fn count(&mut self, (counted, confirm): (bool, lapin::Result<Confirmation>)) {
        match confirm {
            _ if !counted => {}
            Ok(confirmation) if confirmation.is_ack() => self.confirmed += 1,
            Ok(_) => self.nacked += 1,
            Err(_) => self.unconfirmed += 1,
        }
    }
}

async fn publish(
    channel: &Channel,
    exchange: &str,
    pacing: Pacing,
    total: Duration,
    window_start: chrono::DateTime<Utc>,
) -> anyhow::Result<Published> {
    let mut published = Published::default();
    let mut pending = FuturesUnordered::new();
    let t0 = Instant::now() + START_OFFSET;
    let end = t0 + total;
    let mut lag = Duration::ZERO;
    for i in 0_u64.. {
        match pacing {
            Pacing::Rate(rate) => {
                let due = t0 + Duration::from_secs_f64(i as f64 / rate);
                if due >= end {
                    break;
                }
                tokio::time::sleep_until(due).await;
                lag = lag.max(Instant::now().saturating_duration_since(due));
            }
            Pacing::FlatOut(in_flight) => {
                if Instant::now() >= end {
                    break;
                }
                while pending.len() >= in_flight {
                    if let Some(answer) = pending.next().await {
                        published.count(answer);
                    }
                }
            }
        }
        while let Some(Some(answer)) = pending.next().now_or_never() {
            published.count(answer);
        }
        let event = event::reserved(Utc::now());
        let counted = event.occurred_at >= window_start;
        let confirm = channel
            .basic_publish(
                exchange.into(),
                ROUTING_KEY.into(),
                BasicPublishOptions::default(),
                &serde_json::to_vec(&event)?,
                properties(),
            )
            .await
            .context("publishing")?;
        pending.push(confirm.map(move |answer| (counted, answer)));
    }
    while let Some(answer) = pending.next().await {
        published.count(answer);
    }
    published.schedule_lag_max = matches!(pacing, Pacing::Rate(_)).then_some(lag);
    Ok(published)
}

/// The properties the outbox relay sets.
fn properties() -> BasicProperties {
    let mut headers = FieldTable::default();
    let traceparent = AMQPValue::LongString(LongString::from(TRACEPARENT));
    headers.insert("traceparent".into(), traceparent);
    BasicProperties::default()
        .with_message_id(uuid::Uuid::now_v7().to_string().into())
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_type(ProductInventoryReserved::TYPE.into())
        .with_timestamp(Utc::now().timestamp() as u64)
        .with_headers(headers)
}
