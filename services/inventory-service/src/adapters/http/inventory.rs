//! Handlers of `/inventory/...`: parse the path and body into commands (bad input is a
//! 4xx problem before any use case runs), call the use case, render the answer.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::IntoResponse,
};
use chrono::Utc;
use contracts::inventory::{
    ConfirmRequest, CreateInventoryRequest, MovementPageView, MovementsQuery, ReleaseRequest,
    ReplenishRequest, ReserveRequest, StockView,
};
use problem::{Json, Problem, Query};

use super::{AppState, acting::Acting, views};
use crate::adapters::inventory_metrics;
use crate::domain::Sku;

type Result<T> = std::result::Result<T, Problem>;

fn sku(raw: &str) -> Result<Sku> {
    Ok(Sku::parse(raw)?)
}

#[tracing::instrument(skip_all, fields(sku = %req.sku, caller = tracing::field::Empty))]
pub(super) async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Json(req): Json<CreateInventoryRequest>,
) -> Result<impl IntoResponse> {
    let cmd = req.validate()?;
    let location = format!("/inventory/{}", cmd.sku);
    let record = state.inventory.create(cmd, &actor).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(views::stock(record)),
    ))
}

#[tracing::instrument(skip_all, fields(sku = %raw))]
pub(super) async fn stock(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<StockView>> {
    let record = state.inventory.stock(&sku(&raw)?).await?;
    Ok(Json(views::stock(record)))
}

#[tracing::instrument(skip_all, fields(sku = %raw, order_id = %req.order_id, caller = tracing::field::Empty))]
pub(super) async fn reserve(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(raw): Path<String>,
    Json(req): Json<ReserveRequest>,
) -> Result<StatusCode> {
    let sku = sku(&raw)?;
    let cmd = req.validate()?;
    state
        .inventory
        .reserve(&sku, cmd, Utc::now(), &actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = %raw, order_id = %req.order_id, caller = tracing::field::Empty))]
pub(super) async fn release(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(raw): Path<String>,
    Json(req): Json<ReleaseRequest>,
) -> Result<StatusCode> {
    let sku = sku(&raw)?;
    let cmd = req.validate()?;
    state.inventory.release(&sku, cmd, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = %raw, order_id = %req.order_id, caller = tracing::field::Empty))]
pub(super) async fn confirm(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(raw): Path<String>,
    Json(req): Json<ConfirmRequest>,
) -> Result<StatusCode> {
    let sku = sku(&raw)?;
    let order_id = req.validate()?;
    state.inventory.confirm(&sku, &order_id, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = %raw, caller = tracing::field::Empty))]
pub(super) async fn replenish(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(raw): Path<String>,
    Json(req): Json<ReplenishRequest>,
) -> Result<StatusCode> {
    let sku = sku(&raw)?;
    let qty = req.validate()?;
    state.inventory.replenish(&sku, qty, &actor).await?;
    inventory_metrics::replenished(qty);
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(sku = %raw))]
pub(super) async fn movements(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<MovementsQuery>,
) -> Result<Json<MovementPageView>> {
    let sku = sku(&raw)?;
    let page = query.validate()?;
    let records = state.inventory.movements(&sku, page).await?;
    let next_cursor = (records.len() as i64 == page.limit)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    Ok(Json(MovementPageView {
        items: records.into_iter().map(views::movement).collect(),
        next_cursor,
    }))
}
