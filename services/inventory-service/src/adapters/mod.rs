//! Adapters: the PostgreSQL store behind the application's ports, and the HTTP API in
//! front of the use cases.

pub mod amqp;
pub mod events;
pub mod http;
pub mod postgres;
