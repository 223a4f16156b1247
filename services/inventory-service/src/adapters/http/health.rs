//! Probes: `/healthz` says the process is alive; `/readyz` that its database answers
//! and its broker connection is up.

use axum::{Json, extract::State};
use problem::Problem;
use serde_json::{Value, json};

use super::AppState;

pub(super) async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let database = state.inventory.ready().await;
    if let Err(e) = &database {
        tracing::warn!(error = %e, "database not ready");
    }
    problem::readiness(&[
        ("database", database.is_ok()),
        ("broker", state.broker.is_up()),
    ])
}
