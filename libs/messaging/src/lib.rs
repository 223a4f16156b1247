//! Reliable messaging over PostgreSQL and RabbitMQ, shared by the domain services:
//!
//! - [`outbox`]: events written in the same transaction as the change that caused them;
//! - [`relay`]: the worker that publishes outbox rows with publisher confirms, woken
//!   in-process by the store that committed them ([`OutboxWake`]) and polling
//!   adaptively, claiming rows with `FOR UPDATE SKIP LOCKED`; every publish is
//!   mandatory, and a row the broker cannot route stays in the outbox and is retried
//!   with backoff, never dropped; every wait on the broker is bounded;
//! - [`inbox`]: the record of handled event ids that makes a consumer idempotent;
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
//! The tables it expects (each service creates them in its own migrations):
//!
//! ```sql
//! CREATE TABLE outbox (
//!     seq bigint GENERATED ALWAYS AS IDENTITY, id uuid PRIMARY KEY,
//!     exchange text NOT NULL, routing_key text NOT NULL, event_type text NOT NULL,
//!     payload jsonb NOT NULL, traceparent text, created_at timestamptz NOT NULL DEFAULT now(),
//!     -- times the broker returned the row as unroutable, and when it may be tried again
//!     attempts int NOT NULL DEFAULT 0, not_before timestamptz);
//! CREATE TABLE inbox (consumer text, event_id uuid, event_type text NOT NULL,
//!     handled_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer, event_id));
//! ```

pub mod admin;
pub mod broker;
pub mod consumer;
pub mod dead_letters;
pub mod inbox;
pub mod metrics;
pub mod outbox;
pub mod relay;
pub mod topology;

pub use broker::BrokerHealth;
pub use consumer::{Consumer, HandleError, Handler};
pub use outbox::OutboxMessage;
pub use relay::{BatchOutcome, OutboxRelay, OutboxWake};
pub use topology::{ConsumerQueue, JournalQueue, Names};
