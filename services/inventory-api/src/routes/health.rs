//! Liveness and readiness. The facade owns nothing durable, so it is ready exactly when
//! the service it forwards to is ready. The stock view is reported, never a reason to
//! be unready: while it is behind or down, reads go to inventory-service.

use axum::{extract::State, http::StatusCode};
use problem::{Json, Problem};
use serde::Serialize;
use utoipa::ToSchema;

use super::Facade;
use crate::{openapi::ProblemDocument, view::ViewReport};

/// Body of a healthy answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    /// The stock view, when this instance runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    stock_view: Option<ViewReport>,
}

const OK: Health = Health {
    status: "ok",
    stock_view: None,
};

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
        (status = 200, description = "Ready to serve; with the stock view's state (`live`, `catching_up`, `down`), lag, events behind and rows", body = Health),
        (status = 503, description = "inventory-service is not ready (`inventory_unavailable`), or too many requests are in progress (`overloaded`, with `Retry-After`)",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn ready(State(facade): State<Facade>) -> Result<Json<Health>, Problem> {
    let stock_view = facade.view.as_ref().map(|view| view.report());
    if facade.inventory.is_ready().await {
        Ok(Json(Health { stock_view, ..OK }))
    } else {
        let problem = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "inventory_unavailable",
            "Not ready",
        )
        .with_detail("the inventory service is not ready");
        Err(match stock_view {
            Some(report) => problem.with_extension("stockView", report),
            None => problem,
        })
    }
}
