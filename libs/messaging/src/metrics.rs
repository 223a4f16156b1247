//! What the messaging plumbing measures, recorded with the `metrics` facade (the
//! service's recorder renders it on `/metrics`):
//!
//! - `events_published_total{event_type}`: events the broker confirmed, by the relay;
//! - `outbox_unroutable_total{event_type}`: events the broker returned to the relay's
//!   mandatory publish because no queue is bound to their routing key; each stays in the
//!   outbox and is tried again later, so a rising count means a consumer queue is
//!   missing, not that events are lost;
//! - `events_consumed_total{event_type,outcome}`: deliveries settled by a consumer, with
//!   `outcome` one of `handled`, `retried`, `dead_lettered` (`event_type` is `unknown`
//!   when the envelope could not be read);
//! - `outbox_backlog` and `outbox_oldest_age_seconds`: rows waiting in the outbox and
//!   the age of the oldest, sampled by each relay whether or not the broker is up (a
//!   backlog grows precisely when it is not);
//! - `dlq_depth{queue}`: messages in a consumer's dead-letter queue, sampled by that
//!   consumer.
//!
//! Sampling never gets in the way of the work: a failed sample is logged at `DEBUG` and
//! the gauge keeps its last value.

use std::{sync::Once, time::Duration};

use contracts::events::EVENT_ROUTES;
use lapin::{Channel, Connection, options::QueueDeclareOptions, types::FieldTable};
use metrics::{counter, describe_counter, describe_gauge, gauge};
use sqlx::PgPool;
use tokio::time::{self, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

const PUBLISHED: &str = "events_published_total";
const UNROUTABLE: &str = "outbox_unroutable_total";
const CONSUMED: &str = "events_consumed_total";
const OUTBOX_BACKLOG: &str = "outbox_backlog";
const OUTBOX_OLDEST_AGE: &str = "outbox_oldest_age_seconds";
const DLQ_DEPTH: &str = "dlq_depth";

/// How often a relay counts the outbox: often enough for a 15 s scrape, one cheap query.
pub(crate) const OUTBOX_SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// How often a consumer asks the broker for its DLQ's depth: dead letters are rare and
/// an operator needs minutes, not seconds, to act on them.
pub(crate) const DLQ_SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Longest wait for the broker's answer to a queue's depth, so a slow broker cannot hold
/// up the consuming or publishing loop the sample runs in.
const QUEUE_SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

/// How a consumer settled a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Consumed {
    /// The handler succeeded; the delivery was acked.
    Handled,
    /// The handler failed and may succeed later; a copy waits in a retry queue.
    Retried,
    /// Malformed, rejected or out of retries; a copy waits in the DLQ.
    DeadLettered,
}

impl Consumed {
    fn as_str(self) -> &'static str {
        match self {
            Self::Handled => "handled",
            Self::Retried => "retried",
            Self::DeadLettered => "dead_lettered",
        }
    }
}

/// The event type label of a delivery whose envelope could not be read.
pub(crate) const UNKNOWN_EVENT_TYPE: &str = "unknown";

/// Registers, at zero, the count of every event type published to `exchanges` (logical
/// names), so the series exist from the first scrape.
pub(crate) fn register_published(exchanges: &[&'static str]) {
    for route in EVENT_ROUTES
        .iter()
        .filter(|route| exchanges.contains(&route.exchange))
    {
        counter!(PUBLISHED, "event_type" => route.event_type).increment(0);
    }
}

/// Registers, at zero, every outcome of every event type a queue is bound to (by its
/// routing key), so the series exist from the first scrape.
pub(crate) fn register_consumed(bindings: &[(String, String)]) {
    for route in EVENT_ROUTES
        .iter()
        .filter(|route| bindings.iter().any(|(_, key)| key == route.routing_key))
    {
        for outcome in [Consumed::Handled, Consumed::Retried, Consumed::DeadLettered] {
            counter!(CONSUMED, "event_type" => route.event_type, "outcome" => outcome.as_str())
                .increment(0);
        }
    }
}

/// Counts one event the broker confirmed.
pub(crate) fn published(event_type: &str) {
    counter!(PUBLISHED, "event_type" => event_type.to_owned()).increment(1);
}

/// Counts one event the broker returned as unroutable; it stays in the outbox.
pub(crate) fn unroutable(event_type: &str) {
    counter!(UNROUTABLE, "event_type" => event_type.to_owned()).increment(1);
}

/// Counts one delivery settled.
pub(crate) fn consumed(event_type: &str, outcome: Consumed) {
    counter!(CONSUMED, "event_type" => event_type.to_owned(), "outcome" => outcome.as_str())
        .increment(1);
}

/// Samples the outbox every [`OUTBOX_SAMPLE_EVERY`], the first time at once, until
/// `stop` is cancelled. Rows are deleted once published, so every row is a backlog row.
pub(crate) async fn sample_outbox(pool: &PgPool, stop: &CancellationToken) {
    let mut tick = time::interval(OUTBOX_SAMPLE_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        // `EXTRACT` answers `numeric`; the cast keeps the driver to plain floats.
        let sample: sqlx::Result<(i64, f64)> = sqlx::query_as(
            "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
               FROM outbox",
        )
        .fetch_one(pool)
        .await;
        match sample {
            Ok((rows, oldest_age)) => {
                // A count of rows is far below 2^53: the cast is exact.
                gauge!(OUTBOX_BACKLOG).set(rows as f64);
                gauge!(OUTBOX_OLDEST_AGE).set(oldest_age.max(0.0));
            }
            Err(e) => tracing::debug!(error = %e, "outbox sample failed"),
        }
    }
}

/// The ready messages of one queue, read with a passive declare on a channel of its own
/// on the given connection. A passive declare of a missing queue closes its channel, so
/// the channel is reopened when needed, never shared with consuming or publishing.
#[derive(Debug)]
pub(crate) struct QueueDepth {
    queue: String,
    channel: Option<Channel>,
}

impl QueueDepth {
    pub(crate) fn new(queue: String) -> Self {
        Self {
            queue,
            channel: None,
        }
    }

    /// One reading; `None` when the queue is missing or the broker did not answer within
    /// [`QUEUE_SAMPLE_TIMEOUT`] (logged at `DEBUG`).
    pub(crate) async fn read(&mut self, connection: &Connection) -> Option<u32> {
        match time::timeout(QUEUE_SAMPLE_TIMEOUT, self.message_count(connection)).await {
            Ok(Ok(depth)) => Some(depth),
            Ok(Err(e)) => {
                tracing::debug!(queue = %self.queue, error = %e, "queue depth sample failed");
                self.channel = None;
                None
            }
            Err(_) => {
                tracing::debug!(queue = %self.queue, "queue depth sample timed out");
                self.channel = None;
                None
            }
        }
    }

    async fn message_count(&mut self, connection: &Connection) -> lapin::Result<u32> {
        let channel = match &self.channel {
            Some(channel) if channel.status().connected() => channel.clone(),
            _ => {
                let channel = connection.create_channel().await?;
                self.channel = Some(channel.clone());
                channel
            }
        };
        let queue = channel
            .queue_declare(
                self.queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        Ok(queue.message_count())
    }
}

/// The depth of one dead-letter queue, sampled on the consumer's connection.
#[derive(Debug)]
pub(crate) struct DlqDepth(QueueDepth);

impl DlqDepth {
    pub(crate) fn new(queue: String) -> Self {
        Self(QueueDepth::new(queue))
    }

    /// Takes one sample; never fails, at worst leaves the gauge as it was.
    pub(crate) async fn sample(&mut self, connection: &Connection) {
        if let Some(depth) = self.0.read(connection).await {
            gauge!(DLQ_DEPTH, "queue" => self.0.queue.clone()).set(f64::from(depth));
        }
    }
}

/// Gives the metrics their help text, once per process.
pub(crate) fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            PUBLISHED,
            "Events published by the outbox relay and confirmed by the broker, by event type."
        );
        describe_counter!(
            UNROUTABLE,
            "Events the broker returned to the outbox relay as unroutable (no queue bound to their routing key), by event type; each stays in the outbox and is retried with backoff."
        );
        describe_counter!(
            CONSUMED,
            "Deliveries settled by a consumer, by event type and outcome (handled, retried, dead_lettered)."
        );
        describe_gauge!(
            OUTBOX_BACKLOG,
            "Events written to the outbox and not yet published."
        );
        describe_gauge!(
            OUTBOX_OLDEST_AGE,
            "Age in seconds of the oldest unpublished outbox event; 0 when the outbox is empty."
        );
        describe_gauge!(DLQ_DEPTH, "Messages waiting in a dead-letter queue, by queue.");
    });
}
