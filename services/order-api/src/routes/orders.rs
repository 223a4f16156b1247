//! `GET /orders/{id}` and `POST /orders/{id}/cancel`, forwarded to order-service.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use contracts::orders::{CancelOrderRequest, OrderView};
use problem::Problem;

use crate::openapi::ProblemDocument;
use crate::startup::AppState;
use crate::upstream::CallError;

/// An order: status, lines, history of its transitions (with the path that drove each).
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID)")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "order_not_found", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = order_id(&id)?;
    let answer = state
        .checkout
        .orders
        .get(&format!("/orders/{id}"))
        .await
        .map_err(unavailable)?;
    Ok(answer.into_response())
}

/// Cancels an order; the inventory releases every hold it has (compensation).
#[utoipa::path(
    post,
    path = "/orders/{id}/cancel",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID)")),
    request_body(content = Option<CancelOrderRequest>, description = "Optional reason"),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 404, description = "order_not_found", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition: the order is confirmed", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    state.authorize(&headers)?;
    let id = order_id(&id)?;
    let request: CancelOrderRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CancelOrderRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "malformed_json", "Malformed JSON")
                .with_detail(e.to_string())
        })?
    };
    let answer = state
        .checkout
        .orders
        .post(&format!("/orders/{id}/cancel"), Some(&request), &[])
        .await
        .map_err(unavailable)?;
    Ok(answer.into_response())
}

fn order_id(raw: &str) -> Result<uuid::Uuid, Problem> {
    uuid::Uuid::parse_str(raw)
        .map_err(|_| Problem::not_found("order_not_found", format!("no order {raw:?}")))
}

fn unavailable(e: CallError) -> Problem {
    tracing::warn!(error = %e, "order-service unreachable");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "order_service_unavailable",
        "Service unavailable",
    )
    .with_detail("order-service cannot be reached; retry later")
}
