//! A throwaway route through RabbitMQ for the raw broker limit: a topic exchange and a
//! durable queue under a fresh name (`bench-raw-<uuid>`), a publisher in confirm mode
//! and a consumer without acks, each on its own connection as the outbox relay and a
//! consuming service are. Deleted after use; the queue also expires by itself should
//! the bench die first.

use anyhow::Context;
use lapin::{
    Channel, Connection, ConnectionProperties, Consumer, ExchangeKind,
    options::{
        BasicConsumeOptions, ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
        QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable},
};

/// The routing key of every message: the event hop's.
pub const ROUTING_KEY: &str = "product.inventory.reserved";
/// An abandoned queue deletes itself after this long unused (milliseconds).
const QUEUE_EXPIRES_MS: i64 = 60_000;

/// A throwaway exchange and queue, a confirming publisher and a consumer, each on its
/// own connection as the relay and a consuming service are.
pub struct Route {
    publisher: Connection,
    /// The publishing channel, in confirm mode.
    pub channel: Channel,
    listener: Connection,
    /// The exchange's and the queue's name.
    pub name: String,
}

impl Route {
    /// The route, and the consumer of its queue.
    pub async fn open(amqp_url: &str) -> anyhow::Result<(Self, Consumer)> {
        let name = format!("bench-raw-{}", uuid::Uuid::now_v7().simple());
        let publisher = Connection::connect(amqp_url, ConnectionProperties::default())
            .await
            .with_context(|| format!("connecting to the broker at {amqp_url}"))?;
        let channel = publisher.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        channel
            .exchange_declare(
                name.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .context("declaring the throwaway exchange")?;
        let mut arguments = FieldTable::default();
        arguments.insert("x-expires".into(), AMQPValue::LongLongInt(QUEUE_EXPIRES_MS));
        channel
            .queue_declare(
                name.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                arguments,
            )
            .await
            .context("declaring the throwaway queue")?;
        channel
            .queue_bind(
                name.as_str().into(),
                name.as_str().into(),
                ROUTING_KEY.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let listener = Connection::connect(amqp_url, ConnectionProperties::default()).await?;
        let deliveries = listener
            .create_channel()
            .await?
            .basic_consume(
                name.as_str().into(),
                "bench-raw-broker".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        let route = Self {
            publisher,
            channel,
            listener,
            name,
        };
        Ok((route, deliveries))
    }

    /// Deletes the queue and the exchange and closes both connections; best effort, the
    /// queue expires anyway.
    pub async fn close(self) {
        let _ = self
            .channel
            .queue_delete(self.name.as_str().into(), QueueDeleteOptions::default())
            .await;
        let _ = self
            .channel
            .exchange_delete(self.name.as_str().into(), ExchangeDeleteOptions::default())
            .await;
        let _ = self.listener.close(200, "done".into()).await;
        let _ = self.publisher.close(200, "done".into()).await;
    }
}
