//! The ports over HTTP: reqwest clients to order-service and inventory-api.
//!
//! - [`peer`]: what every call to a peer does (timeouts, order-api's key, trace context).
//! - [`order_service`]: [`crate::ports::Orders`] against order-service's internal API.
//! - [`inventory_api`]: [`crate::ports::Inventory`] against inventory-api, behind the
//!   [`crate::breaker`].

pub mod inventory_api;
pub mod order_service;
pub mod peer;

pub use inventory_api::InventoryApi;
pub use order_service::OrderService;
pub use peer::Peer;
