//! Operator routes: the dead letters of the order-events queue, listed and replayed.
//! Guarded by the `x-api-key` header; without a configured key they refuse every call.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use messaging::{ConsumerQueue, dead_letters};
use problem::{Json, Problem};
use serde_json::{Value, json};

use super::AppState;

/// Most dead letters listed or scanned by one call.
const PAGE: usize = 200;

#[derive(Debug)]
pub struct Admin {
    pub api_key: Option<String>,
    pub amqp_url: String,
    pub queue: ConsumerQueue,
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

pub(super) async fn list_dead_letters(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    let admin = &state.admin;
    admin.authorize(&headers)?;
    let letters = dead_letters::list(&admin.amqp_url, &admin.queue, PAGE)
        .await
        .map_err(broker_unavailable)?;
    Ok(Json(
        json!({ "queue": admin.queue.dlq(), "items": letters }),
    ))
}

pub(super) async fn retry_dead_letter(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let admin = &state.admin;
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
