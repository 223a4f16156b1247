//! `POST /reservations`: holds every line of an order, all SKUs or none.

use axum::{extract::State, http::Method, response::Response};
use contracts::inventory::{CreateReservationRequest, ReservationView};
use problem::{Json, Problem};
use tracing::{Span, field};

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
    State(inventory): State<InventoryService>,
    Json(request): Json<CreateReservationRequest>,
) -> Result<Response, Problem> {
    let command = request.validate()?;
    let span = Span::current();
    span.record("order_id", field::display(&command.order_id));
    span.record("lines", command.lines.len());
    Ok(inventory
        .forward(Method::POST, "/reservations", Some(&request))
        .await?)
}
