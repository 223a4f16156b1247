//! Operator routes over HTTP: the dead letters of a service's consuming queue, listed
//! (`GET /admin/dlq`) and replayed (`POST /admin/dlq/{id}/retry`).
//!
//! Only a caller with the `admin` scope may call them: a key of `API_KEYS` with that
//! scope, or `ADMIN_API_KEY` (see libs/access). Without any such caller configured they
//! refuse every call, and so they do when the keys do not parse: an operator route left
//! open by a typo would be worse than one closed until the typo is fixed.

use std::sync::Arc;

use access::{API_KEY_HEADER, Caller, Callers, KeysError, Scope, Unauthorized};
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use problem::{Json, Problem};
use serde_json::{Value, json};

use crate::{ConsumerQueue, dead_letters};

/// Most dead letters listed or scanned by one call.
const PAGE: usize = 200;

#[derive(Debug)]
pub struct Admin {
    /// Who may call: see [`Admin::callers_from_env`]. `Err` refuses everyone.
    pub callers: Result<Callers, KeysError>,
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
    /// The callers of `API_KEYS` (from the environment) and `admin_api_key` (the
    /// service's `ADMIN_API_KEY`). Keys that do not parse are logged (by position, never
    /// by text) and close the admin routes; the service itself still starts.
    pub fn callers_from_env(admin_api_key: Option<&str>) -> Result<Callers, KeysError> {
        let api_keys = std::env::var("API_KEYS")
            .ok()
            .filter(|raw| !raw.trim().is_empty());
        Self::callers(api_keys.as_deref(), admin_api_key)
    }

    /// Same as [`Admin::callers_from_env`], with `API_KEYS` given.
    pub fn callers(
        api_keys: Option<&str>,
        admin_api_key: Option<&str>,
    ) -> Result<Callers, KeysError> {
        let admin_api_key = admin_api_key.filter(|key| !key.trim().is_empty());
        let callers = Callers::parse(api_keys, admin_api_key);
        match &callers {
            Ok(callers) => {
                let admins: Vec<&str> = callers
                    .iter()
                    .filter(|caller| caller.has(Scope::Admin))
                    .map(|caller| caller.name().as_str())
                    .collect();
                tracing::info!(admins = ?admins, "admin routes take the keys of these callers");
            }
            Err(error) => {
                tracing::error!(%error, "admin keys refused: the admin routes refuse every call");
            }
        }
        callers
    }
}

/// Why an admin call is not served: no known key (401 with its challenge), or a problem
/// (403 `admin_disabled` or `forbidden`, 404, 503).
#[derive(Debug)]
enum Refusal {
    Unauthorized(Unauthorized),
    Problem(Problem),
}

impl From<Unauthorized> for Refusal {
    fn from(unauthorized: Unauthorized) -> Self {
        Self::Unauthorized(unauthorized)
    }
}

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized(unauthorized) => unauthorized.into_response(),
            Self::Problem(problem) => problem.into_response(),
        }
    }
}

/// The caller of a request, if it may use the admin routes: 403 `admin_disabled` when
/// no admin caller is configured (or the keys do not parse), 401 `unauthorized` without
/// a known key, 403 `forbidden` for a caller without the `admin` scope.
fn authorize(callers: &Result<Callers, KeysError>, headers: &HeaderMap) -> Result<Caller, Refusal> {
    let callers = match callers {
        Ok(callers) if callers.iter().any(|caller| caller.has(Scope::Admin)) => callers,
        Ok(_) => {
            return Err(disabled(
                "admin routes are disabled: neither ADMIN_API_KEY nor an admin-scoped key of API_KEYS is set",
            ));
        }
        Err(_) => {
            return Err(disabled(
                "admin routes are disabled: ADMIN_API_KEY or API_KEYS does not parse (see the service's log)",
            ));
        }
    };
    let presented = headers.get(API_KEY_HEADER).ok_or(Unauthorized::NoKey)?;
    let caller = presented
        .to_str()
        .ok()
        .and_then(|key| callers.identify(key))
        .ok_or(Unauthorized::UnknownKey)?;
    caller.require(Scope::Admin)?;
    tracing::Span::current().record("caller", caller.name().as_str());
    Ok(caller.clone())
}

fn disabled(detail: &str) -> Refusal {
    Problem::new(StatusCode::FORBIDDEN, "admin_disabled", "Forbidden")
        .with_detail(detail)
        .into()
}

async fn list_dead_letters(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
) -> Result<Json<Value>, Refusal> {
    authorize(&admin.callers, &headers)?;
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
) -> Result<StatusCode, Refusal> {
    let caller = authorize(&admin.callers, &headers)?;
    let replayed = dead_letters::replay(&admin.amqp_url, &admin.queue, &id, PAGE)
        .await
        .map_err(broker_unavailable)?;
    if replayed {
        tracing::info!(message_id = %id, caller = %caller.name(), "dead letter replayed");
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Problem::not_found("dead_letter_not_found", format!("no dead letter {id}")).into())
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const OPS_KEY: &str = "ops-0123456789abcdef";
    const ADMIN_KEY: &str = "admin-0123456789abcdef";
    const ROOT_KEY: &str = "root-0123456789abcdef";

    fn admin(api_keys: Option<&str>, admin_api_key: Option<&str>) -> Result<Callers, KeysError> {
        Admin::callers(api_keys, admin_api_key)
    }

    fn with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, HeaderValue::from_str(key).unwrap());
        headers
    }

    async fn refusal(
        admin: &Result<Callers, KeysError>,
        headers: &HeaderMap,
    ) -> (StatusCode, Value) {
        let response = authorize(admin, headers).unwrap_err().into_response();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn no_admin_caller_configured_disables_the_routes_for_everyone() {
        let keys = format!("ops:{OPS_KEY}:stock");
        for admin in [admin(None, None), admin(Some(&keys), None)] {
            let (status, body) = refusal(&admin, &with_key(OPS_KEY)).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("admin_disabled"))
            );
        }
    }

    #[tokio::test]
    async fn keys_that_do_not_parse_close_the_routes() {
        let admin = admin(None, Some("short"));
        assert!(admin.is_err());
        let (status, body) = refusal(&admin, &with_key("short")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("admin_disabled"))
        );
    }

    #[tokio::test]
    async fn a_missing_or_unknown_key_is_unauthorized() {
        let admin = admin(None, Some(ADMIN_KEY));
        for headers in [HeaderMap::new(), with_key("admin-0123456789abcdeX")] {
            let (status, body) = refusal(&admin, &headers).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthorized"))
            );
        }
    }

    #[tokio::test]
    async fn a_caller_without_the_admin_scope_is_forbidden() {
        let admin = admin(
            Some(&format!("ops:{OPS_KEY}:stock+reserve")),
            Some(ADMIN_KEY),
        );
        let (status, body) = refusal(&admin, &with_key(OPS_KEY)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
    }

    #[test]
    fn the_admin_key_or_an_admin_scoped_key_gets_in() {
        let admin = admin(
            Some(&format!("root:{ROOT_KEY}:admin+stock")),
            Some(ADMIN_KEY),
        );
        assert_eq!(
            authorize(&admin, &with_key(ADMIN_KEY))
                .unwrap()
                .name()
                .as_str(),
            "admin"
        );
        assert_eq!(
            authorize(&admin, &with_key(ROOT_KEY))
                .unwrap()
                .name()
                .as_str(),
            "root"
        );
    }
}
