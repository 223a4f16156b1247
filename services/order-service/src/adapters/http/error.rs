//! Use-case failures as problems: `order_not_found`, `invalid_transition`,
//! `lines_mismatch`, `idempotency_key_reused`, and the payment's: `payment_declined` and
//! `capture_failed` (409, the order cancelled, its id in `orderId`), `order_not_paid`,
//! `payment_not_captured` (409), `unpriceable_order` (422), `payment_unavailable` (503,
//! the outcome unknown); store failures are logged and answered 500.

use axum::http::StatusCode;
use problem::Problem;

use crate::application::Error;
use crate::domain::OrderError;

impl From<Error> for Problem {
    fn from(err: Error) -> Self {
        to_problem(err)
    }
}

fn to_problem(err: Error) -> Problem {
    let detail = err.to_string();
    match err {
        Error::NotFound(_) => Problem::not_found("order_not_found", detail),
        Error::Rejected(OrderError::InvalidTransition { status, .. }) => {
            Problem::conflict("invalid_transition", detail)
                .with_extension("status", status.as_str())
        }
        Error::Rejected(OrderError::LinesMismatch { .. }) => {
            Problem::conflict("lines_mismatch", detail)
        }
        Error::Rejected(OrderError::NotPaid { .. }) => Problem::conflict("order_not_paid", detail),
        Error::Rejected(OrderError::NotCaptured { .. }) => {
            Problem::conflict("payment_not_captured", detail)
        }
        Error::Rejected(OrderError::Unpriceable { .. }) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unpriceable_order",
            "Invalid input",
        )
        .with_detail(detail),
        Error::PaymentDeclined(order) => {
            Problem::conflict("payment_declined", detail).with_extension("orderId", order.id())
        }
        Error::CaptureFailed(order) => {
            Problem::conflict("capture_failed", detail).with_extension("orderId", order.id())
        }
        Error::PaymentUnavailable => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "payment_unavailable",
            "Service unavailable",
        )
        .with_detail(detail),
        Error::KeyReused => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "Idempotency key reused",
        )
        .with_detail("this Idempotency-Key was used for a different order request"),
        Error::Store(cause) => {
            tracing::error!(error = ?cause.0, "order store failed");
            Problem::internal()
        }
    }
}
