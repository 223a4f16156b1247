//! `POST /reservations`: every line of one order reserved, or none; and
//! `POST /reservations/:orderId/commit`: the saga commits exactly the order's lines.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use chrono::Utc;
use contracts::inventory::{
    CommitReservationRequest, CommitView, CreateReservationRequest, ReservationLineRequest,
    ReservationView,
};
use problem::{Json, Problem};

use super::{AppState, acting::Acting, views};
use crate::adapters::inventory_metrics::{self, ReservationAnswer};
use crate::application::Error;

#[tracing::instrument(skip_all, fields(order_id = %req.order_id, lines = req.items.len(), caller = tracing::field::Empty))]
pub(super) async fn create(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Json(req): Json<CreateReservationRequest>,
) -> Result<(StatusCode, Json<ReservationView>), Problem> {
    let cmd = req.validate()?;
    let order_id = cmd.order_id.to_string();
    let answer = state.inventory.reserve_all(cmd, Utc::now(), &actor).await;
    match &answer {
        // The use case answers a repeat of a whole-order reservation as it answered
        // the first: both count as `reserved`.
        Ok(_) => inventory_metrics::reservation(ReservationAnswer::Reserved),
        Err(Error::Rejected(refusal)) => {
            inventory_metrics::reservation(ReservationAnswer::of_refusal(refusal));
        }
        // Not an answer: the store failed, which the HTTP and database metrics show.
        Err(Error::Store(_)) => {}
    }
    let holds = answer?;
    Ok((
        StatusCode::CREATED,
        Json(ReservationView {
            order_id,
            items: holds.into_iter().map(views::hold).collect(),
        }),
    ))
}

#[tracing::instrument(skip_all, fields(order_id = %raw, lines = req.items.len(), caller = tracing::field::Empty))]
pub(super) async fn commit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(raw): Path<String>,
    Json(req): Json<CommitReservationRequest>,
) -> Result<Json<CommitView>, Problem> {
    let cmd = req.validate(&raw)?;
    let order_id = cmd.order_id.to_string();
    let lines = state.inventory.commit(cmd, Utc::now(), &actor).await?;
    Ok(Json(CommitView {
        order_id,
        items: lines
            .into_iter()
            .map(|(sku, qty)| ReservationLineRequest {
                sku: sku.to_string(),
                qty,
            })
            .collect(),
    }))
}
