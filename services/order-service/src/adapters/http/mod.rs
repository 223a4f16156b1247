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
    Backpressure, BrokerHealth,
    admin::{self, Admin},
    backpressure::refuse_while_behind,
};

use crate::adapters::ServiceOrders;

#[derive(Debug, Clone)]
pub struct AppState {
    pub orders: Arc<ServiceOrders>,
    pub broker: BrokerHealth,
    pub admin: Arc<Admin>,
    /// `ORDER_SERVICE_API_KEY`: when set, the routes that change an order need it.
    pub api_key: Option<ServiceKey>,
    /// A new order is refused while the outbox relay is behind this bound.
    pub backpressure: Backpressure,
}

/// The routes (the service shell adds the fallbacks, layers and `/metrics`).
pub fn routes(state: &AppState) -> Router<AppState> {
    // Placing an order starts new work: refused while the outbox relay is behind. The
    // steps of an order already placed are not, so that it finishes.
    let place = Router::new()
        .route("/orders", post(orders::place))
        .route_layer(middleware::from_fn_with_state(
            state.backpressure.clone(),
            refuse_while_behind,
        ));
    let mut changes = place
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
