//! The HTTP adapter: the routes of the stock and reservations contract
//! (docs/contract.md), health probes, and the mapping of use-case outcomes to responses and problems.

mod acting;
mod error;
mod health;
mod inventory;
mod reservations;
mod views;

use std::sync::Arc;

use axum::{
    Router,
    routing::{get, post},
};

use messaging::{
    BrokerHealth,
    admin::{self, Admin},
};

use crate::adapters::postgres::PgInventoryStore;
use crate::application::Inventory;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub inventory: Arc<Inventory<PgInventoryStore>>,
    pub broker: BrokerHealth,
    pub admin: Arc<Admin>,
}

/// The routes (the service shell adds the fallbacks, layers and `/metrics`); the admin
/// routes over the order events' DLQ with `admin`.
pub fn routes(admin: Arc<Admin>) -> Router<AppState> {
    Router::new()
        .route("/inventory", post(inventory::create))
        .route("/inventory/{sku}", get(inventory::stock))
        .route("/inventory/{sku}/reserve", post(inventory::reserve))
        .route("/inventory/{sku}/release", post(inventory::release))
        .route("/inventory/{sku}/confirm", post(inventory::confirm))
        .route("/inventory/{sku}/replenish", post(inventory::replenish))
        .route("/inventory/{sku}/movements", get(inventory::movements))
        .route("/reservations", post(reservations::create))
        .route(
            "/reservations/{order_id}/commit",
            post(reservations::commit),
        )
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .merge(admin::router(admin))
}
