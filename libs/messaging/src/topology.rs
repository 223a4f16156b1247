//! Names and declarations. Every declaration is idempotent, so each instance declares
//! what it needs at start-up, in any order.
//!
//! For a consuming queue `q` bound to some exchanges:
//! - `q` (durable) is consumed;
//! - `q.retry.<delay>` (one per retry delay) hold a failed message for its delay (queue
//!   TTL) and dead-letter it back to `q` through the default exchange;
//! - `q.dlq` keeps what failed for good, until an operator replays it.
//!
//! Besides, each exchange has a bounded journal queue for the events no service
//! consumes yet ([`journal`]), declared by the relay of the service that owns the
//! exchange, so that every routing key is routable and a mandatory publish is returned
//! only when a consumer queue is missing. The queues and their keys come from the
//! system's table, `contracts::events::subscriptions`; [`definitions`] renders the same
//! declarations as the broker's definitions file, applied before any service publishes.
//!
//! `Names` carries an optional prefix applied to every exchange and queue, so that
//! tests (or tenants) sharing one broker never see each other's messages.

pub mod definitions;
pub mod journal;

use std::time::Duration;

use contracts::events::subscriptions::{JOURNALS, SUBSCRIPTIONS, Subscription};
use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
};

pub use journal::{JournalQueue, declare_journals};

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

/// Declares the whole system under `names`, as the definitions file does: every
/// consumer queue of the table (with its retry ladder and DLQ) and every journal. For a
/// broker the definitions file does not cover: names under a prefix (tests, a tenant
/// sharing a broker), where it makes the events routable before their consumers run.
/// `retry_delays` and `expires` must be those the consumers declare with, or the
/// broker refuses one of the two declarations.
pub async fn declare_system(
    channel: &Channel,
    names: &Names,
    retry_delays: &[Duration],
    expires: Option<Duration>,
) -> lapin::Result<()> {
    for subscription in &SUBSCRIPTIONS {
        ConsumerQueue::subscribed(names, subscription, retry_delays.to_vec(), expires)
            .declare(channel)
            .await?;
    }
    let exchanges: Vec<&str> = JOURNALS.iter().map(|journal| journal.exchange).collect();
    declare_journals(channel, names, &exchanges).await
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
    /// The queue of one entry of the system's table, under `names`.
    pub fn subscribed(
        names: &Names,
        subscription: &Subscription,
        retry_delays: Vec<Duration>,
        expires: Option<Duration>,
    ) -> Self {
        let exchange = names.exchange(subscription.exchange);
        Self {
            name: names.queue(subscription.queue),
            bindings: subscription
                .routing_keys
                .iter()
                .map(|key| (exchange.clone(), (*key).to_owned()))
                .collect(),
            retry_delays,
            expires,
        }
    }

    pub fn dlq(&self) -> String {
        format!("{}.dlq", self.name)
    }

    pub fn retry_queue(&self, attempt: usize) -> Option<String> {
        self.retry_delays
            .get(attempt)
            .map(|d| format!("{}.retry.{}", self.name, delay_label(*d)))
    }

    /// Every queue this declares, with its arguments: the queue, its retry queues, its
    /// DLQ. What [`ConsumerQueue::declare`] sends, and what the definitions file says.
    pub fn queues(&self) -> Vec<(String, FieldTable)> {
        let mut queues = vec![(self.name.clone(), self.base_args())];
        for (i, delay) in self.retry_delays.iter().enumerate() {
            let mut args = self.base_args();
            args.insert("x-message-ttl".into(), millis(*delay));
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(LongString::from("")),
            );
            args.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(LongString::from(self.name.as_str())),
            );
            let name = self.retry_queue(i).expect("index in range");
            queues.push((name, args));
        }
        queues.push((self.dlq(), self.base_args()));
        queues
    }

    /// Declares the queue, its retry queues and its DLQ, and binds it.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        for (name, args) in self.queues() {
            channel
                .queue_declare(name.as_str().into(), durable_queue(), args)
                .await?;
        }
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
            args.insert("x-expires".into(), millis(expires));
        }
        args
    }
}

/// Options of every queue declared here: durable, shared, kept when unused.
fn durable_queue() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// A duration argument (`x-message-ttl`, `x-expires`), in milliseconds. A signed 64-bit
/// integer, as RabbitMQ reads it; a JSON number in the definitions file is the same
/// integer class to the broker, so the two declarations are equivalent.
fn millis(duration: Duration) -> AMQPValue {
    AMQPValue::LongLongInt(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
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
    fn a_subscribed_queue_takes_its_name_and_keys_from_the_table_under_the_prefix() {
        let names = Names::new("t.");
        let q = ConsumerQueue::subscribed(
            &names,
            &contracts::events::subscriptions::INVENTORY_SERVICE_ORDER_EVENTS,
            vec![Duration::from_secs(1)],
            None,
        );
        assert_eq!(q.name, "t.inventory-service.order_events");
        assert_eq!(
            q.bindings,
            [
                ("t.order_events".to_owned(), "order.created".to_owned()),
                (
                    "t.order_events".to_owned(),
                    "order.commit_requested".to_owned()
                ),
                ("t.order_events".to_owned(), "order.cancelled".to_owned()),
            ]
        );
    }

    #[test]
    fn a_consumer_queue_declares_itself_its_retry_ladder_and_its_dlq() {
        let q = ConsumerQueue {
            name: "q".into(),
            bindings: vec![],
            retry_delays: vec![Duration::from_secs(1), Duration::from_secs(2)],
            expires: Some(Duration::from_secs(600)),
        };
        let queues = q.queues();
        let names: Vec<&str> = queues.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["q", "q.retry.1s", "q.retry.2s", "q.dlq"]);
        let retry = queues[2].1.inner();
        assert_eq!(retry["x-message-ttl"], AMQPValue::LongLongInt(2000));
        assert_eq!(
            retry["x-dead-letter-exchange"],
            AMQPValue::LongString("".into())
        );
        assert_eq!(
            retry["x-dead-letter-routing-key"],
            AMQPValue::LongString("q".into())
        );
        for (name, args) in &queues {
            assert_eq!(
                args.inner()["x-expires"],
                AMQPValue::LongLongInt(600_000),
                "{name}"
            );
        }
    }

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
