//! `GET /orders/{id}` and `POST /orders/{id}/cancel`, answered by order-service through
//! the [`Orders`] port: the order as it shows it, or its refusal as it phrased it.
//!
//! Both check the id (a UUID) and the cancel its caller's scope and its reason before
//! anything is forwarded: what order-service would store is never refused there, as a
//! 5xx or otherwise, for a rule this facade can check.

use access::{Caller, Scope};
use axum::{
    extract::{FromRequestParts, Path, State},
    http::request::Parts,
};
use contracts::OrderId;
use contracts::orders::{CancelOrderRequest, OrderView};
use problem::{Json, OptionalJson, Problem};
use uuid::Uuid;

use crate::openapi::ProblemDocument;
use crate::ports::Orders;
use crate::startup::AppState;

/// An order: status, lines, history of its transitions (with the path that drove each).
#[utoipa::path(
    get,
    path = "/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID)")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "order_not_found (also for an id that is not a UUID)", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    PathOrderId(id): PathOrderId,
) -> Result<Json<OrderView>, Problem> {
    Ok(Json(state.orders.get(&id).await?.into_view()))
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
        (status = 404, description = "order_not_found (also for an id that is not a UUID)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition: the order is confirmed", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "invalid_reason: the reason is empty, too long, or holds a control character", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    caller: Caller,
    State(state): State<AppState>,
    PathOrderId(id): PathOrderId,
    body: Result<OptionalJson<CancelOrderRequest>, Problem>,
) -> Result<Json<OrderView>, Problem> {
    caller.require(Scope::Checkout)?;
    let OptionalJson(request) = body?;
    request.validate()?;
    // A client cancels for itself: only the saga names a cause (`stock_lost`).
    let request = CancelOrderRequest {
        cause: None,
        ..request
    };
    Ok(Json(state.orders.cancel(&id, &request).await?.into_view()))
}

/// The `{id}` path segment as an order id: anything that is not a UUID (including a
/// segment that is not even text) names no order, so it is a 404 `order_not_found`
/// problem, never forwarded.
#[derive(Debug)]
pub struct PathOrderId(OrderId);

impl<S: Send + Sync> FromRequestParts<S> for PathOrderId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || Problem::not_found("order_not_found", "no such order");
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        // The raw id is not echoed: it may hold anything, control characters included.
        // Forwarded in its one canonical spelling, whatever form of UUID the client used.
        let id = Uuid::parse_str(&raw).map_err(|_| not_found())?;
        OrderId::parse(&id.to_string())
            .map(Self)
            .map_err(|_| not_found())
    }
}
