//! Operator access to a dead-letter queue: list what is in it, and send one message back
//! to its queue to be handled again.
//!
//! Messages are read with `basic_get` on a private channel without acking; closing the
//! channel returns every message not replayed to the DLQ, in order. This reads the
//! broker's own queue, so the DLQ depth a dashboard shows and the list agree.

use anyhow::Context;
use lapin::{
    Connection, ConnectionProperties,
    options::{BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use serde::Serialize;

use crate::{broker, topology::ConsumerQueue};

/// One dead letter, as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The message id (the event id), used to replay it.
    pub id: String,
    pub event_type: Option<String>,
    pub reason: Option<String>,
    pub dead_at: Option<String>,
    pub retries: i64,
    pub original_exchange: Option<String>,
    pub original_routing_key: Option<String>,
    /// The message body, as text.
    pub body: String,
}

/// Lists up to `limit` dead letters of `queue`, oldest first, leaving them in place.
pub async fn list(
    amqp_url: &str,
    queue: &ConsumerQueue,
    limit: usize,
) -> anyhow::Result<Vec<DeadLetter>> {
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .context("connect")?;
    let channel = connection.create_channel().await.context("channel")?;
    let mut letters = Vec::new();
    while letters.len() < limit {
        let Some(message) = channel
            .basic_get(
                queue.dlq().as_str().into(),
                BasicGetOptions { no_ack: false },
            )
            .await
            .context("basic.get")?
        else {
            break;
        };
        letters.push(describe(&message.delivery));
    }
    // Closing without acking puts every message back.
    let _ = channel.close(200, "listed".into()).await;
    let _ = connection.close(200, "listed".into()).await;
    Ok(letters)
}

/// Sends the dead letter with message id `id` back to `queue` (retry count reset, dead
/// headers removed). Returns false when no such message is in the first `scan` of the DLQ.
pub async fn replay(
    amqp_url: &str,
    queue: &ConsumerQueue,
    id: &str,
    scan: usize,
) -> anyhow::Result<bool> {
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .context("connect")?;
    let channel = connection.create_channel().await.context("channel")?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .context("confirm mode")?;
    let mut found = false;
    for _ in 0..scan {
        let Some(message) = channel
            .basic_get(
                queue.dlq().as_str().into(),
                BasicGetOptions { no_ack: false },
            )
            .await
            .context("basic.get")?
        else {
            break;
        };
        let delivery = message.delivery;
        if delivery
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str())
            != Some(id)
        {
            continue;
        }
        let mut headers = FieldTable::default();
        if let Some(old) = delivery.properties.headers() {
            for (k, v) in old.inner() {
                if !k.as_str().starts_with("x-dead") && k.as_str() != broker::RETRIES_HEADER {
                    headers.insert(k.clone(), v.clone());
                }
            }
        }
        let confirm = channel
            .basic_publish(
                "".into(),
                queue.name.as_str().into(),
                BasicPublishOptions::default(),
                &delivery.data,
                delivery.properties.clone().with_headers(headers),
            )
            .await
            .context("publish")?
            .await
            .context("confirm")?;
        anyhow::ensure!(confirm.is_ack(), "the broker refused the replayed message");
        delivery
            .ack(BasicAckOptions::default())
            .await
            .context("ack")?;
        found = true;
        break;
    }
    let _ = channel.close(200, "replayed".into()).await;
    let _ = connection.close(200, "replayed".into()).await;
    Ok(found)
}

fn describe(delivery: &lapin::message::Delivery) -> DeadLetter {
    let headers = delivery.properties.headers().as_ref();
    DeadLetter {
        id: delivery
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        event_type: delivery
            .properties
            .kind()
            .as_ref()
            .map(|k| k.as_str().to_owned()),
        reason: broker::header_str(headers, broker::DEAD_REASON_HEADER),
        dead_at: broker::header_str(headers, broker::DEAD_AT_HEADER),
        retries: broker::header_int(headers, broker::RETRIES_HEADER).unwrap_or(0),
        original_exchange: broker::header_str(headers, broker::ORIGINAL_EXCHANGE_HEADER),
        original_routing_key: broker::header_str(headers, broker::ORIGINAL_ROUTING_KEY_HEADER),
        body: String::from_utf8_lossy(&delivery.data).into_owned(),
    }
}
