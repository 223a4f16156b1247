//! `/orders` handlers: parse, run the use case, render the order.

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use contracts::Money;
use contracts::orders::{
    AuthorizeOrderRequest, CancelCause, CancelOrderRequest, ConfirmOrderRequest,
    CreateOrderRequest, OrderItemView, OrderView, PaymentView, TransitionView,
};
use problem::{Json, OptionalJson, Problem, idempotency::IdempotencyKey};

use super::AppState;
use crate::domain::{Order, OrderId};

#[tracing::instrument(skip_all, fields(order_id = tracing::field::Empty))]
pub(super) async fn place(
    State(state): State<AppState>,
    key: Option<IdempotencyKey>,
    Json(req): Json<CreateOrderRequest>,
) -> Result<Response, Problem> {
    let cmd = req.validate()?;
    let placed = state
        .orders
        .place(cmd, key.as_ref().map(IdempotencyKey::as_str), Utc::now())
        .await?;
    tracing::Span::current().record("order_id", tracing::field::display(placed.order.id()));
    let location = format!("/orders/{}", placed.order.id());
    let status = if placed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (
        status,
        [(header::LOCATION, location)],
        Json(view(&placed.order)),
    )
        .into_response();
    if !placed.created {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[tracing::instrument(skip_all, fields(order_id = %raw))]
pub(super) async fn get(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<OrderView>, Problem> {
    let order = state.orders.get(&order_id(&raw)?).await?;
    Ok(Json(view(&order)))
}

/// The saga confirms an order whose lines the inventory has committed: the body names
/// those lines, and they must be the order's.
#[tracing::instrument(skip_all, fields(order_id = %raw))]
pub(super) async fn confirm(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Json(req): Json<ConfirmOrderRequest>,
) -> Result<Json<OrderView>, Problem> {
    let id = order_id(&raw)?;
    let committed = req.validate()?;
    let order = state.orders.confirm(&id, committed, Utc::now()).await?;
    Ok(Json(view(&order)))
}

/// The saga has every line of a paid order reserved, at these unit prices: the total is
/// authorized on the order's card. 200 `AUTHORIZED`; 409 `payment_declined` (the order is
/// cancelled); 503 `payment_unavailable` (the outcome is unknown; the order stays open).
#[tracing::instrument(skip_all, fields(order_id = %raw))]
pub(super) async fn authorize(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Json(req): Json<AuthorizeOrderRequest>,
) -> Result<Json<OrderView>, Problem> {
    let id = order_id(&raw)?;
    let priced = req.validate()?;
    let order = state.orders.authorize(&id, priced, Utc::now()).await?;
    Ok(Json(view(&order)))
}

#[tracing::instrument(skip_all, fields(order_id = %raw))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    // The body is optional: no body cancels with a default reason.
    OptionalJson(request): OptionalJson<CancelOrderRequest>,
) -> Result<Json<OrderView>, Problem> {
    let id = order_id(&raw)?;
    let reason = request
        .validate()?
        .unwrap_or("cancelled by request")
        .to_owned();
    let cancelled = match request.cause {
        Some(CancelCause::StockLost) => state.orders.stock_lost(&id, Utc::now()).await,
        None => state.orders.cancel(&id, reason, Utc::now()).await,
    };
    let order = cancelled?;
    Ok(Json(view(&order)))
}

#[tracing::instrument(skip_all, fields(order_id = %raw))]
pub(super) async fn hand_over(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<OrderView>), Problem> {
    let order = state.orders.hand_over(&order_id(&raw)?, Utc::now()).await?;
    Ok((StatusCode::ACCEPTED, Json(view(&order))))
}

/// An id that is no order id at all names no order either: 404, as an unknown one.
fn order_id(raw: &str) -> Result<OrderId, Problem> {
    OrderId::parse(raw)
        .map_err(|_| Problem::not_found("order_not_found", format!("no order {raw:?}")))
}

pub(super) fn view(order: &Order) -> OrderView {
    OrderView {
        order_id: order.id().to_string(),
        status: order.status().to_string(),
        customer_id: order.customer_id().map(str::to_owned),
        location_id: order.location().to_string(),
        items: order
            .lines()
            .iter()
            .map(|l| OrderItemView {
                sku: l.sku.to_string(),
                qty: l.qty.get(),
                unit_price: l.unit_price.map(Money::from),
            })
            .collect(),
        total: order.total().map(Money::from),
        payment: order.payment().map(|p| PaymentView {
            method: "card".to_owned(),
            status: p.status().to_string(),
            amount: p.amount().map(Money::from),
        }),
        handed_over: order.is_handed_over(),
        version: order.version(),
        created_at: order.created_at(),
        updated_at: order.updated_at(),
        history: order
            .history()
            .iter()
            .map(|t| TransitionView {
                from: t.from.map(|s| s.to_string()),
                to: t.to().to_string(),
                reason: t.cause.to_string(),
                path: t.path.to_string(),
                at: t.at,
            })
            .collect(),
    }
}
