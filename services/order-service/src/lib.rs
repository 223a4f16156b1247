//! order-service: the order domain service (port 3002, database `orders`, exchange
//! `order_events`), and the event-driven fallback of the checkout saga.
//!
//! - [`domain`]: the `Order` aggregate (its payment among its parts) and its state
//!   machine; pure rules.
//! - [`application`]: use cases, the `OrderStore` port, and the payment steps over the
//!   provider port of `libs/payment`.
//! - [`adapters`]: PostgreSQL store, HTTP API, RabbitMQ consumer of inventory events, the
//!   payment provider measured.
//! - [`saga_timers`]: the worker that hands orders over and times sagas out.
//! - [`config`], [`startup`]: settings, and the wiring onto the shared runtime
//!   (`service`), which also runs the outbox relay, the consumer and the retention of
//!   handled events.

pub mod adapters;
pub mod application;
pub mod config;
pub mod domain;
pub mod saga_timers;
pub mod startup;
