//! The HTTP adapter: routes of docs/contract.md §3 for stock and reservations, health probes,
//! `/metrics`, and the mapping of use-case outcomes to responses and problems.

mod acting;
mod error;
mod health;
mod inventory;
mod reservations;
mod views;

use std::sync::Arc;

use access::LoadLimits;
use axum::{
    Router,
    extract::DefaultBodyLimit,
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

pub fn router(state: AppState, body_limit_bytes: usize, limits: LoadLimits) -> Router {
    let routes = Router::new()
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
        .merge(admin::router(state.admin.clone()));
    problem::with_fallbacks(routes)
        .layer(DefaultBodyLimit::max(body_limit_bytes))
        // Full: 503 at once; stuck: 504. Inside the metrics, so both are counted.
        .layer(limits.layer())
        .layer(telemetry::metrics::http_metrics_layer())
        .layer(telemetry::http_trace_layer())
        // After the layers, which wrap only the routes added before them: a scrape is
        // neither traced nor counted.
        .route("/metrics", get(telemetry::metrics::route))
        .with_state(state)
}
