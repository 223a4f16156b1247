//! Probes: alive; ready when order-service answers (the inventory path may be down:
//! checkouts then go to the event path, so it does not make order-api unready).

use axum::{Json, extract::State, http::StatusCode};
use problem::Problem;
use serde_json::{Value, json};

use crate::startup::AppState;

pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    match state.checkout.orders.get("/readyz").await {
        Ok(answer) if answer.status.is_success() => Ok(Json(json!({ "status": "ready" }))),
        _ => Err(
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                .with_detail("order-service is not ready"),
        ),
    }
}
