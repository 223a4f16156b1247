//! Adapters: the PostgreSQL store behind the application's ports (measured by
//! `measured_store`), the HTTP API in front of the use cases, the order events'
//! consumer, and the business metrics they record.

pub mod amqp;
pub mod events;
pub mod http;
pub mod inventory_metrics;
pub mod measured_store;
pub mod postgres;
