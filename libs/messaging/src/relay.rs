//! The outbox relay: publishes outbox rows to RabbitMQ and deletes them once the broker
//! confirms.
//!
//! - It wakes on `NOTIFY outbox` (sent by a trigger on insert), and also polls, so a
//!   missed notification delays an event by one poll interval at most.
//! - Rows are claimed with `FOR UPDATE SKIP LOCKED` inside a transaction that stays
//!   open until the broker has confirmed every message of the batch: several relays
//!   (several service instances) never publish one row concurrently, and a relay that
//!   dies mid-batch leaves its rows to be published by the next one.
//! - When the broker is away the rows wait; the relay reconnects with backoff and
//!   catches up. Delivery is at-least-once: a crash between the confirm and the commit
//!   publishes a row again, which the consumers' inbox absorbs.
//! - While it runs, it samples the outbox's backlog and the age of its oldest row, and
//!   counts every event the broker confirms (see [`crate::metrics`]).
//! - Each message is persistent, has `message_id` = event id, `content_type` JSON,
//!   `type` = event type, and the `traceparent` of the request that wrote the row (the
//!   publish span is a child of it), so the trace continues through the broker.

use std::time::Duration;

use anyhow::{Context, bail};
use lapin::{
    BasicProperties, Channel, Connection,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use sqlx::{PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::{
    broker::{self, BrokerHealth},
    metrics,
    topology::{Names, declare_exchange},
};

/// Channel the outbox trigger notifies.
pub const NOTIFY_CHANNEL: &str = "outbox";

#[derive(Debug, Clone)]
pub struct OutboxRelay {
    pub pool: PgPool,
    pub amqp_url: String,
    pub names: Names,
    /// Most rows claimed per transaction.
    pub batch: i64,
    /// Longest sleep between two looks at the outbox when no notification arrives.
    pub poll_interval: Duration,
    /// Logical names of the exchanges this service owns, declared on every connect.
    pub exchanges: Vec<&'static str>,
    pub health: BrokerHealth,
}

#[derive(Debug, sqlx::FromRow)]
struct PendingRow {
    id: Uuid,
    exchange: String,
    routing_key: String,
    event_type: String,
    payload: String,
    traceparent: Option<String>,
}

impl OutboxRelay {
    /// Publishes until `stop` is cancelled; a batch in flight is finished first.
    /// Meanwhile, whether the broker is up or not, samples the outbox's backlog for
    /// `/metrics` (see [`crate::metrics`]).
    pub async fn run(self, stop: CancellationToken) {
        metrics::describe();
        tokio::join!(
            self.publish_until_stopped(&stop),
            metrics::sample_outbox(&self.pool, &stop),
        );
        tracing::info!("outbox relay stopped");
    }

    async fn publish_until_stopped(&self, stop: &CancellationToken) {
        while !stop.is_cancelled() {
            let Some(connection) = broker::connect(&self.amqp_url, stop).await else {
                break;
            };
            let outcome = self.publish_until_failure(&connection, stop).await;
            self.health.set(false);
            match outcome {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(error = ?e, "outbox relay interrupted; reconnecting");
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
            let _ = connection.close(200, "relay stopping".into()).await;
        }
    }

    async fn publish_until_failure(
        &self,
        connection: &Connection,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let channel = connection.create_channel().await.context("open channel")?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .context("confirm mode")?;
        for exchange in &self.exchanges {
            declare_exchange(&channel, &self.names.exchange(exchange))
                .await
                .context("declare exchange")?;
        }
        self.health.set(true);
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .context("listen connection")?;
        listener.listen(NOTIFY_CHANNEL).await.context("LISTEN")?;
        loop {
            let published = self.publish_batch(&channel).await?;
            if published as i64 >= self.batch {
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                notified = listener.recv() => { notified.context("NOTIFY")?; }
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// Claims, publishes and deletes one batch; returns how many rows it published.
    pub async fn publish_batch(&self, channel: &Channel) -> anyhow::Result<usize> {
        let mut tx = database::begin(&self.pool).await.context("begin")?;
        let rows: Vec<PendingRow> = sqlx::query_as(
            "SELECT id, exchange, routing_key, event_type, payload::text AS payload, traceparent
               FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.batch)
        .fetch_all(&mut *tx)
        .await
        .context("claim outbox rows")?;
        if rows.is_empty() {
            tx.commit().await.ok();
            return Ok(0);
        }

        let mut confirms = Vec::with_capacity(rows.len());
        for row in &rows {
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
            let confirm = async {
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
                        BasicPublishOptions::default(),
                        row.payload.as_bytes(),
                        properties,
                    )
                    .await
            }
            .instrument(span)
            .await
            .context("publish")?;
            confirms.push(confirm);
        }
        for (row, confirm) in rows.iter().zip(confirms) {
            let confirmation = confirm.await.context("publisher confirm")?;
            if !confirmation.is_ack() {
                bail!("the broker refused a message (nack); the batch stays in the outbox");
            }
            // Counted once the broker has it: should the delete below fail, the row is
            // published (and counted) again, as it really is sent again.
            metrics::published(&row.event_type);
        }

        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .context("delete published rows")?;
        tx.commit().await.context("commit")?;
        tracing::debug!(published = ids.len(), "outbox batch published");
        Ok(ids.len())
    }
}
