//! RabbitMQ's own limit: persistent messages published with publisher confirms to a
//! throwaway exchange and durable queue, consumed in this process, timed from just
//! before each publish (stamped in the body, like an event's `occurredAt`) to its
//! arrival at the consumer.
//!
//! Published the way the outbox relay publishes (delivery mode 2, confirms awaited,
//! a JSON envelope of the same size, message id, type, timestamp and a `traceparent`
//! header) and consumed the way the event-hop run consumes (no acks), so the event hop
//! and this differ by what the services add: the outbox, the relay, its database work.
//!
//! Two loads: open loop at the event hop's rate (its p99 is the event hop's reference),
//! and flat out, with a bounded number of unconfirmed messages, for the most messages
//! per second. Each load gets its own exchange and queue, deleted afterwards; the
//! queue also expires by itself should the bench die.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use futures::StreamExt;
use lapin::{Consumer, options::BasicPublishOptions};
use tokio::{
    sync::{Semaphore, mpsc, oneshot},
    time::Instant,
};

use super::{
    LimitFigures, LimitKind, Limits,
    broker_message::{Envelope, Stamp},
    broker_route::{ROUTING_KEY, Route},
};
use crate::{
    options::Options,
    report::Mode,
    scenario::Outcome,
    tally::{Measurement, Tally},
};

/// Unconfirmed messages at most when publishing flat out.
const IN_FLIGHT: usize = 512;
/// How long confirmed messages may still take to arrive once publishing is done.
const DRAIN: Duration = Duration::from_secs(5);
/// Delay before the first message is due (see `open_loop`).
const START_OFFSET: Duration = Duration::from_millis(10);

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
    for pacing in [Pacing::Rate(options.event_rate), Pacing::FlatOut(IN_FLIGHT)] {
        let limit = LimitKind::BrokerPublishConsume;
        eprintln!(
            "{}, {}: {:?} warm-up, {:?} measured",
            limit.label(),
            pacing.mode().label(),
            options.warmup,
            options.duration
        );
        let figures = match warm_then_measure(options, pacing).await {
            Ok(measured) => LimitFigures::measured(limit, pacing.mode(), &measured),
            Err(e) => {
                limits.notes.push(format!("broker limit n/a: {e:#}"));
                LimitFigures::unavailable(limit, pacing.mode(), format!("{e:#}"))
            }
        };
        limits.figures.push(figures);
    }
    limits.notes.push(format!(
        "broker limit: persistent messages with publisher confirms to a throwaway durable \
         queue, consumed without acks in the same process, publish → consume; flat out \
         with at most {IN_FLIGHT} unconfirmed"
    ));
}

async fn warm_then_measure(options: &Options, pacing: Pacing) -> anyhow::Result<Measurement> {
    if !options.warmup.is_zero() {
        one_load(&options.amqp_url, pacing, options.warmup).await?;
    }
    one_load(&options.amqp_url, pacing, options.duration).await
}

/// One load on a route of its own.
async fn one_load(
    amqp_url: &str,
    pacing: Pacing,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    let (route, deliveries) = Route::open(amqp_url).await?;
    let base = Instant::now();
    let received = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = oneshot::channel();
    let consumer = tokio::spawn(consume(deliveries, base, received.clone(), stopped));

    let published = publish(&route, pacing, duration, base).await;
    let drain_until = Instant::now() + DRAIN;
    while published.is_ok()
        && received.load(Ordering::Relaxed) < published.as_ref().map_or(0, |p| p.confirmed)
        && Instant::now() < drain_until
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    let (mut tally, last_arrival) = consumer.await.context("the consumer task failed")?;
    route.close().await;

    let published = published?;
    let lost = published.confirmed.saturating_sub(tally.successes);
    for _ in 0..lost {
        tally.count_error("lost");
    }
    for (kind, count) in published.errors {
        *tally.errors.entry(kind).or_default() += count;
    }
    let active = last_arrival.map_or(duration, |last| {
        last.saturating_duration_since(published.started)
    });
    Ok(Measurement {
        tally,
        elapsed: match pacing {
            // The schedule spans the duration even if the last message came early.
            Pacing::Rate(_) => active.max(duration),
            Pacing::FlatOut(_) => active,
        },
        schedule_lag_max: published.schedule_lag_max,
    })
}

/// What the publisher did.
#[derive(Debug)]
struct Published {
    started: Instant,
    /// Messages the broker confirmed (acked).
    confirmed: u64,
    /// Nacks and failed confirms, by kind.
    errors: BTreeMap<String, u64>,
    schedule_lag_max: Option<Duration>,
}

async fn publish(
    route: &Route,
    pacing: Pacing,
    duration: Duration,
    base: Instant,
) -> anyhow::Result<Published> {
    let (confirms, mut confirmed) = mpsc::unbounded_channel::<Confirmed>();
    let window = Arc::new(Semaphore::new(match pacing {
        Pacing::Rate(_) => Semaphore::MAX_PERMITS,
        Pacing::FlatOut(in_flight) => in_flight,
    }));
    let envelope = Envelope::new();
    let t0 = Instant::now() + START_OFFSET;
    let deadline = t0 + duration;
    let mut schedule_lag_max = Duration::ZERO;
    for i in 0_u64.. {
        if let Pacing::Rate(rate) = pacing {
            let due = t0 + Duration::from_secs_f64(i as f64 / rate);
            if due >= deadline {
                break;
            }
            tokio::time::sleep_until(due).await;
            schedule_lag_max = schedule_lag_max.max(Instant::now().saturating_duration_since(due));
        } else if Instant::now() >= deadline {
            break;
        }
        let permit = window.clone().acquire_owned().await?;
        let sent_micros = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
        let confirm = route
            .channel
            .basic_publish(
                route.name.as_str().into(),
                ROUTING_KEY.into(),
                BasicPublishOptions::default(),
                envelope.body(sent_micros).as_bytes(),
                envelope.properties(),
            )
            .await
            .context("publishing")?;
        let confirms = confirms.clone();
        tokio::spawn(async move {
            let outcome = match confirm.await {
                Ok(confirmation) if confirmation.is_ack() => Confirmed::Ack,
                Ok(_) => Confirmed::Nack,
                Err(_) => Confirmed::Failed,
            };
            drop(permit);
            // The receiver lives until every sender is gone: this cannot fail.
            let _ = confirms.send(outcome);
        });
    }
    drop(confirms);
    let mut published = Published {
        started: t0,
        confirmed: 0,
        errors: BTreeMap::new(),
        schedule_lag_max: matches!(pacing, Pacing::Rate(_)).then_some(schedule_lag_max),
    };
    while let Some(outcome) = confirmed.recv().await {
        let error = match outcome {
            Confirmed::Ack => {
                published.confirmed += 1;
                continue;
            }
            Confirmed::Nack => "nack",
            Confirmed::Failed => "unconfirmed",
        };
        *published.errors.entry(error.to_owned()).or_default() += 1;
    }
    Ok(published)
}

/// The broker's answer to one publish.
#[derive(Debug, Clone, Copy)]
enum Confirmed {
    Ack,
    Nack,
    /// The confirm never came: the channel or the connection failed.
    Failed,
}
/// Reads deliveries until told to stop; their publish → arrival latencies and the time
/// the last one arrived.
async fn consume(
    mut deliveries: Consumer,
    base: Instant,
    received: Arc<AtomicU64>,
    mut stop: oneshot::Receiver<()>,
) -> (Tally, Option<Instant>) {
    let mut tally = Tally::new();
    let mut last_arrival = None;
    loop {
        let delivery = tokio::select! {
            _ = &mut stop => break,
            next = deliveries.next() => match next {
                Some(Ok(delivery)) => delivery,
                _ => break,
            },
        };
        let now = Instant::now();
        let arrived_micros = now.saturating_duration_since(base).as_micros();
        match serde_json::from_slice::<Stamp>(&delivery.data) {
            Ok(stamp) => {
                let micros = arrived_micros.saturating_sub(u128::from(stamp.sent_micros));
                let latency = Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX));
                tally.record(latency, Outcome::Success);
                last_arrival = Some(now);
                received.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => tally.count_error("unreadable"),
        }
    }
    (tally, last_arrival)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pacing_is_reported_as_its_mode() {
        assert_eq!(
            Pacing::Rate(1000.0).mode(),
            Mode::OpenLoop {
                rate_per_sec: 1000.0
            }
        );
        assert_eq!(
            Pacing::FlatOut(512).mode(),
            Mode::FlatOut { in_flight: 512 }
        );
    }
}
