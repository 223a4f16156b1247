//! order-api: the public front door (port 3000). `POST /checkout` runs the checkout
//! saga HTTP-first and hands an order to the event-driven path when the inventory path
//! fails; order reads and cancellations are forwarded to order-service.
//!
//! - [`checkout`]: the saga's HTTP-first orchestration.
//! - [`breaker`]: the circuit breaker on the inventory path.
//! - [`upstream`]: the calls to order-service and inventory-api.
//! - [`routes`], [`openapi`]: the HTTP surface.
//! - [`config`], [`startup`]: settings and wiring.

pub mod breaker;
pub mod checkout;
pub mod config;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod upstream;
