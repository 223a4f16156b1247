//! The journals: one bounded queue per exchange, `<exchange>.journal`, bound to exactly
//! the routing keys no service consumes (the table is
//! `contracts::events::subscriptions::JOURNALS`).
//!
//! Why they exist: the relay publishes with the mandatory flag, and the broker returns a
//! message no queue is bound to. An event nobody consumes yet (a SKU was created, an
//! order was confirmed) would then be returned on every try and never leave the outbox.
//! Its journal gives it a route, and keeps the facts for whoever follows them later.
//!
//! Why not bound to `#`: a catch-all would also take an event whose consumer queue is
//! missing (not declared yet, deleted by an operator), the broker would accept it, and
//! the consumer would never see it. Bound to exactly the unconsumed keys, a journal
//! leaves the mandatory flag to tell a missing consumer queue.
//!
//! Why bounded: nobody reads a journal yet. `x-max-length` with `x-overflow: drop-head`
//! drops the oldest beyond the limit, and `x-message-ttl` the ones older than the
//! table's age, so a journal cannot fill the broker. Each relay declares the journals
//! of the exchanges its service owns on every connect, and the broker's definitions
//! declare them before any service runs.

use contracts::events::subscriptions::{Journal, journal_of};
use lapin::{
    Channel,
    options::QueueBindOptions,
    types::{AMQPValue, FieldTable, LongString},
};

use super::{Names, declare_exchange, durable_queue, millis};

/// What the broker does to a full journal: drop its oldest message.
const OVERFLOW: &str = "drop-head";

/// One journal queue under broker names.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalQueue {
    /// Broker name of the queue.
    pub name: String,
    /// Broker name of the exchange it is bound to.
    pub exchange: String,
    /// The routing keys nobody consumes.
    pub routing_keys: Vec<String>,
    /// Its bounds and its exchange, as the table says.
    journal: &'static Journal,
}

impl JournalQueue {
    /// The journal of one entry of the table, under `names`.
    pub fn of(names: &Names, journal: &'static Journal) -> Self {
        Self {
            name: names.queue(journal.queue),
            exchange: names.exchange(journal.exchange),
            routing_keys: journal
                .routing_keys
                .iter()
                .map(|key| (*key).to_owned())
                .collect(),
            journal,
        }
    }

    /// The queue's arguments: its bounds. What [`JournalQueue::declare`] sends, and what
    /// the definitions file says.
    pub fn arguments(&self) -> FieldTable {
        let mut args = FieldTable::default();
        args.insert(
            "x-max-length".into(),
            AMQPValue::LongLongInt(i64::from(self.journal.max_length)),
        );
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString(LongString::from(OVERFLOW)),
        );
        args.insert("x-message-ttl".into(), millis(self.journal.message_ttl));
        args
    }

    /// Declares the exchange and the queue, and binds the queue.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        declare_exchange(channel, &self.exchange).await?;
        channel
            .queue_declare(self.name.as_str().into(), durable_queue(), self.arguments())
            .await?;
        for key in &self.routing_keys {
            channel
                .queue_bind(
                    self.name.as_str().into(),
                    self.exchange.as_str().into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Declares the journal of each exchange in `exchanges` (logical names, those the
/// service owns); an exchange the table gives no journal has none.
pub async fn declare_journals(
    channel: &Channel,
    names: &Names,
    exchanges: &[&str],
) -> lapin::Result<()> {
    for journal in exchanges.iter().filter_map(|exchange| journal_of(exchange)) {
        JournalQueue::of(names, journal).declare(channel).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use contracts::events::subscriptions::{INVENTORY_JOURNAL, ORDER_JOURNAL};

    use super::*;

    #[test]
    fn a_journal_is_bounded_by_length_dropping_its_oldest_and_by_age() {
        let journal = JournalQueue::of(&Names::default(), &INVENTORY_JOURNAL);
        let args = journal.arguments();
        let args = args.inner();
        assert_eq!(args["x-max-length"], AMQPValue::LongLongInt(100_000));
        assert_eq!(
            args["x-overflow"],
            AMQPValue::LongString("drop-head".into())
        );
        assert_eq!(
            args["x-message-ttl"],
            AMQPValue::LongLongInt(7 * 24 * 3600 * 1000)
        );
        assert_eq!(args.len(), 3);
    }

    #[test]
    fn a_journal_takes_its_names_under_the_prefix_and_its_keys_from_the_table() {
        let journal = JournalQueue::of(&Names::new("t."), &ORDER_JOURNAL);
        assert_eq!(journal.name, "t.order_events.journal");
        assert_eq!(journal.exchange, "t.order_events");
        assert_eq!(
            journal.routing_keys,
            [
                "order.confirmed",
                "order.payment.authorized",
                "order.payment.failed",
                "order.payment.captured",
                "order.payment.voided",
                "order.payment.refunded",
            ]
        );
    }
}
