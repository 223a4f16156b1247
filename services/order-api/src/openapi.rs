//! The OpenAPI document of order-api, served at `/openapi.json`.

use axum::Json;
use contracts::inventory::Shortage;
use contracts::orders::{
    CancelOrderRequest, CheckoutView, CreateOrderRequest, OrderLineRequest, OrderView,
    TransitionView,
};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// An RFC 9457 problem, as every error of this API is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDocument {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `insufficient_stock`.
    pub code: String,
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "order-api",
        description = "Checkout: the HTTP-first saga, with the event-driven path as its fallback."
    ),
    paths(crate::routes::checkout, crate::routes::get, crate::routes::cancel),
    components(schemas(
        CreateOrderRequest,
        OrderLineRequest,
        CheckoutView,
        OrderView,
        TransitionView,
        CancelOrderRequest,
        Shortage,
        ProblemDocument
    ))
)]
pub struct ApiDoc;

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
