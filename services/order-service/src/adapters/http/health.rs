//! Probes: alive; ready when the database answers and the broker connection is up.

use axum::{Json, extract::State};
use problem::Problem;
use serde_json::{Value, json};

use super::AppState;

pub(super) async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let database = state.orders.ready().await.is_ok();
    problem::readiness(&[("database", database), ("broker", state.broker.is_up())])
}
