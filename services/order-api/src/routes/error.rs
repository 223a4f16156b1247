//! How order-service's failures read to a client: its refusals pass on as it phrased
//! them; when it cannot be heard, a 503 that tells the client to retry, never the cause
//! (already logged by the adapter).

use axum::http::StatusCode;
use problem::Problem;

use crate::ports::OrdersError;

impl From<OrdersError> for Problem {
    fn from(err: OrdersError) -> Self {
        match err {
            OrdersError::Refused(problem) => problem.into(),
            OrdersError::Unavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "order_service_unavailable",
                "Service unavailable",
            )
            .with_detail(
                "order-service cannot be reached; retry later (a checkout retried with the same Idempotency-Key finds its order)",
            ),
        }
    }
}
