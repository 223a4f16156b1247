//! `POST /reservations`: every line of one order reserved, or none.

use axum::{extract::State, http::StatusCode};
use chrono::Utc;
use contracts::inventory::{CreateReservationRequest, ReservationView};
use problem::{Json, Problem};

use super::{AppState, error::to_problem, views};
use crate::adapters::inventory_metrics::{self, ReservationAnswer};
use crate::application::Error;

#[tracing::instrument(skip_all, fields(order_id = %req.order_id, lines = req.items.len()))]
pub(super) async fn create(
    State(state): State<AppState>,
    Json(req): Json<CreateReservationRequest>,
) -> Result<(StatusCode, Json<ReservationView>), Problem> {
    let cmd = req.validate()?;
    let order_id = cmd.order_id.to_string();
    let answer = state.inventory.reserve_all(cmd, Utc::now()).await;
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
    let holds = answer.map_err(to_problem)?;
    Ok((
        StatusCode::CREATED,
        Json(ReservationView {
            order_id,
            items: holds.into_iter().map(views::hold).collect(),
        }),
    ))
}
