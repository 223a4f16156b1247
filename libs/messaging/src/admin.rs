//! Operator routes over HTTP: the dead letters of a service's consuming queue, listed
//! (`GET /admin/dlq`) and replayed (`POST /admin/dlq/{id}/retry`). Guarded by the
//! `x-api-key` header; without a configured key they refuse every call.

use std::sync::Arc;

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use problem::{Json, Problem};
use serde_json::{Value, json};

use crate::{ConsumerQueue, dead_letters};

/// Most dead letters listed or scanned by one call.
const PAGE: usize = 200;

#[derive(Debug)]
pub struct Admin {
    pub api_key: Option<String>,
    pub amqp_url: String,
    pub queue: ConsumerQueue,
}

/// The admin routes, ready to merge into a service's router.
pub fn router<S>(admin: Arc<Admin>) -> Router<S> {
    Router::new()
        .route("/admin/dlq", get(list_dead_letters))
        .route("/admin/dlq/{id}/retry", post(retry_dead_letter))
        .with_state(admin)
}

impl Admin {
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Problem> {
        let Some(expected) = &self.api_key else {
            return Err(
                Problem::new(StatusCode::FORBIDDEN, "admin_disabled", "Forbidden")
                    .with_detail("admin routes are disabled: ADMIN_API_KEY is not set"),
            );
        };
        let given = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        if given == Some(expected.as_str()) {
            Ok(())
        } else {
            Err(
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized")
                    .with_detail("a valid x-api-key header is required"),
            )
        }
    }
}

async fn list_dead_letters(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    admin.authorize(&headers)?;
    let letters = dead_letters::list(&admin.amqp_url, &admin.queue, PAGE)
        .await
        .map_err(broker_unavailable)?;
    Ok(Json(
        json!({ "queue": admin.queue.dlq(), "items": letters }),
    ))
}

async fn retry_dead_letter(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    admin.authorize(&headers)?;
    let replayed = dead_letters::replay(&admin.amqp_url, &admin.queue, &id, PAGE)
        .await
        .map_err(broker_unavailable)?;
    if replayed {
        tracing::info!(message_id = %id, "dead letter replayed");
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Problem::not_found(
            "dead_letter_not_found",
            format!("no dead letter {id}"),
        ))
    }
}

fn broker_unavailable(e: anyhow::Error) -> Problem {
    tracing::warn!(error = ?e, "dead-letter queue unreachable");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "broker_unavailable",
        "Broker unavailable",
    )
    .with_detail("the broker cannot be reached; retry later")
}
