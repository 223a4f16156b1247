//! inventory-api: the public stock facade (port 3001).
//!
//! It owns nothing durable. Each request is validated with the rules of `contracts`
//! and, only if valid, forwarded to inventory-service, whose answer goes back to the
//! client unchanged. Invalid input is answered here, as problem+json, and never
//! reaches the domain service. Stock reads are answered from an in-memory view of
//! every stock row, fed by inventory-service's events, whenever it is current enough.
//!
//! - [`config`]: typed settings from the environment.
//! - [`startup`]: builds the router and the listener; serves with graceful shutdown.
//! - [`routes`]: the handlers, one file per resource.
//! - [`upstream`]: the HTTP client to inventory-service and its one `forward`.
//! - [`openapi`]: the OpenAPI document served at `/openapi.json`.
//! - [`view`]: the stock view (a read model kept from the broker) and the change
//!   streams of each location.

pub mod config;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod upstream;
pub mod view;
