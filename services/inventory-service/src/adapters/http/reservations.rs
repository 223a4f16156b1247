//! `POST /reservations`: every line of one order reserved, or none.

use axum::{extract::State, http::StatusCode};
use chrono::Utc;
use contracts::inventory::{CreateReservationRequest, ReservationView};
use problem::{Json, Problem};

use super::{AppState, error::to_problem, views};

#[tracing::instrument(skip_all, fields(order_id = %req.order_id, lines = req.items.len()))]
pub(super) async fn create(
    State(state): State<AppState>,
    Json(req): Json<CreateReservationRequest>,
) -> Result<(StatusCode, Json<ReservationView>), Problem> {
    let cmd = req.validate()?;
    let order_id = cmd.order_id.to_string();
    let holds = state
        .inventory
        .reserve_all(cmd, Utc::now())
        .await
        .map_err(to_problem)?;
    Ok((
        StatusCode::CREATED,
        Json(ReservationView {
            order_id,
            items: holds.into_iter().map(views::hold).collect(),
        }),
    ))
}
