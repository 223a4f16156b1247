//! Probes: alive; ready when the database answers and the broker connection is up.

use axum::{Json, extract::State, http::StatusCode};
use problem::Problem;
use serde_json::{Value, json};

use super::AppState;

pub(super) async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let database = state.orders.ready().await.is_ok();
    let broker = state.broker.is_up();
    if database && broker {
        return Ok(Json(
            json!({ "status": "ready", "database": "up", "broker": "up" }),
        ));
    }
    let down: Vec<&str> = [("database", database), ("broker", broker)]
        .into_iter()
        .filter(|(_, up)| !up)
        .map(|(name, _)| name)
        .collect();
    Err(
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
            .with_detail(format!("not reachable: {}", down.join(", ")))
            .with_extension("down", down),
    )
}
