//! The HTTP surface of order-api: the route table, one file per resource, and
//! `error`'s mapping of order-service's failures to problems, so that handlers end in `?`.

mod checkout;
mod error;
mod health;
mod orders;

use axum::{
    Router,
    routing::{get, post},
};

use crate::{openapi, startup::AppState};

pub fn table() -> Router<AppState> {
    Router::new()
        .route("/checkout", post(checkout::checkout))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/openapi.json", get(openapi::serve))
}

pub(crate) use checkout::__path_checkout;
pub(crate) use health::{__path_alive, __path_ready};
pub(crate) use orders::{__path_cancel, __path_get};
