//! order-service: the order domain service (port 3002, database `orders`, exchange
//! `order_events`), and the event-driven fallback of the checkout saga.
//!
//! - [`domain`]: the `Order` aggregate and its state machine; pure rules.
//! - [`application`]: use cases and the `OrderStore` port.
//! - [`adapters`]: PostgreSQL store, HTTP API, RabbitMQ consumer of inventory events.
//! - [`saga_timers`]: the worker that hands orders over and times sagas out.
//! - [`retention`]: the worker that deletes handled-event ids once past their retention.
//! - [`config`], [`startup`]: settings and wiring.

pub mod adapters;
pub mod application;
pub mod config;
pub mod domain;
pub mod retention;
pub mod saga_timers;
pub mod startup;
