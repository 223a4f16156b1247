//! `POST /checkout`: check the caller's scope, validate, run the saga, answer 201, 202 or
//! a problem.

use access::{Caller, Scope};
use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use contracts::orders::{CheckoutView, CreateOrderRequest};
use problem::{Json, Problem};

use crate::checkout::Outcome;
use crate::idempotency::IdempotencyKey;
use crate::openapi::ProblemDocument;
use crate::order::Order;
use crate::startup::AppState;

/// Places an order and reserves all its lines at one location (`locationId`, the central
/// warehouse when absent), all or none: 201 confirmed, 202 left to the event path. With
/// `payment` (`{"method": "card", "token": "tok_visa"}`), the order's total (its lines at
/// the unit prices the inventory answers) is authorized on the card before the commit and
/// captured at the confirmation; the answer then carries `total`.
#[utoipa::path(
    post,
    path = "/checkout",
    tag = "checkout",
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key returns the same order")),
    responses(
        (status = 201, description = "Confirmed: every line reserved and committed (out of stock for good); a paid checkout's total captured (`total`, each line's `unitPrice`)", body = CheckoutView),
        (status = 202, description = "Pending: the event-driven saga finishes it (see Location)", body = CheckoutView),
        (status = 400, description = "The body is not JSON (`malformed_json`); nothing was placed",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "insufficient_stock (with shortages), stock_lost (reserved, but gone by the commit), order_cancelled, payment_declined (the card refused the total) or capture_failed (the payment could not be taken); the order is CANCELLED (its id in `orderId`), nothing held or charged",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body (`locationId` that is no location id: `invalid_store_id`, 1 to 32 of letters, digits, `-` and `_`), unknown SKU (also every line of an order at a location the inventory does not know), `invalid_payment` (a method other than `card`, a token that is not 1 to 255 visible ASCII characters), `unpriced_sku` (a paid checkout of a SKU without a unit price at the location, with `skus`; the order is cancelled), `mixed_currencies` (a paid checkout priced in several currencies; the order is cancelled), or an idempotency key reused for another request",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "order-service unavailable (`order_service_unavailable`), too many requests in progress (`overloaded`), or order-service's events behind (`events_backlogged`), each with `Retry-After`: nothing was placed",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn checkout(
    caller: Caller,
    State(state): State<AppState>,
    key: Option<IdempotencyKey>,
    Json(request): Json<CreateOrderRequest>,
) -> Result<Outcome, Problem> {
    caller.require(Scope::Checkout)?;
    let request = request.validate()?;
    Ok(state
        .checkout
        .run(&request, key.as_ref(), caller.name())
        .await?)
}

/// 201 confirmed, 202 pending (with `Location`), or the problem that says why the order
/// is cancelled (its id in `orderId`).
impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Confirmed(order) => (StatusCode::CREATED, Json(view(&order))).into_response(),
            Outcome::Pending(order) => (
                StatusCode::ACCEPTED,
                [(header::LOCATION, format!("/orders/{}", order.id()))],
                Json(view(&order)),
            )
                .into_response(),
            Outcome::InsufficientStock { order, shortages } => {
                let skus: Vec<&str> = shortages.iter().map(|s| s.sku.as_str()).collect();
                Problem::conflict(
                    "insufficient_stock",
                    format!("not enough stock of {}", skus.join(", ")),
                )
                .with_extension("orderId", order.id())
                .with_extension("shortages", &shortages)
                .into_response()
            }
            Outcome::StockLost { order, shortages } => Problem::conflict(
                "stock_lost",
                "the stock reserved for the order was gone when it was to be committed; the order is cancelled",
            )
            .with_extension("orderId", order.id())
            .with_extension("shortages", &shortages)
            .into_response(),
            Outcome::UnknownSku { order, skus } => {
                let names: Vec<&str> = skus.iter().map(|s| s.as_str()).collect();
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_sku",
                    "Invalid input",
                )
                .with_detail(format!("unknown SKU: {}", names.join(", ")))
                .with_extension("orderId", order.id())
                .with_extension("skus", &skus)
                .into_response()
            }
            Outcome::Cancelled(order) => {
                Problem::conflict("order_cancelled", "the order was cancelled")
                    .with_extension("orderId", order.id())
                    .into_response()
            }
            Outcome::PaymentDeclined(order) => Problem::conflict(
                "payment_declined",
                "the card refused the order's total; the order is cancelled, nothing held",
            )
            .with_extension("orderId", order.id())
            .into_response(),
            Outcome::CaptureFailed(order) => Problem::conflict(
                "capture_failed",
                "the payment could not be taken; the order is cancelled, nothing charged or held",
            )
            .with_extension("orderId", order.id())
            .into_response(),
            Outcome::UnpricedSku { order, skus } => {
                let names: Vec<&str> = skus.iter().map(|s| s.as_str()).collect();
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unpriced_sku",
                    "Invalid input",
                )
                .with_detail(format!(
                    "no unit price at the order's location for {}: a paid checkout cannot charge it; the order is cancelled",
                    names.join(", ")
                ))
                .with_extension("orderId", order.id())
                .with_extension("skus", &skus)
                .into_response()
            }
            Outcome::MixedCurrencies(order) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "mixed_currencies",
                "Invalid input",
            )
            .with_detail(
                "the order's lines are priced in more than one currency: one payment cannot charge them; the order is cancelled",
            )
            .with_extension("orderId", order.id())
            .into_response(),
        }
    }
}

fn view(order: &Order) -> CheckoutView {
    let view = order.view();
    CheckoutView {
        order_id: view.order_id.clone(),
        status: view.status.clone(),
        location_id: order.location().to_string(),
        items: view.items.clone(),
        total: order.total().cloned(),
    }
}
