//! The transactional outbox: an event is a row written by the same transaction as the
//! state change that caused it, so it exists if and only if the change committed. The
//! relay publishes it later.

use contracts::events::{Envelope, EventType};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{OutboxWake, RelayLag};

/// A service's database as its store writes to it: the pool, the wake-up of this
/// process's outbox relay, which every commit that wrote events must pull so they are
/// published at once rather than at the relay's next poll, and how far behind that relay
/// is (see [`crate::backpressure`]).
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
    wake: OutboxWake,
    lag: RelayLag,
}

impl Database {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            wake: OutboxWake::default(),
            lag: RelayLag::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The wake-up the relay of this database listens to.
    pub fn wake(&self) -> &OutboxWake {
        &self.wake
    }

    /// How far behind the relay of this database is; the relay writes it.
    pub fn relay_lag(&self) -> &RelayLag {
        &self.lag
    }

    /// Tells the relay that a transaction which wrote outbox rows has committed.
    pub fn wrote_events(&self) {
        self.wake.wake();
    }
}

/// One event waiting to be published.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    /// Logical exchange name (the relay applies the broker prefix).
    pub exchange: &'static str,
    pub routing_key: &'static str,
    pub event_type: &'static str,
    /// The whole envelope, as JSON.
    pub payload: serde_json::Value,
    /// W3C trace context of the request that caused the event: the relay continues it.
    pub traceparent: Option<String>,
}

impl OutboxMessage {
    /// Wraps an envelope, keeping the trace context current when it was written.
    pub fn new<T: EventType>(envelope: &Envelope<T>, traceparent: Option<String>) -> Self {
        Self {
            id: envelope.id,
            exchange: T::EXCHANGE,
            routing_key: T::ROUTING_KEY,
            event_type: T::TYPE,
            payload: serde_json::to_value(envelope).expect("an envelope always serializes"),
            traceparent,
        }
    }

    /// The same message under another routing key of its exchange (a hold's
    /// direct key: `contracts::events::hold_routing_key`).
    #[must_use]
    pub fn routed(self, routing_key: &'static str) -> Self {
        Self {
            routing_key,
            ..self
        }
    }
}

/// Writes messages into the outbox within the caller's transaction.
pub async fn enqueue(conn: &mut PgConnection, messages: &[OutboxMessage]) -> sqlx::Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO outbox (id, exchange, routing_key, event_type, payload, traceparent)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[])",
    )
    .bind(messages.iter().map(|m| m.id).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.exchange).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.routing_key).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.event_type).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.payload.clone()).collect::<Vec<_>>())
    .bind(messages.iter().map(|m| m.traceparent.clone()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
