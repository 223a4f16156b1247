//! Probes: `/healthz` says the process is alive; `/readyz` that its database answers
//! and its broker connection is up.

use axum::{Json, extract::State, http::StatusCode};
use problem::Problem;
use serde_json::{Value, json};

use super::AppState;

pub(super) async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    match state.inventory.ready().await {
        Ok(()) => Ok(Json(json!({ "status": "ready", "database": "up" }))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
                    .with_detail("the database does not answer"),
            )
        }
    }
}
