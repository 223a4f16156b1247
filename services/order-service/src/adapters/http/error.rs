//! Use-case failures as problems: `order_not_found`, `invalid_transition`,
//! `idempotency_key_reused`; store failures are logged and answered 500.

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
