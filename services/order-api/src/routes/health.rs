//! Probes: alive; ready when order-service answers (the inventory path may be down:
//! checkouts then go to the event path, so it does not make order-api unready).

use axum::{Json, extract::State, http::StatusCode};
use problem::Problem;
use serde_json::{Value, json};

use crate::openapi::ProblemDocument;
use crate::ports::Orders;
use crate::startup::AppState;

/// The process is alive.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "Alive: `{\"status\": \"ok\"}`", content_type = "application/json"))
)]
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// order-service answers its own readiness probe.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready: `{\"status\": \"ready\"}`", content_type = "application/json"),
        (status = 503, description = "order-service is not ready (`not_ready`), or too many requests are in progress (`overloaded`, with `Retry-After`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    if state.orders.is_ready().await {
        Ok(Json(json!({ "status": "ready" })))
    } else {
        Err(
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                .with_detail("order-service is not ready"),
        )
    }
}
