//! `POST /reservations`: holds every line of an order, all SKUs or none; and
//! `POST /reservations/:orderId/commit`: the saga commits exactly an order's lines.
//!
//! A caller with the `saga` scope (order-api) acts for the checkout saga: its holds are
//! the saga's, which only the saga may commit or release. A caller with `reserve` holds
//! for itself.

use access::{Caller, Scope};
use axum::{
    extract::{FromRequestParts, Path, State},
    http::{Method, request::Parts},
    response::Response,
};
use contracts::inventory::{
    CommitReservationRequest, CommitView, CreateReservationRequest, ReservationView,
};
use contracts::{Actor, ValidationError};
use problem::{Json, Problem};
use tracing::{Span, field};

use super::acting_as;
use crate::{openapi::ProblemDocument, upstream::InventoryService};

/// Reserves all lines in one transaction, or none of them.
#[utoipa::path(
    post,
    path = "/reservations",
    tag = "reservations",
    request_body = CreateReservationRequest,
    responses(
        (status = 201, description = "Every line is held for the order", body = ReservationView),
        (status = 404, description = "A SKU does not exist (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Some SKUs are short (`insufficient_stock`, with `shortages`); nothing is held",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(order_id = field::Empty, lines = field::Empty))]
pub async fn create(
    caller: Caller,
    State(inventory): State<InventoryService>,
    Json(request): Json<CreateReservationRequest>,
) -> Result<Response, Problem> {
    let actor = reserving_as(&caller)?;
    let command = request.validate()?;
    let span = Span::current();
    span.record("order_id", field::display(&command.order_id));
    span.record("lines", command.lines.len());
    Ok(inventory
        .forward_for(&actor, Method::POST, "/reservations", Some(&request))
        .await?)
}

/// Commits exactly the order's lines, all or none: from its holds, or, where a hold has
/// expired, from available stock. The saga's pivot: an order is confirmed only after it.
#[utoipa::path(
    post,
    path = "/reservations/{orderId}/commit",
    tag = "reservations",
    params(("orderId" = String, Path, description = "The order whose lines to commit")),
    request_body = CommitReservationRequest,
    responses(
        (status = 200, description = "Every line is committed: out of stock for good", body = CommitView),
        (status = 404, description = "A SKU does not exist (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "`stock_lost` (a hold expired and its units are gone, with `shortages`), `order_cancelled`, `reservation_conflict`; nothing is committed",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
// The order id is recorded once valid: the raw one may hold anything.
#[tracing::instrument(skip_all, fields(order_id = field::Empty, lines = request.items.len()))]
pub async fn commit(
    caller: Caller,
    State(inventory): State<InventoryService>,
    PathOrderId(order_id): PathOrderId,
    Json(request): Json<CommitReservationRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Saga)?;
    let actor = Actor::saga(caller.name().as_str())?;
    let command = request.validate(&order_id)?;
    Span::current().record("order_id", field::display(&command.order_id));
    let path = format!("/reservations/{}/commit", command.order_id);
    Ok(inventory
        .forward_for(&actor, Method::POST, &path, Some(&request))
        .await?)
}

/// Who `POST /reservations` holds for: the saga when the caller has the `saga` scope,
/// else the caller itself, which then needs `reserve`.
fn reserving_as(caller: &Caller) -> Result<Actor, Problem> {
    if caller.has(Scope::Saga) {
        return Ok(Actor::saga(caller.name().as_str())?);
    }
    caller.require(Scope::Reserve)?;
    acting_as(caller)
}

/// The `{orderId}` path segment, raw: the request's rules check it. A segment that is not
/// even text (a percent-encoded byte that is not UTF-8) is the same 422
/// `invalid_order_id` as any other bad id, never axum's plain-text rejection.
#[derive(Debug)]
pub struct PathOrderId(String);

impl<S: Send + Sync> FromRequestParts<S> for PathOrderId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                Problem::from(ValidationError::new(
                    "invalid_order_id",
                    "orderId in the path is not valid text",
                ))
            })?;
        Ok(Self(raw))
    }
}
