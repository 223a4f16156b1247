//! A private subscription to an exchange: an exclusive, auto-deleted queue bound to the
//! given routing keys, consumed without acks. What the event-hop and saga runs listen on.

use anyhow::Context;
use lapin::{
    Connection, ConnectionProperties, Consumer, ExchangeKind,
    options::{BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::FieldTable,
};

/// Connects and subscribes; keep the connection alive as long as the consumer is read.
pub async fn subscribe(
    amqp_url: &str,
    exchange: &str,
    routing_keys: &[&str],
    tag: &str,
) -> anyhow::Result<(Connection, Consumer)> {
    let connection = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .with_context(|| format!("connecting to the broker at {amqp_url}"))?;
    let channel = connection.create_channel().await?;
    // Declared the way its owner declares it, so the bench may start first.
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
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
    let consumer = channel
        .basic_consume(
            queue.name().clone(),
            tag.into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok((connection, consumer))
}
