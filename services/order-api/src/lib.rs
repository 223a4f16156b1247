//! order-api: the public front door (port 3000). `POST /checkout` runs the checkout
//! saga HTTP-first and hands an order to the event-driven path when the inventory path
//! fails; order reads and cancellations are answered by order-service. It owns nothing
//! durable: every order is order-service's, every unit of stock the inventory's.
//!
//! - [`checkout`]: the saga, over the two ports; [`handover`]: its fallback, when and how
//!   an order goes to the event-driven path.
//! - [`ports`]: what the saga needs from order-service ([`ports::Orders`]) and the
//!   inventory ([`ports::Inventory`]), in typed requests and answers.
//! - [`order`]: an order as order-api reads it (id, [`order::OrderStatus`], lines).
//! - [`adapters`]: the ports over HTTP (reqwest); [`breaker`]: the circuit breaker on the
//!   inventory path.
//! - [`idempotency`]: the `Idempotency-Key` a checkout may carry.
//! - [`routes`], [`openapi`]: the HTTP surface.
//! - [`config`], [`startup`]: settings and wiring.

pub mod adapters;
pub mod breaker;
pub mod checkout;
pub mod config;
pub mod handover;
pub mod idempotency;
pub mod openapi;
pub mod order;
pub mod ports;
pub mod routes;
pub mod startup;
