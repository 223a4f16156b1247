//! Names and declarations. Every declaration is idempotent, so each instance declares
//! what it needs at start-up, in any order.
//!
//! For a consuming queue `q` bound to some exchanges:
//! - `q` (durable) is consumed;
//! - `q.retry.<delay>` (one per retry delay) hold a failed message for its delay (queue
//!   TTL) and dead-letter it back to `q` through the default exchange;
//! - `q.dlq` keeps what failed for good, until an operator replays it.
//!
//! `Names` carries an optional prefix applied to every exchange and queue, so that
//! tests (or tenants) sharing one broker never see each other's messages.

use std::time::Duration;

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
};

/// Maps logical names (`inventory_events`) to broker names (`<prefix>inventory_events`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    prefix: String,
}

impl Names {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn exchange(&self, logical: &str) -> String {
        format!("{}{logical}", self.prefix)
    }

    pub fn queue(&self, logical: &str) -> String {
        format!("{}{logical}", self.prefix)
    }

    pub fn is_prefixed(&self) -> bool {
        !self.prefix.is_empty()
    }
}

/// Declares a durable topic exchange.
pub async fn declare_exchange(channel: &Channel, name: &str) -> lapin::Result<()> {
    channel
        .exchange_declare(
            name.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
}

/// A queue a service consumes, with its bindings and its retry ladder.
#[derive(Debug, Clone)]
pub struct ConsumerQueue {
    /// Broker name of the queue.
    pub name: String,
    /// (broker exchange name, routing key) pairs.
    pub bindings: Vec<(String, String)>,
    /// Delay before each retry; after the last, the message is dead-lettered.
    pub retry_delays: Vec<Duration>,
    /// When set, idle queues delete themselves after this long (for tests).
    pub expires: Option<Duration>,
}

impl ConsumerQueue {
    pub fn dlq(&self) -> String {
        format!("{}.dlq", self.name)
    }

    pub fn retry_queue(&self, attempt: usize) -> Option<String> {
        self.retry_delays
            .get(attempt)
            .map(|d| format!("{}.retry.{}", self.name, delay_label(*d)))
    }

    /// Declares the queue, its retry queues and its DLQ, and binds it.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(self.name.as_str().into(), durable, self.base_args())
            .await?;
        for (i, delay) in self.retry_delays.iter().enumerate() {
            let mut args = self.base_args();
            args.insert(
                "x-message-ttl".into(),
                AMQPValue::LongLongInt(delay.as_millis() as i64),
            );
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(LongString::from("")),
            );
            args.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(LongString::from(self.name.as_str())),
            );
            let name = self.retry_queue(i).expect("index in range");
            channel
                .queue_declare(name.as_str().into(), durable, args)
                .await?;
        }
        channel
            .queue_declare(self.dlq().as_str().into(), durable, self.base_args())
            .await?;
        for (exchange, routing_key) in &self.bindings {
            declare_exchange(channel, exchange).await?;
            channel
                .queue_bind(
                    self.name.as_str().into(),
                    exchange.as_str().into(),
                    routing_key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    fn base_args(&self) -> FieldTable {
        let mut args = FieldTable::default();
        if let Some(expires) = self.expires {
            args.insert(
                "x-expires".into(),
                AMQPValue::LongLongInt(expires.as_millis() as i64),
            );
        }
        args
    }
}

fn delay_label(delay: Duration) -> String {
    if delay.subsec_millis() == 0 {
        format!("{}s", delay.as_secs())
    } else {
        format!("{}ms", delay.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_queues_are_named_after_their_delay() {
        let q = ConsumerQueue {
            name: "svc.order_events".into(),
            bindings: vec![],
            retry_delays: vec![Duration::from_secs(1), Duration::from_millis(250)],
            expires: None,
        };
        assert_eq!(q.retry_queue(0).unwrap(), "svc.order_events.retry.1s");
        assert_eq!(q.retry_queue(1).unwrap(), "svc.order_events.retry.250ms");
        assert_eq!(q.retry_queue(2), None);
        assert_eq!(q.dlq(), "svc.order_events.dlq");
    }
}
