//! The HTTP routes of the facade, one file per resource. Each handler validates its
//! input with the rules of `contracts`, then forwards to inventory-service; nothing
//! invalid ever leaves this process.

pub mod health;
pub mod inventory;
mod path_sku;
pub mod reservations;

use axum::{
    Router,
    routing::{get, post},
};

use crate::{openapi, upstream::InventoryService};

pub use path_sku::PathSku;

/// The route table (without layers or fallback, which `startup` adds).
pub fn table() -> Router<InventoryService> {
    Router::new()
        .route("/inventory", post(inventory::create))
        .route("/inventory/{sku}", get(inventory::stock))
        .route("/inventory/{sku}/reserve", post(inventory::reserve))
        .route("/inventory/{sku}/release", post(inventory::release))
        .route("/inventory/{sku}/confirm", post(inventory::confirm))
        .route("/inventory/{sku}/replenish", post(inventory::replenish))
        .route("/inventory/{sku}/movements", get(inventory::movements))
        .route("/reservations", post(reservations::create))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/openapi.json", get(openapi::serve))
}
