//! The outbox relay: publishes outbox rows to RabbitMQ and deletes them once the broker
//! has confirmed them and routed them to a queue.
//!
//! - The service that commits outbox rows wakes its own relay in-process right after
//!   the commit ([`OutboxWake`]), so an event leaves within one batch of its commit.
//!   Without a wake the relay polls, adaptively: 10 ms after a busy batch, doubling while
//!   the outbox stays empty up to `poll_interval`, so rows written by other instances
//!   (or left by a crash) wait at most that long. There is no `NOTIFY`: PostgreSQL
//!   serialises the commits of every transaction that notified, which would cap every
//!   writer at about one commit per WAL flush.
//! - Rows are claimed with `FOR UPDATE SKIP LOCKED` inside a transaction that stays
//!   open until the broker has answered for every message of the batch: several relays
//!   (several service instances) never publish one row concurrently, and a relay that
//!   dies mid-batch leaves its rows to be published by the next one.
//! - Every message is published *mandatory*: the broker returns one that no queue is
//!   bound to (`basic.return`, before its confirm). Every event type has a queue, its
//!   consumers' or its exchange's journal (see [`crate::topology::journal`]), so a
//!   return means a consumer queue is missing: the broker's definitions were not
//!   applied and the consumer has not run yet, or an operator deleted the queue. The
//!   returned row is not deleted, whatever the rest of its batch does: it stays in the
//!   outbox with `attempts` + 1 and `not_before` set after a backoff (0.5 s doubling,
//!   capped at 30 s), is logged with its routing key and counted
//!   (`outbox_unroutable_total`), and is claimed again once `not_before` has passed. The
//!   event waits for its queue instead of vanishing.
//! - On every connect it declares the exchanges its service owns and their journals.
//! - Every wait on the broker is bounded: the publishes and the confirms of a batch
//!   must all be done within `publish_timeout` of the claim (5 s by default, see
//!   [`OutboxRelay::run_with_publish_timeout`]), and so must opening a channel and
//!   declaring. A broker that stops answering (a resource alarm blocks publishers, a
//!   network drops packets) fails the batch: its transaction rolls back, its rows stay,
//!   the relay reconnects. The claiming transaction is never held open longer than
//!   that, well within the database's idle-in-transaction limit.
//! - When `stop` is cancelled mid-batch, the batch is abandoned: its transaction rolls
//!   back and its rows stay for the next run. What the broker had already taken is
//!   published again then, which the consumers' inbox absorbs.
//! - When the broker is away the rows wait; the relay reconnects with backoff and
//!   catches up. Delivery is at-least-once: a crash between the confirm and the commit
//!   publishes a row again, which the consumers' inbox absorbs.
//! - The outbox is a queue: its rows live milliseconds, so it piles up dead row
//!   versions as fast as events flow, and every claim walks past them. PostgreSQL's
//!   autovacuum, tuned for tables that keep their rows, lags behind such churn (or is
//!   off), and a claim on an outbox holding no live row but a few hundred thousand
//!   dead ones was measured at about 1 ms instead of a few microseconds. So the relay
//!   vacuums the outbox itself ([`VACUUM_AFTER`] rows deleted, and once on start), in a
//!   task of its own: a plain `VACUUM` blocks no writer, and a second one while the
//!   first runs is skipped.
//! - After each batch it says how far behind it is, the age of the batch's oldest row,
//!   and every [`QUEUES_SAMPLED_EVERY`] how many events wait in the consumer queues of
//!   the event path, in its [`RelayLag`], which the routes that start new work
//!   read to refuse it while the events are too far behind (see [`crate::backpressure`]).
//! - While it runs, it samples the outbox's backlog and the age of its oldest row, and
//!   counts every event the broker confirms and every one it returns (see
//!   [`crate::metrics`]).
//! - Each message is persistent, has `message_id` = event id, `content_type` JSON,
//!   `type` = event type, and the `traceparent` of the request that wrote the row (the
//!   publish span is a child of it), so the trace continues through the broker.

use std::{
    collections::HashSet,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, bail};
use futures::future;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, PublisherConfirm,
    message::BasicReturnMessage,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use sqlx::PgPool;
use tokio::{sync::Notify, time::Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use contracts::events::subscriptions::SUBSCRIPTIONS;

use crate::{
    RelayLag,
    broker::{self, BrokerHealth},
    metrics::{self, QueueDepth},
    topology::{Names, declare_exchange, declare_journals},
};

/// The shortest pause between two looks at the outbox, right after a busy batch.
const MIN_POLL: Duration = Duration::from_millis(10);

/// Wakes this process's relay: the store calls [`OutboxWake::wake`] right after
/// committing a transaction that wrote outbox rows. A wake that comes while the relay
/// is busy is kept (one permit), so none is lost; several collapse into one look.
#[derive(Debug, Clone, Default)]
pub struct OutboxWake(Arc<Notify>);

impl OutboxWake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    async fn woken(&self) {
        self.0.notified().await;
    }
}

/// How often the relay reads the depth of the consumer queues its events go to.
pub const QUEUES_SAMPLED_EVERY: Duration = Duration::from_millis(250);

/// Rows the relay deletes between two vacuums of the outbox.
pub const VACUUM_AFTER: usize = 2_000;

/// Vacuums the outbox from a task of its own, one at a time.
#[derive(Debug, Clone, Default)]
struct Vacuum {
    running: Arc<AtomicBool>,
}

impl Vacuum {
    fn start(&self, pool: &PgPool) {
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, running) = (pool.clone(), self.running.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            // Outside any transaction (VACUUM refuses to run in one).
            match sqlx::query("VACUUM outbox").execute(&pool).await {
                Ok(_) => tracing::debug!(elapsed = ?started.elapsed(), "outbox vacuumed"),
                Err(e) => tracing::warn!(error = %e, "the outbox could not be vacuumed"),
            }
            running.store(false, Ordering::Release);
        });
    }
}

/// How long the broker may take, by default, to take and confirm one batch.
pub const DEFAULT_PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);

/// Wait before an unroutable row is tried again the first time; it doubles each time.
const UNROUTABLE_FIRST_RETRY: Duration = Duration::from_millis(500);
/// Longest wait between two tries of an unroutable row: once its queue exists, the
/// event is delivered within this.
const UNROUTABLE_MAX_RETRY: Duration = Duration::from_secs(30);
/// Longest wait for the broker to acknowledge closing the connection: a broker that
/// stopped answering does not answer that either.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct OutboxRelay {
    pub pool: PgPool,
    pub amqp_url: String,
    pub names: Names,
    /// Most rows claimed per transaction.
    pub batch: i64,
    /// Longest sleep between two looks at the outbox when nothing wakes the relay: the
    /// most an event written by another instance waits.
    pub poll_interval: Duration,
    /// Woken by this process's store after each commit that wrote outbox rows.
    pub wake: OutboxWake,
    /// Where the relay tells how far behind it is (see [`crate::backpressure`]).
    pub lag: RelayLag,
    /// Logical names of the exchanges this service owns, declared with their journals
    /// on every connect.
    pub exchanges: Vec<&'static str>,
    pub health: BrokerHealth,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Rows claimed.
    pub claimed: usize,
    /// Rows the broker confirmed and routed: deleted.
    pub published: usize,
    /// Rows the broker returned: kept, to be tried again after their backoff.
    pub unroutable: usize,
    /// How long the oldest row claimed for the first time had waited in the outbox (zero:
    /// none).
    pub oldest_age: Duration,
}

#[derive(Debug, sqlx::FromRow)]
struct PendingRow {
    id: Uuid,
    exchange: String,
    routing_key: String,
    event_type: String,
    payload: String,
    traceparent: Option<String>,
    attempts: i32,
    /// Seconds since the row was written, at the claim.
    age_secs: f64,
}

impl OutboxRelay {
    /// Publishes until `stop` is cancelled, with [`DEFAULT_PUBLISH_TIMEOUT`]; a batch in
    /// flight then is abandoned, its rows left for the next run. Meanwhile, whether the
    /// broker is up or not, samples the outbox's backlog for `/metrics` (see
    /// [`crate::metrics`]).
    pub async fn run(self, stop: CancellationToken) {
        self.run_with_publish_timeout(stop, DEFAULT_PUBLISH_TIMEOUT)
            .await;
    }

    /// [`OutboxRelay::run`], the broker being given `publish_timeout` to take and
    /// confirm each batch (and to open a channel and declare, on connect).
    pub async fn run_with_publish_timeout(
        self,
        stop: CancellationToken,
        publish_timeout: Duration,
    ) {
        metrics::describe();
        metrics::register_published(&self.exchanges);
        tokio::join!(
            self.publish_until_stopped(&stop, publish_timeout),
            metrics::sample_outbox(&self.pool, &stop),
        );
        tracing::info!("outbox relay stopped");
    }

    async fn publish_until_stopped(&self, stop: &CancellationToken, publish_timeout: Duration) {
        while !stop.is_cancelled() {
            let Some(connection) = broker::connect(&self.amqp_url, stop).await else {
                break;
            };
            let outcome = self
                .publish_until_failure(&connection, stop, publish_timeout)
                .await;
            self.health.set(false);
            self.lag.disconnected();
            if let Err(e) = outcome {
                tracing::warn!(error = ?e, "outbox relay interrupted; reconnecting");
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
            let closing = connection.close(200, "relay stopping".into());
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
        }
    }

    async fn publish_until_failure(
        &self,
        connection: &Connection,
        stop: &CancellationToken,
        publish_timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + publish_timeout;
        let channel = before(deadline, "open channel", connection.create_channel()).await?;
        before(
            deadline,
            "confirm mode",
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await?;
        before(deadline, "declare exchanges and journals", async {
            for exchange in &self.exchanges {
                declare_exchange(&channel, &self.names.exchange(exchange)).await?;
            }
            declare_journals(&channel, &self.names, &self.exchanges).await
        })
        .await?;
        self.health.set(true);
        let connected = Instant::now();
        let mut downstream = self.consumer_queues();
        let mut next_sample = connected;
        let mut pause = MIN_POLL;
        let vacuum = Vacuum::default();
        // What an earlier run (or a crash) left dead is vacuumed first.
        let mut deleted = VACUUM_AFTER;
        loop {
            if deleted >= VACUUM_AFTER {
                vacuum.start(&self.pool);
                deleted = 0;
            }
            if Instant::now() >= next_sample {
                let mut ready = 0;
                for queue in &mut downstream {
                    ready += u64::from(queue.read(connection).await.unwrap_or(0));
                }
                self.lag.record_queued(ready);
                next_sample = Instant::now() + QUEUES_SAMPLED_EVERY;
            }
            // Dropping the batch rolls its transaction back: its rows stay for later.
            let outcome = tokio::select! {
                () = stop.cancelled() => return Ok(()),
                outcome = self.publish_batch(&channel, publish_timeout) => outcome?,
            };
            deleted += outcome.published;
            // What an outage left counts as written at the reconnect.
            self.lag.record(outcome.oldest_age.min(connected.elapsed()));
            if outcome.claimed as i64 >= self.batch {
                continue;
            }
            pause = if outcome.published > 0 {
                MIN_POLL
            } else {
                (pause * 2).min(self.poll_interval.max(MIN_POLL))
            };
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                () = self.wake.woken() => pause = MIN_POLL,
                () = tokio::time::sleep(pause.min(QUEUES_SAMPLED_EVERY)) => {}
            }
        }
    }

    /// The consumer queues of the system's event path (a missing one reads as empty):
    /// those its own events go to, and those that bring events back to its service,
    /// since a saga's new work fills both.
    fn consumer_queues(&self) -> Vec<QueueDepth> {
        SUBSCRIPTIONS
            .iter()
            .map(|subscription| QueueDepth::new(self.names.queue(subscription.queue)))
            .collect()
    }

    /// Claims one batch of rows due (not waiting out a backoff), publishes them, deletes
    /// those the broker confirmed and routed, and puts off those it returned. Fails,
    /// leaving every row as it was, when the broker refuses a message or does not
    /// answer within `publish_timeout`.
    pub async fn publish_batch(
        &self,
        channel: &Channel,
        publish_timeout: Duration,
    ) -> anyhow::Result<BatchOutcome> {
        let mut tx = database::begin(&self.pool).await.context("begin")?;
        let rows: Vec<PendingRow> = sqlx::query_as(
            "SELECT id, exchange, routing_key, event_type, payload::text AS payload, traceparent,
                    attempts, EXTRACT(EPOCH FROM now() - created_at)::float8 AS age_secs
               FROM outbox
              WHERE not_before IS NULL OR not_before <= now()
              ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.batch)
        .fetch_all(&mut *tx)
        .await
        .context("claim outbox rows")?;
        if rows.is_empty() {
            tx.commit().await.ok();
            return Ok(BatchOutcome::default());
        }

        let deadline = Instant::now() + publish_timeout;
        // All the batch's publishes at once: each hands its frames to the connection on
        // its first poll, in the batch's order, and the connection writes them together.
        // Awaiting them one by one waited for a write of the connection per message.
        let publishes = rows.iter().map(|row| self.publish(channel, row));
        let confirms = before(deadline, "publish", future::try_join_all(publishes)).await?;
        // A returned message comes with some confirm of the batch, not necessarily its
        // own (several confirms may arrive in one acknowledgement): the returned rows
        // are known by their message id once every confirm is in.
        let mut returned = HashSet::new();
        for confirm in confirms {
            match before(deadline, "publisher confirm", confirm).await? {
                Confirmation::Ack(None) => {}
                Confirmation::Ack(Some(message)) => {
                    returned.insert(returned_row(&message, &rows)?);
                }
                Confirmation::Nack(_) => {
                    bail!("the broker refused a message (nack); the batch stays in the outbox")
                }
                Confirmation::NotRequested => bail!("the channel is not in confirm mode"),
            }
        }

        let (unroutable, routed): (Vec<&PendingRow>, Vec<&PendingRow>) =
            rows.iter().partition(|row| returned.contains(&row.id));
        for row in &routed {
            // Counted once the broker has it: should the delete below fail, the row is
            // published (and counted) again, as it really is sent again.
            metrics::published(&row.event_type);
        }
        if !unroutable.is_empty() {
            self.put_off(&mut tx, &unroutable).await?;
        }
        let ids: Vec<Uuid> = routed.iter().map(|row| row.id).collect();
        // The delete need not wait for its WAL flush: should a crash lose it, the rows are
        // published again, which at-least-once delivery and the consumers' inboxes allow.
        // The flush it saves is one per batch, on the broker's side of every event.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await
            .context("relax the commit")?;
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .context("delete published rows")?;
        tx.commit().await.context("commit")?;
        // A row tried again after the broker returned it waits for its queue, not for
        // the relay: it does not make the relay late.
        let oldest = rows
            .iter()
            .filter(|row| row.attempts == 0)
            .map(|row| row.age_secs)
            .fold(0.0, f64::max);
        let outcome = BatchOutcome {
            claimed: rows.len(),
            published: routed.len(),
            unroutable: unroutable.len(),
            oldest_age: Duration::try_from_secs_f64(oldest).unwrap_or_default(),
        };
        tracing::debug!(?outcome, "outbox batch published");
        Ok(outcome)
    }

    /// Publishes one row, mandatory, in a producer span continuing the row's trace.
    async fn publish(
        &self,
        channel: &Channel,
        row: &PendingRow,
    ) -> lapin::Result<PublisherConfirm> {
        let span = tracing::info_span!(
            "publish",
            otel.kind = "producer",
            messaging.system = "rabbitmq",
            messaging.operation.type = "send",
            messaging.destination.name = %row.exchange,
            messaging.rabbitmq.destination.routing_key = %row.routing_key,
            messaging.message.id = %row.id,
        );
        if let Some(traceparent) = &row.traceparent {
            let mut stored = FieldTable::default();
            telemetry::amqp::inject_traceparent(&mut stored, traceparent);
            telemetry::amqp::set_parent_from(&span, Some(&stored));
        }
        async {
            let mut headers = FieldTable::default();
            telemetry::amqp::inject(&mut headers);
            let properties = BasicProperties::default()
                .with_message_id(row.id.to_string().into())
                .with_content_type("application/json".into())
                .with_delivery_mode(2)
                .with_type(row.event_type.as_str().into())
                .with_timestamp(chrono::Utc::now().timestamp() as u64)
                .with_headers(headers);
            channel
                .basic_publish(
                    self.names.exchange(&row.exchange).into(),
                    row.routing_key.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    row.payload.as_bytes(),
                    properties,
                )
                .await
        }
        .instrument(span)
        .await
    }

    /// Keeps rows the broker returned, to be claimed again after their backoff; logs
    /// and counts each.
    async fn put_off(
        &self,
        tx: &mut sqlx::PgConnection,
        rows: &[&PendingRow],
    ) -> anyhow::Result<()> {
        let mut delays_ms = Vec::with_capacity(rows.len());
        for row in rows {
            let delay = unroutable_backoff(row.attempts);
            tracing::warn!(
                event_id = %row.id,
                event_type = %row.event_type,
                exchange = %self.names.exchange(&row.exchange),
                routing_key = %row.routing_key,
                attempts = row.attempts + 1,
                retry_in_ms = delay.as_millis() as u64,
                "the broker could not route an event: no queue is bound to its routing key; \
                 it stays in the outbox and is tried again",
            );
            metrics::unroutable(&row.event_type);
            delays_ms.push(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        }
        sqlx::query(
            "UPDATE outbox AS o
                SET attempts = o.attempts + 1,
                    not_before = now() + r.delay_ms * interval '1 millisecond'
               FROM unnest($1::uuid[], $2::int8[]) AS r(id, delay_ms)
              WHERE o.id = r.id",
        )
        .bind(rows.iter().map(|row| row.id).collect::<Vec<_>>())
        .bind(delays_ms)
        .execute(tx)
        .await
        .context("put off unroutable rows")?;
        Ok(())
    }
}

/// The row of the batch a returned message is; an error (the batch fails and is tried
/// again whole) if it names none, which would be a message this relay did not send.
fn returned_row(message: &BasicReturnMessage, rows: &[PendingRow]) -> anyhow::Result<Uuid> {
    let id = message
        .properties
        .message_id()
        .as_ref()
        .and_then(|id| Uuid::parse_str(id.as_str()).ok());
    match id {
        Some(id) if rows.iter().any(|row| row.id == id) => Ok(id),
        _ => bail!(
            "the broker returned a message of no row of this batch (message id {:?}, {} {})",
            message.properties.message_id(),
            message.reply_code,
            message.reply_text
        ),
    }
}

/// How long a row the broker returned `attempts` times before waits: 0.5 s, doubling,
/// at most 30 s.
fn unroutable_backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts).unwrap_or(0).min(16);
    UNROUTABLE_FIRST_RETRY
        .saturating_mul(1 << doublings)
        .min(UNROUTABLE_MAX_RETRY)
}

/// Waits for `work` until `deadline`; past it, fails saying what the broker did not do.
async fn before<T, E>(
    deadline: Instant,
    what: &'static str,
    work: impl Future<Output = Result<T, E>>,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout_at(deadline, work).await {
        Ok(done) => done.context(what),
        Err(_) => bail!("{what}: the broker did not answer in time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unroutable_row_waits_longer_each_time_up_to_thirty_seconds() {
        let waits: Vec<Duration> = [0, 1, 2, 3, 4, 5, 6, 7, 100, i32::MAX]
            .into_iter()
            .map(unroutable_backoff)
            .collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            waits,
            [
                ms(500),
                ms(1_000),
                ms(2_000),
                ms(4_000),
                ms(8_000),
                ms(16_000),
                ms(30_000),
                ms(30_000),
                ms(30_000),
                ms(30_000),
            ]
        );
        assert_eq!(unroutable_backoff(-1), ms(500));
    }
}
