//! RabbitMQ fixtures: the broker URL (`AMQP_URL`, else the local default), a tap that
//! records every message published to an exchange, and a raw publisher for feeding
//! events (duplicates, reordered, malformed) straight to an exchange.

use std::time::Duration;

use futures::StreamExt;
use lapin::{
    BasicProperties, Channel, Connection, ConnectionProperties,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, QueueBindOptions,
        QueueDeclareOptions,
    },
    types::{AMQPValue, FieldTable},
};
use serde_json::Value;
use tokio::sync::mpsc;

pub fn amqp_url() -> String {
    std::env::var("AMQP_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A message as the tap saw it.
#[derive(Debug, Clone)]
pub struct Tapped {
    pub routing_key: String,
    pub message_id: Option<String>,
    pub content_type: Option<String>,
    pub persistent: bool,
    pub traceparent: Option<String>,
    pub body: Value,
}

/// Records every message published to one exchange (an exclusive queue bound to `#`).
#[derive(Debug)]
pub struct EventTap {
    received: mpsc::UnboundedReceiver<Tapped>,
    _connection: Connection,
}

impl EventTap {
    /// Starts recording `exchange` (declared here if missing: declarations are
    /// idempotent, so the owner's later declaration agrees).
    pub async fn start(exchange: &str) -> Self {
        Self::start_on(&amqp_url(), exchange).await
    }

    /// Same as [`EventTap::start`], on the broker (or virtual host) at `url`.
    pub async fn start_on(url: &str, exchange: &str) -> Self {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .expect("connect to RabbitMQ for the event tap (set AMQP_URL)");
        let channel = connection.create_channel().await.unwrap();
        declare_topic(&channel, exchange).await;
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
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                exchange.into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let mut consumer = channel
            .basic_consume(
                queue.name().clone(),
                "tap".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let props = &delivery.properties;
                let traceparent =
                    props
                        .headers()
                        .as_ref()
                        .and_then(|h| match h.inner().get("traceparent") {
                            Some(AMQPValue::LongString(s)) => {
                                Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
                            }
                            _ => None,
                        });
                let tapped = Tapped {
                    routing_key: delivery.routing_key.as_str().to_owned(),
                    message_id: props.message_id().as_ref().map(|m| m.as_str().to_owned()),
                    content_type: props.content_type().as_ref().map(|m| m.as_str().to_owned()),
                    persistent: *props.delivery_mode() == Some(2),
                    traceparent,
                    body: serde_json::from_slice(&delivery.data).unwrap_or(Value::Null),
                };
                let _ = delivery.ack(BasicAckOptions::default()).await;
                if tx.send(tapped).is_err() {
                    break;
                }
            }
        });
        Self {
            received,
            _connection: connection,
        }
    }

    /// Every message received until `quiet` passes without a new one (or `limit` passes).
    pub async fn collect(&mut self, quiet: Duration, limit: Duration) -> Vec<Tapped> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut all = Vec::new();
        loop {
            let wait = quiet.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            match tokio::time::timeout(wait, self.received.recv()).await {
                Ok(Some(m)) => all.push(m),
                _ => return all,
            }
        }
    }

    /// Waits until a message matching `pred` arrives (or `limit` passes), returning
    /// everything received up to and including it.
    pub async fn until(&mut self, limit: Duration, pred: impl Fn(&Tapped) -> bool) -> Vec<Tapped> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut all = Vec::new();
        while let Ok(Some(m)) = tokio::time::timeout_at(deadline, self.received.recv()).await {
            let done = pred(&m);
            all.push(m);
            if done {
                break;
            }
        }
        all
    }
}

/// Publishes raw bodies to an exchange, as a misbehaving or duplicating peer would.
#[derive(Debug)]
pub struct RawPublisher {
    channel: Channel,
    _connection: Connection,
}

impl RawPublisher {
    pub async fn connect() -> Self {
        Self::connect_to(&amqp_url()).await
    }

    /// Same as [`RawPublisher::connect`], to the broker (or virtual host) at `url`.
    pub async fn connect_to(url: &str) -> Self {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .expect("connect to RabbitMQ");
        let channel = connection.create_channel().await.unwrap();
        channel.confirm_select(Default::default()).await.unwrap();
        Self {
            channel,
            _connection: connection,
        }
    }

    pub async fn publish(&self, exchange: &str, routing_key: &str, message_id: &str, body: &[u8]) {
        declare_topic(&self.channel, exchange).await;
        let confirm = self
            .channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default()
                    .with_message_id(message_id.into())
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(confirm.is_ack());
    }
}

async fn declare_topic(channel: &Channel, exchange: &str) {
    messaging::topology::declare_exchange(channel, exchange)
        .await
        .unwrap();
}

/// Waits until a consumer is attached to a queue, so that what is published next is
/// routed to it and handled: a consumer attaches only after it has declared and bound
/// its queue (a queue that merely exists may not be bound yet). Panics after 15 s.
pub async fn wait_for_consumer(name: &str) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("connect to RabbitMQ");
    for _ in 0..150 {
        // A passive declare of a missing queue closes its channel: one channel a try.
        let channel = connection.create_channel().await.unwrap();
        let consumers = channel
            .queue_declare(
                name.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .map_or(0, |q| q.consumer_count());
        if consumers > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no consumer ever attached to queue {name}");
}

/// How many messages wait in a queue.
pub async fn queue_depth(name: &str) -> u32 {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("connect to RabbitMQ");
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_declare(
            name.into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .map(|q| q.message_count())
        .unwrap_or(0)
}
