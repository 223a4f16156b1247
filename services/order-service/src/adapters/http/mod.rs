//! The HTTP adapter of order-service (internal: order-api calls it): orders, their
//! transitions (the payment's authorization among them), the handover to the event path,
//! probes and the admin routes.

mod error;
mod health;
mod internal_access;
mod orders;

use std::sync::Arc;

use access::ServiceKey;
use axum::{
    Router, middleware,
    routing::{get, post},
};
use messaging::{
    BrokerHealth,
    admin::{self, Admin},
};

use crate::adapters::ServiceOrders;

#[derive(Debug, Clone)]
pub struct AppState {
    pub orders: Arc<ServiceOrders>,
    pub broker: BrokerHealth,
    pub admin: Arc<Admin>,
    /// `ORDER_SERVICE_API_KEY`: when set, the routes that change an order need it.
    pub api_key: Option<ServiceKey>,
}

/// The routes (the service shell adds the fallbacks, layers and `/metrics`).
pub fn routes(state: &AppState) -> Router<AppState> {
    let mut changes = Router::new()
        .route("/orders", post(orders::place))
        .route("/orders/{id}/authorize", post(orders::authorize))
        .route("/orders/{id}/confirm", post(orders::confirm))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/orders/{id}/handover", post(orders::hand_over));
    if let Some(key) = state.api_key.clone() {
        // A route layer: it runs only for these routes, and before their extractors, so a
        // refused request is never parsed.
        changes = changes.route_layer(middleware::from_fn_with_state(
            key,
            internal_access::require_key,
        ));
    }
    Router::new()
        .route("/orders/{id}", get(orders::get))
        .merge(changes)
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .merge(admin::router(state.admin.clone()))
}
