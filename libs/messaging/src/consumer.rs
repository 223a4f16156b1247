//! The consuming loop: idempotent handling with manual acks, retries with backoff and
//! dead letters.
//!
//! - Prefetch bounds the unacked messages in flight; each delivery is handled on its
//!   own task and acked only after the handler's transaction committed.
//! - The envelope is read first: a malformed message goes to `<queue>.dlq` at once, with
//!   the reason; so does one the handler rejects (unknown type or major version).
//! - A handler failure is retried through `<queue>.retry.<delay>` (1 s, 2 s, 4 s by
//!   default), then dead-lettered with the last error. Headers record the retry count,
//!   the reason and the original exchange and routing key.
//! - A lost connection is re-established with backoff; unacked messages are redelivered
//!   by the broker, and the handler's inbox makes the redelivery harmless.
//! - The consumer span continues the trace found in the message's `traceparent`.
//! - Every settled delivery is counted by event type and outcome, and the DLQ's depth is
//!   sampled every few seconds on a channel of its own (see [`crate::metrics`]).

use std::{future::Future, sync::Arc};

use anyhow::Context;
use chrono::Utc;
use contracts::events::RawEnvelope;
use futures::StreamExt;
use lapin::{
    BasicProperties, Channel, Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
        BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    },
    types::FieldTable,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    broker,
    metrics::{self, Consumed, DlqDepth},
    topology::ConsumerQueue,
};

/// Why a handler did not handle an event.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Might work later (the database is away, a deadlock): retry with backoff.
    #[error("retryable: {0:#}")]
    Retry(#[from] anyhow::Error),
    /// Will never work (unknown type or version, data that breaks the contract):
    /// dead-letter at once.
    #[error("rejected: {0}")]
    Reject(String),
}

/// Handles one event; must be idempotent (record the event id in an inbox in the same
/// transaction as the effect).
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, event: RawEnvelope) -> impl Future<Output = Result<(), HandleError>> + Send;
}

/// How often the consumer checks that its connection and channel are still open.
const CONNECTION_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How long handlers in flight may take to finish once consuming stops.
const DRAIN_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);
/// Longest wait for subscribing on a fresh connection (channels, declarations, consume).
const SETUP_WITHIN: std::time::Duration = std::time::Duration::from_secs(15);
/// Longest wait for the broker to acknowledge closing a connection.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug)]
pub struct Consumer<H> {
    pub amqp_url: String,
    pub queue: ConsumerQueue,
    pub prefetch: u16,
    pub handler: Arc<H>,
}

impl<H: Handler> Consumer<H> {
    /// Consumes until `stop` is cancelled; handlers in flight finish and are acked first.
    pub async fn run(self, stop: CancellationToken) {
        metrics::describe();
        metrics::register_consumed(&self.queue.bindings);
        while !stop.is_cancelled() {
            let Some(connection) = broker::connect(&self.amqp_url, &stop).await else {
                break;
            };
            if let Err(e) = self.consume_until_failure(&connection, &stop).await {
                tracing::warn!(queue = %self.queue.name, error = ?e, "consumer interrupted; reconnecting");
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
                }
            }
            // Closing a connection the broker already dropped may never be answered.
            let closing = connection.close(200, "consumer stopping".into());
            let _ = tokio::time::timeout(CLOSE_WITHIN, closing).await;
        }
        tracing::info!(queue = %self.queue.name, "consumer stopped");
    }

    /// Opens the consuming channel (queues declared, prefetch set) and the confirming
    /// publisher channel for retries and dead letters, and starts consuming.
    async fn subscribe(
        &self,
        connection: &Connection,
    ) -> anyhow::Result<(Channel, Channel, lapin::Consumer, String)> {
        let channel = connection.create_channel().await.context("open channel")?;
        self.queue
            .declare(&channel)
            .await
            .context("declare queues")?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .context("prefetch")?;
        let publisher = connection.create_channel().await.context("open channel")?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .context("confirm mode")?;
        let tag = format!("{}-{}", self.queue.name, uuid::Uuid::now_v7().simple());
        let deliveries = channel
            .basic_consume(
                self.queue.name.as_str().into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .context("consume")?;
        Ok((channel, publisher, deliveries, tag))
    }

    async fn consume_until_failure(
        &self,
        connection: &Connection,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        // Each setup step is bounded: a broker that is starting (or half gone) can take a
        // request and never answer it, and a consumer stuck here would consume nothing.
        let (channel, publisher, mut deliveries, tag) =
            tokio::time::timeout(SETUP_WITHIN, self.subscribe(connection))
                .await
                .map_err(|_| {
                    anyhow::anyhow!(
                        "no answer from the broker within {SETUP_WITHIN:?} while subscribing"
                    )
                })??;
        tracing::info!(queue = %self.queue.name, "consuming");

        let mut dlq_depth = DlqDepth::new(self.queue.dlq());
        let mut sample_dlq = tokio::time::interval(metrics::DLQ_SAMPLE_EVERY);
        sample_dlq.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut in_flight = JoinSet::new();
        // The delivery stream does not always end when the connection dies under it.
        let mut watch_connection = tokio::time::interval(CONNECTION_CHECK_EVERY);
        let outcome = loop {
            tokio::select! {
                () = stop.cancelled() => {
                    let cancel = channel.basic_cancel(tag.as_str().into(), BasicCancelOptions::default());
                    let _ = tokio::time::timeout(SETUP_WITHIN, cancel).await;
                    break Ok(());
                }
                _ = watch_connection.tick() => {
                    if !connection.status().connected() || !channel.status().connected() {
                        break Err(anyhow::anyhow!("the connection to the broker was lost"));
                    }
                }
                _ = sample_dlq.tick() => dlq_depth.sample(connection).await,
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "delivery task panicked");
                    }
                }
                next = deliveries.next() => match next {
                    Some(Ok(delivery)) => {
                        let handler = self.handler.clone();
                        let queue = self.queue.clone();
                        let publisher = publisher.clone();
                        in_flight.spawn(async move {
                            if let Err(e) = process(&*handler, &queue, &publisher, delivery).await {
                                tracing::warn!(error = ?e, "delivery left unacked; the broker will redeliver it");
                            }
                        });
                    }
                    Some(Err(e)) => break Err(anyhow::Error::from(e).context("delivery stream")),
                    None => break Err(anyhow::anyhow!("the broker closed the consumer")),
                }
            }
        };
        // Handlers in flight finish; one stuck on a dead channel (an ack or a publish
        // confirm that never comes) is abandoned: its delivery was not acked, so the
        // broker redelivers it and the inbox makes the second run harmless.
        let drained = tokio::time::timeout(DRAIN_WITHIN, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(queue = %self.queue.name, left = in_flight.len(), "handlers still in flight abandoned");
            in_flight.abort_all();
        }
        outcome
    }
}

async fn process<H: Handler>(
    handler: &H,
    queue: &ConsumerQueue,
    publisher: &Channel,
    delivery: Delivery,
) -> anyhow::Result<()> {
    let headers = delivery.properties.headers().as_ref();
    let span = tracing::info_span!(
        "consume",
        otel.kind = "consumer",
        messaging.system = "rabbitmq",
        messaging.operation.type = "process",
        messaging.destination.name = %queue.name,
        messaging.rabbitmq.destination.routing_key = %delivery.routing_key,
        messaging.message.id = tracing::field::Empty,
        event.r#type = tracing::field::Empty,
    );
    telemetry::amqp::set_parent_from(&span, headers);
    if let Some(id) = delivery.properties.message_id() {
        span.record("messaging.message.id", id.as_str());
    }
    async {
        let retries = broker::header_int(headers, broker::RETRIES_HEADER).unwrap_or(0);
        let envelope: RawEnvelope = match serde_json::from_slice(&delivery.data) {
            Ok(envelope) => envelope,
            Err(e) => {
                let reason = format!("malformed envelope: {e}");
                dead_letter(queue, publisher, &delivery, &reason, retries).await?;
                metrics::consumed(metrics::UNKNOWN_EVENT_TYPE, Consumed::DeadLettered);
                return Ok(());
            }
        };
        tracing::Span::current().record("event.type", envelope.event_type.as_str());
        // Kept for the count: the handler takes the envelope.
        let event_type = envelope.event_type.clone();
        // Counted once settled (acked, or copied to where it waits): a delivery left
        // unacked comes back and is counted then.
        let settled = match handler.handle(envelope).await {
            Ok(()) => {
                ack(&delivery).await?;
                Consumed::Handled
            }
            Err(HandleError::Reject(reason)) => {
                dead_letter(queue, publisher, &delivery, &reason, retries).await?;
                Consumed::DeadLettered
            }
            Err(HandleError::Retry(cause)) => {
                let attempt = usize::try_from(retries).unwrap_or(usize::MAX);
                match queue.retry_queue(attempt) {
                    Some(retry_queue) => {
                        tracing::warn!(error = ?cause, retries, "handler failed; retrying later");
                        republish(publisher, &delivery, &retry_queue, |h| {
                            broker::set_int(h, broker::RETRIES_HEADER, retries + 1);
                        })
                        .await?;
                        ack(&delivery).await?;
                        Consumed::Retried
                    }
                    None => {
                        let reason = format!("failed after {retries} retries: {cause:#}");
                        dead_letter(queue, publisher, &delivery, &reason, retries).await?;
                        Consumed::DeadLettered
                    }
                }
            }
        };
        metrics::consumed(&event_type, settled);
        Ok(())
    }
    .instrument(span)
    .await
    .inspect_err(|_| {
        // Not acked: give it back to the broker rather than hold it until reconnect.
        let acker = delivery.acker.clone();
        tokio::spawn(async move {
            let _ = acker
                .nack(BasicNackOptions {
                    requeue: true,
                    ..Default::default()
                })
                .await;
        });
    })
}

async fn ack(delivery: &Delivery) -> anyhow::Result<()> {
    delivery
        .ack(BasicAckOptions::default())
        .await
        .context("ack")?;
    Ok(())
}

async fn dead_letter(
    queue: &ConsumerQueue,
    publisher: &Channel,
    delivery: &Delivery,
    reason: &str,
    retries: i64,
) -> anyhow::Result<()> {
    tracing::error!(reason, queue = %queue.name, "message dead-lettered");
    republish(publisher, delivery, &queue.dlq(), |h| {
        broker::set_str(h, broker::DEAD_REASON_HEADER, reason);
        broker::set_str(h, broker::DEAD_AT_HEADER, &Utc::now().to_rfc3339());
        broker::set_int(h, broker::RETRIES_HEADER, retries);
    })
    .await?;
    ack(delivery).await
}

/// Publishes a copy of `delivery` to `queue` through the default exchange, waiting for
/// the broker's confirm, with its headers changed by `edit`. The first exchange and
/// routing key are kept in headers, so a dead letter says where it came from.
async fn republish(
    publisher: &Channel,
    delivery: &Delivery,
    queue: &str,
    edit: impl FnOnce(&mut FieldTable),
) -> anyhow::Result<()> {
    let mut headers = delivery.properties.headers().clone().unwrap_or_default();
    if !headers.contains_key(broker::ORIGINAL_EXCHANGE_HEADER) {
        broker::set_str(
            &mut headers,
            broker::ORIGINAL_EXCHANGE_HEADER,
            delivery.exchange.as_str(),
        );
        broker::set_str(
            &mut headers,
            broker::ORIGINAL_ROUTING_KEY_HEADER,
            delivery.routing_key.as_str(),
        );
    }
    edit(&mut headers);
    let properties: BasicProperties = delivery
        .properties
        .clone()
        .with_delivery_mode(2)
        .with_headers(headers);
    let confirm = publisher
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            &delivery.data,
            properties,
        )
        .await
        .context("republish")?
        .await
        .context("republish confirm")?;
    anyhow::ensure!(
        confirm.is_ack(),
        "the broker refused the republished message"
    );
    Ok(())
}
