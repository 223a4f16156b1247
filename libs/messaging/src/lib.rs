//! Reliable messaging over PostgreSQL and RabbitMQ, shared by the domain services:
//!
//! - [`outbox`]: events written in the same transaction as the change that caused them;
//! - [`relay`]: the worker that publishes outbox rows with publisher confirms, woken by
//!   `LISTEN/NOTIFY`, claiming rows with `FOR UPDATE SKIP LOCKED`;
//! - [`inbox`]: the record of handled event ids that makes a consumer idempotent;
//! - [`consumer`]: the consuming loop with manual acks, bounded prefetch, retries with
//!   backoff through TTL queues, and dead letters;
//! - [`dead_letters`]: listing and replaying a dead-letter queue, and [`admin`], the
//!   operator routes over it;
//! - [`topology`]: names and idempotent declarations of exchanges and queues;
//! - [`broker`]: connecting, with backoff, and the AMQP header helpers;
//! - [`metrics`]: published and consumed events, outbox backlog and DLQ depth.
//!
//! The tables it expects (each service creates them in its own migrations):
//!
//! ```sql
//! CREATE TABLE outbox (
//!     seq bigint GENERATED ALWAYS AS IDENTITY, id uuid PRIMARY KEY,
//!     exchange text NOT NULL, routing_key text NOT NULL, event_type text NOT NULL,
//!     payload jsonb NOT NULL, traceparent text, created_at timestamptz NOT NULL DEFAULT now());
//! -- plus a trigger that runs pg_notify('outbox', '') after each insert
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
pub use relay::OutboxRelay;
pub use topology::{ConsumerQueue, Names};
