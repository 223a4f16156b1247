//! Liveness and readiness. The facade owns nothing durable, so it is ready exactly when
//! the service it forwards to is ready.

use axum::{extract::State, http::StatusCode};
use problem::{Json, Problem};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{openapi::ProblemDocument, upstream::InventoryService};

/// Body of a healthy answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

const OK: Health = Health { status: "ok" };

/// The process is alive.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "Alive", body = Health))
)]
pub async fn alive() -> Json<Health> {
    Json(OK)
}

/// inventory-service answers its own readiness probe.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "inventory-service is not ready (`inventory_unavailable`), or too many requests are in progress (`overloaded`, with `Retry-After`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn ready(State(inventory): State<InventoryService>) -> Result<Json<Health>, Problem> {
    if inventory.is_ready().await {
        Ok(Json(OK))
    } else {
        Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "inventory_unavailable",
            "Not ready",
        )
        .with_detail("the inventory service is not ready"))
    }
}
