//! Listening on an exchange: a queue bound to some routing keys, consumed without acks
//! (what the event-hop and saga runs and the raw broker limit listen on), and the age
//! of each envelope that arrives there.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use contracts::events::RawEnvelope;
use futures::StreamExt;
use lapin::{
    Connection, ConnectionProperties, Consumer,
    options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};
use tokio::sync::oneshot;

use crate::figures::{Outcome, Tally};

/// How long deliveries are still awaited once the window has ended.
const STRAGGLERS: Duration = Duration::from_secs(2);
/// A named queue left behind deletes itself after this long unused (milliseconds).
const NAMED_QUEUE_EXPIRES_MS: i64 = 60_000;

/// The queue a subscription reads.
#[derive(Debug, Clone)]
pub enum Queue {
    /// Exclusive to this connection, named by the broker, gone with it.
    Private,
    /// Durable, as the services' queues are, under this name; deleted by its user.
    Durable(String),
}

/// Connects and subscribes, declaring the exchange as its owner does so that the bench
/// may start first; keep the connection alive as long as the consumer is read.
pub async fn subscribe(
    amqp_url: &str,
    exchange: &str,
    routing_keys: &[&str],
    queue: Queue,
) -> anyhow::Result<(Connection, Consumer)> {
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .with_context(|| format!("connecting to the broker at {amqp_url}"))?;
    let channel = connection.create_channel().await?;
    messaging::topology::declare_exchange(&channel, exchange).await?;
    let (name, options, arguments) = match queue {
        Queue::Private => {
            let options = QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            };
            (String::new(), options, FieldTable::default())
        }
        Queue::Durable(name) => {
            let options = QueueDeclareOptions {
                durable: true,
                ..Default::default()
            };
            let mut arguments = FieldTable::default();
            let expires = AMQPValue::LongLongInt(NAMED_QUEUE_EXPIRES_MS);
            arguments.insert("x-expires".into(), expires);
            (name, options, arguments)
        }
    };
    let queue = channel
        .queue_declare(name.as_str().into(), options, arguments)
        .await?;
    for key in routing_keys {
        channel
            .queue_bind(
                queue.name().clone(),
                exchange.into(),
                (*key).into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..Default::default()
    };
    let consumer = channel
        .basic_consume(
            queue.name().clone(),
            "bench".into(),
            no_ack,
            FieldTable::default(),
        )
        .await?;
    Ok((connection, consumer))
}

/// What a listener saw of the envelopes that occurred in its window.
#[derive(Debug)]
pub struct Arrivals {
    /// Their ages on arrival: arrival − `occurredAt`.
    pub tally: Tally,
    pub last: Option<DateTime<Utc>>,
}

/// Reads envelopes until told when the window ended, then until none has come for a
/// moment; times those that occurred from `from` to the window's end.
pub async fn ages(
    mut deliveries: Consumer,
    from: DateTime<Utc>,
    mut ended: oneshot::Receiver<DateTime<Utc>>,
) -> Arrivals {
    let mut arrivals = Arrivals {
        tally: Tally::default(),
        last: None,
    };
    let mut until: Option<DateTime<Utc>> = None;
    loop {
        let next = tokio::select! {
            end = &mut ended, if until.is_none() => {
                until = Some(end.unwrap_or_else(|_| Utc::now()));
                continue;
            }
            next = tokio::time::timeout(STRAGGLERS, deliveries.next()) => next,
        };
        let delivery = match next {
            Ok(Some(Ok(delivery))) => delivery,
            Ok(Some(Err(_)) | None) => break,
            Err(_) if until.is_some() => break,
            Err(_) => continue,
        };
        let arrived = Utc::now();
        let Ok(envelope) = serde_json::from_slice::<RawEnvelope>(&delivery.data) else {
            arrivals.tally.count_error("unreadable");
            continue;
        };
        let occurred = envelope.occurred_at;
        if occurred >= from && until.is_none_or(|end| occurred <= end) {
            let age = (arrived - occurred).to_std().unwrap_or_default();
            arrivals.tally.record(age, Outcome::Success);
            arrivals.last = Some(arrived);
        }
    }
    arrivals
}
