//! The HTTP adapter: the routes of the locations, stock, transfers and reservations contract
//! (docs/contract.md), health probes, and the mapping of use-case outcomes to responses and problems.

mod acting;
mod error;
mod health;
mod inventory;
mod locations;
mod place;
mod reservations;
mod views;

use std::sync::Arc;

use axum::{
    Router, middleware,
    routing::{get, post, put},
};

use messaging::{
    Backpressure, BrokerHealth,
    admin::{self, Admin},
    backpressure::refuse_while_behind,
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
/// routes over the order events' DLQ with `admin`. A new single-SKU hold is new work:
/// it is refused while the outbox relay is behind `backpressure`'s bound. The saga's
/// `/reservations` is not: its order was admitted by order-service, and what was
/// admitted finishes.
pub fn routes(admin: Arc<Admin>, backpressure: Backpressure) -> Router<AppState> {
    let new_holds = Router::new()
        .route("/inventory/{sku}/reserve", post(inventory::reserve))
        .route(
            "/locations/{store_id}/inventory/{sku}/reserve",
            post(inventory::reserve),
        )
        .route_layer(middleware::from_fn_with_state(
            backpressure,
            refuse_while_behind,
        ));
    Router::new()
        .merge(new_holds)
        .route("/inventory", post(inventory::create))
        .route("/inventory/{sku}", get(inventory::stock))
        .route("/inventory/{sku}/release", post(inventory::release))
        .route("/inventory/{sku}/confirm", post(inventory::confirm))
        .route("/inventory/{sku}/replenish", post(inventory::replenish))
        .route("/inventory/{sku}/price", put(inventory::set_price))
        .route("/inventory/{sku}/movements", get(inventory::movements))
        .route("/locations", post(locations::create).get(locations::all))
        .route("/locations/{store_id}", get(locations::one))
        .route(
            "/locations/{store_id}/inventory",
            post(inventory::create).get(inventory::list),
        )
        .route(
            "/locations/{store_id}/inventory/{sku}",
            get(inventory::stock),
        )
        .route(
            "/locations/{store_id}/inventory/{sku}/release",
            post(inventory::release),
        )
        .route(
            "/locations/{store_id}/inventory/{sku}/confirm",
            post(inventory::confirm),
        )
        .route(
            "/locations/{store_id}/inventory/{sku}/replenish",
            post(inventory::replenish),
        )
        .route(
            "/locations/{store_id}/inventory/{sku}/price",
            put(inventory::set_price),
        )
        .route(
            "/locations/{store_id}/inventory/{sku}/movements",
            get(inventory::movements),
        )
        .route("/transfers", post(locations::transfer))
        .route("/reservations", post(reservations::create))
        .route(
            "/reservations/{order_id}/commit",
            post(reservations::commit),
        )
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .merge(admin::router(admin))
}
