//! `POST /transfers`: units of one SKU moved from one location to another, in one
//! transaction of inventory-service. A stock keeper's act: the `stock` scope.

use access::{Caller, Scope};
use axum::{extract::State, http::Method, response::Response};
use contracts::inventory::{TransferRequest, TransferView};
use problem::{Json, Problem};
use tracing::{Span, field};

use super::acting_as;
use crate::{openapi::ProblemDocument, upstream::InventoryService};

/// Moves units of a SKU between two locations: both sides change, or neither.
#[utoipa::path(
    post,
    path = "/transfers",
    operation_id = "create_transfer",
    tag = "locations",
    request_body = TransferRequest,
    responses(
        (status = 201, description = "The units moved; both sides after the move", body = TransferView),
        (status = 400, description = "The body is not JSON (`malformed_json`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` is not a valid store id (`invalid_store_id`), they are the same (`invalid_transfer`), or another value breaks its rule",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "No such location (`unknown_location`) or SKU there (`unknown_sku`)",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "Not enough available stock at `from` (`insufficient_stock`, with `shortages`); nothing moved",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(sku = field::Empty, from = field::Empty, to = field::Empty))]
pub async fn create(
    caller: Caller,
    State(inventory): State<InventoryService>,
    Json(request): Json<TransferRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Stock)?;
    let transfer = request.validate()?;
    let span = Span::current();
    span.record("sku", field::display(&transfer.sku));
    span.record("from", field::display(&transfer.from));
    span.record("to", field::display(&transfer.to));
    Ok(inventory
        .forward_for(
            &acting_as(&caller)?,
            Method::POST,
            "/transfers",
            Some(&request),
        )
        .await?)
}
