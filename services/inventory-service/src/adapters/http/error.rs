//! How a use case's failure reads over HTTP: each domain refusal has its status and
//! stable `code`; a store failure is logged with its cause and answered 500 without it.

use axum::http::StatusCode;
use contracts::inventory::Shortage as ShortageView;
use problem::Problem;

use crate::application::Error;
use crate::domain::{Denied, InventoryError, Shortage};

impl From<Error> for Problem {
    fn from(err: Error) -> Self {
        to_problem(err)
    }
}

fn to_problem(err: Error) -> Problem {
    match err {
        Error::Rejected(refusal) => refusal_to_problem(refusal),
        Error::Store(cause) => {
            tracing::error!(error = ?cause.0, "inventory store failed");
            Problem::internal()
        }
    }
}

fn refusal_to_problem(refusal: InventoryError) -> Problem {
    let detail = refusal.to_string();
    match refusal {
        InventoryError::UnknownSku(skus) => Problem::not_found("unknown_sku", detail)
            .with_extension("skus", skus.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        InventoryError::SkuExists(_) => Problem::conflict("sku_exists", detail),
        InventoryError::UnknownLocation(_) => Problem::not_found("unknown_location", detail),
        InventoryError::LocationExists(_) => Problem::conflict("location_exists", detail),
        InventoryError::HeldElsewhere { .. } => Problem::conflict("reservation_conflict", detail),
        InventoryError::InsufficientStock(shortages) => {
            Problem::conflict("insufficient_stock", detail)
                .with_extension("shortages", views(shortages))
        }
        InventoryError::StockLost(shortages) => {
            Problem::conflict("stock_lost", detail).with_extension("shortages", views(shortages))
        }
        InventoryError::HoldNotYours {
            denied: Denied::OwnedByOrder,
            ..
        } => Problem::conflict("hold_owned_by_order", detail),
        InventoryError::HoldNotYours {
            denied: Denied::OwnedByAnotherCaller,
            ..
        } => Problem::conflict("hold_owned_by_another_caller", detail),
        InventoryError::SagaOnly => {
            Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").with_detail(detail)
        }
        InventoryError::HoldConflict { .. } => Problem::conflict("reservation_conflict", detail),
        InventoryError::ReservationNotFound { .. } => {
            Problem::not_found("reservation_not_found", detail)
        }
        InventoryError::ReservationNotActive { .. } => {
            Problem::conflict("reservation_not_active", detail)
        }
        InventoryError::OrderCancelled(_) => Problem::conflict("order_cancelled", detail),
        InventoryError::StockLimit { .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_quantity",
            "Invalid input",
        )
        .with_detail(detail),
    }
}

fn views(shortages: Vec<Shortage>) -> Vec<ShortageView> {
    shortages
        .into_iter()
        .map(|s| ShortageView {
            sku: s.sku.to_string(),
            requested: s.requested,
            available: s.available,
        })
        .collect()
}
