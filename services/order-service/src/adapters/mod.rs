//! Adapters: the PostgreSQL store, the HTTP API, and the RabbitMQ side (the exchange
//! this service owns and the inventory events it consumes).

pub mod amqp;
pub mod events;
pub mod http;
pub mod postgres;
pub mod saga_metrics;
