//! Adapters: the PostgreSQL store behind the application's ports, the HTTP API in
//! front of the use cases, and the business metrics they record.

pub mod amqp;
pub mod events;
pub mod http;
pub mod inventory_metrics;
pub mod postgres;
