//! Reliable messaging over PostgreSQL and RabbitMQ, shared by the domain services:
//!
//! - [`outbox`]: events written in the same transaction as the change that caused them;
//! - [`relay`]: the worker that publishes outbox rows with publisher confirms, woken
//!   in-process by the store that committed them ([`OutboxWake`]) and polling
//!   adaptively, claiming rows with `FOR UPDATE SKIP LOCKED`; every publish is
//!   mandatory, and a row the broker cannot route stays in the outbox and is retried
//!   with backoff, never dropped; every wait on the broker is bounded;
//! - [`backpressure`]: new work refused (503) while the relay is behind, so the outbox
//!   is a bounded queue;
//! - [`inbox`]: the record of handled event ids that makes a consumer idempotent, and
//!   [`retention`], which deletes them (and a service's other settled rows) once past
//!   their retention;
//! - [`consumer`]: the consuming loop with manual acks, bounded prefetch, retries with
//!   backoff through TTL queues, and dead letters;
//! - [`dead_letters`]: listing and replaying a dead-letter queue, and [`admin`], the
//!   operator routes over it;
//! - [`topology`]: names and idempotent declarations of exchanges and queues, built from
//!   the system's table (`contracts::events::subscriptions`): the consumers' queues
//!   with their retries and DLQs, the exchanges' journals, and the same as the broker's
//!   definitions file;
//! - [`broker`]: connecting, with backoff, and the AMQP header helpers;
//! - [`metrics`]: published, unroutable and consumed events, outbox backlog and DLQ
//!   depth.
//!
//! - [`schema`]: the `outbox` and `inbox` tables, as migrations each service runs into
//!   its own database (`migrations/`), and [`StoreError`], [`InboxEntry`], the types a
//!   service's store shares with it.

pub mod admin;
pub mod backpressure;
pub mod broker;
pub mod consumer;
pub mod dead_letters;
pub mod inbox;
pub mod metrics;
pub mod outbox;
pub mod relay;
pub mod retention;
pub mod schema;
pub mod topology;

pub use backpressure::{Backpressure, RelayLag};
pub use broker::BrokerHealth;
pub use consumer::{Consumer, HandleError, Handler};
pub use inbox::InboxEntry;
pub use outbox::{Database, OutboxMessage};
pub use relay::{BatchOutcome, OutboxRelay, OutboxWake};
pub use topology::{ConsumerQueue, JournalQueue, Names};

/// A store (outbox, inbox and the service's own tables, in one database) failed: the
/// database was unreachable, a statement failed, or a row could not be read back. The
/// cause is kept for the logs; callers retry or answer 503.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StoreError(#[from] pub anyhow::Error);

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self(error.into())
    }
}
