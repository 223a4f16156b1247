//! `POST /checkout`: check the caller's scope, validate, run the saga, answer 201, 202 or
//! a problem.

use access::{Caller, Scope};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use contracts::ValidationError;
use contracts::orders::{CheckoutView, CreateOrderRequest, OrderView};
use problem::{Json, Problem};

use crate::checkout::Outcome;
use crate::openapi::ProblemDocument;
use crate::startup::AppState;

/// Longest accepted `Idempotency-Key`.
const MAX_KEY_LEN: usize = 200;

/// Places an order and reserves its lines: 201 confirmed, 202 left to the event path.
#[utoipa::path(
    post,
    path = "/checkout",
    tag = "checkout",
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key returns the same order")),
    responses(
        (status = 201, description = "Confirmed: every line reserved and committed (out of stock for good)", body = CheckoutView),
        (status = 202, description = "Pending: the event-driven saga finishes it (see Location)", body = CheckoutView),
        (status = 409, description = "insufficient_stock (with shortages), stock_lost (reserved, but gone by the commit) or order_cancelled; the order is CANCELLED, nothing held",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body, unknown SKU, or an idempotency key reused for another request",
            body = ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "order-service unavailable (`order_service_unavailable`), or too many requests in progress (`overloaded`, with `Retry-After`): nothing was placed",
            body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn checkout(
    caller: Caller,
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<CreateOrderRequest>,
) -> Result<Response, Problem> {
    caller.require(Scope::Checkout)?;
    let key = idempotency_key(&headers)?;
    request.validate()?;
    Ok(match state.checkout.run(&request, key.as_deref(), caller.name()).await {
        Outcome::Confirmed(order) => (StatusCode::CREATED, Json(view(&order))).into_response(),
        Outcome::Pending(order) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/orders/{}", order.order_id))],
            Json(view(&order)),
        )
            .into_response(),
        Outcome::InsufficientStock { order, shortages } => {
            let skus: Vec<&str> = shortages.iter().map(|s| s.sku.as_str()).collect();
            Problem::conflict(
                "insufficient_stock",
                format!("not enough stock of {}", skus.join(", ")),
            )
            .with_extension("orderId", &order.order_id)
            .with_extension("shortages", &shortages)
            .into_response()
        }
        Outcome::StockLost { order, shortages } => Problem::conflict(
            "stock_lost",
            "the stock reserved for the order was gone when it was to be committed; the order is cancelled",
        )
        .with_extension("orderId", &order.order_id)
        .with_extension("shortages", &shortages)
        .into_response(),
        Outcome::UnknownSku { order, skus } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_sku",
            "Invalid input",
        )
        .with_detail(format!("unknown SKU: {}", skus.join(", ")))
        .with_extension("orderId", &order.order_id)
        .with_extension("skus", &skus)
        .into_response(),
        Outcome::Cancelled(order) => {
            Problem::conflict("order_cancelled", "the order was cancelled")
                .with_extension("orderId", &order.order_id)
                .into_response()
        }
        Outcome::Refused(answer) => answer.into_response(),
        Outcome::OrderServiceUnavailable => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "order_service_unavailable",
            "Service unavailable",
        )
        .with_detail("orders cannot be placed right now; retry with the same Idempotency-Key")
        .into_response(),
    })
}

fn view(order: &OrderView) -> CheckoutView {
    CheckoutView {
        order_id: order.order_id.clone(),
        status: order.status.clone(),
        items: order.items.clone(),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|k| (1..=MAX_KEY_LEN).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            Problem::from(ValidationError::new(
                "invalid_idempotency_key",
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            ))
        })
}
