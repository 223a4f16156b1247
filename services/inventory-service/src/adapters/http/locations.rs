//! `/locations`: the places stock lives; and `POST /transfers`, units moved between two
//! of them in one transaction.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use contracts::inventory::{
    CreateLocationRequest, LocationListView, LocationView, TransferRequest, TransferView,
};
use problem::{Json, Problem};

use super::{AppState, acting::Acting, place::At, views};

type Result<T> = std::result::Result<T, Problem>;

#[tracing::instrument(skip_all, fields(store_id = %req.store_id))]
pub(super) async fn create(
    State(state): State<AppState>,
    Json(req): Json<CreateLocationRequest>,
) -> Result<impl IntoResponse> {
    let cmd = req.validate()?;
    let record = state.inventory.create_location(cmd).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/locations/{}", record.id))],
        Json(views::location(record)),
    ))
}

#[tracing::instrument(skip_all, fields(store_id = tracing::field::Empty))]
pub(super) async fn one(
    State(state): State<AppState>,
    At(location): At,
) -> Result<Json<LocationView>> {
    Ok(Json(views::location(
        state.inventory.location(&location).await?,
    )))
}

#[tracing::instrument(skip_all)]
pub(super) async fn all(State(state): State<AppState>) -> Result<Json<LocationListView>> {
    let records = state.inventory.locations().await?;
    Ok(Json(LocationListView {
        items: records.into_iter().map(views::location).collect(),
    }))
}

#[tracing::instrument(skip_all, fields(sku = %req.sku, from = %req.from, to = %req.to, caller = tracing::field::Empty))]
pub(super) async fn transfer(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Json(req): Json<TransferRequest>,
) -> Result<(StatusCode, Json<TransferView>)> {
    let cmd = req.validate()?;
    let (transfer_id, from, to) = state.inventory.transfer(cmd, &actor).await?;
    Ok((
        StatusCode::CREATED,
        Json(TransferView {
            transfer_id,
            from: views::stock(from),
            to: views::stock(to),
        }),
    ))
}
