//! Handlers of the stock routes, at the default location (`/inventory/...`) and at a
//! named one (`/locations/:storeId/inventory/...`): parse the path and body into
//! commands (bad input is a 4xx problem before any use case runs), call the use case,
//! render the answer.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use chrono::Utc;
use contracts::inventory::{
    ConfirmRequest, CreateInventoryRequest, MovementPageView, MovementsQuery, PriceRequest,
    ReleaseRequest, ReplenishRequest, ReserveRequest, StockListQuery, StockPageView, StockView,
};
use problem::{Json, Problem, Query};

use super::{
    AppState,
    acting::Acting,
    place::{At, StockAt},
    views,
};
use crate::adapters::inventory_metrics;
use crate::domain::LocationId;

type Result<T> = std::result::Result<T, Problem>;

/// Where a product's stock is read: the central warehouse keeps its short address.
fn stock_path(location: &LocationId, sku: &str) -> String {
    if location.is_central() {
        format!("/inventory/{sku}")
    } else {
        format!("/locations/{location}/inventory/{sku}")
    }
}

#[tracing::instrument(skip_all, fields(sku = %req.sku, store_id = tracing::field::Empty, caller = tracing::field::Empty))]
pub(super) async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    At(location): At,
    Json(req): Json<CreateInventoryRequest>,
) -> Result<impl IntoResponse> {
    let cmd = req.validate()?;
    let path = stock_path(&location, cmd.sku.as_str());
    let record = state.inventory.create(&location, cmd, &actor).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, path)],
        Json(views::stock(record)),
    ))
}

#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty))]
pub(super) async fn stock(State(state): State<AppState>, at: StockAt) -> Result<Json<StockView>> {
    let record = state.inventory.stock(&at.location, &at.sku).await?;
    Ok(Json(views::stock(record)))
}

#[tracing::instrument(skip_all, fields(store_id = tracing::field::Empty))]
pub(super) async fn list(
    State(state): State<AppState>,
    At(location): At,
    Query(query): Query<StockListQuery>,
) -> Result<Json<StockPageView>> {
    let page = query.validate()?;
    let records = state.inventory.list(&location, &page).await?;
    let next_cursor = (records.len() as i64 == page.limit)
        .then(|| records.last().map(|r| r.product.sku().to_string()))
        .flatten();
    Ok(Json(StockPageView {
        items: records.into_iter().map(views::stock).collect(),
        next_cursor,
    }))
}

#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty, order_id = %req.order_id, caller = tracing::field::Empty))]
pub(super) async fn reserve(
    State(state): State<AppState>,
    Acting(actor): Acting,
    at: StockAt,
    Json(req): Json<ReserveRequest>,
) -> Result<StatusCode> {
    let cmd = req.validate()?;
    state
        .inventory
        .reserve(&at.location, &at.sku, cmd, Utc::now(), &actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty, order_id = %req.order_id, caller = tracing::field::Empty))]
pub(super) async fn release(
    State(state): State<AppState>,
    Acting(actor): Acting,
    at: StockAt,
    Json(req): Json<ReleaseRequest>,
) -> Result<StatusCode> {
    let cmd = req.validate()?;
    state
        .inventory
        .release(&at.location, &at.sku, cmd, &actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty, order_id = %req.order_id, caller = tracing::field::Empty))]
pub(super) async fn confirm(
    State(state): State<AppState>,
    Acting(actor): Acting,
    at: StockAt,
    Json(req): Json<ConfirmRequest>,
) -> Result<StatusCode> {
    let order_id = req.validate()?;
    state
        .inventory
        .confirm(&at.location, &at.sku, &order_id, &actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty, caller = tracing::field::Empty))]
pub(super) async fn replenish(
    State(state): State<AppState>,
    Acting(actor): Acting,
    at: StockAt,
    Json(req): Json<ReplenishRequest>,
) -> Result<StatusCode> {
    let qty = req.validate()?;
    state
        .inventory
        .replenish(&at.location, &at.sku, qty, &actor)
        .await?;
    inventory_metrics::replenished(qty);
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the price of one unit; answers the row after it, with its new version. A price
/// records no movement: who set it is on the request's span.
#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty, caller = tracing::field::Empty))]
pub(super) async fn set_price(
    State(state): State<AppState>,
    Acting(_actor): Acting,
    at: StockAt,
    Json(req): Json<PriceRequest>,
) -> Result<Json<StockView>> {
    let price = req.validate()?;
    let record = state
        .inventory
        .set_price(&at.location, &at.sku, price)
        .await?;
    Ok(Json(views::stock(record)))
}

#[tracing::instrument(skip_all, fields(sku = tracing::field::Empty, store_id = tracing::field::Empty))]
pub(super) async fn movements(
    State(state): State<AppState>,
    at: StockAt,
    Query(query): Query<MovementsQuery>,
) -> Result<Json<MovementPageView>> {
    let page = query.validate()?;
    let records = state
        .inventory
        .movements(&at.location, &at.sku, page)
        .await?;
    let next_cursor = (records.len() as i64 == page.limit)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    Ok(Json(MovementPageView {
        items: records.into_iter().map(views::movement).collect(),
        next_cursor,
    }))
}
