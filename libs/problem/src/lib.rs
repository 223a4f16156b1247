//! RFC 9457 problem details (`application/problem+json`) for every HTTP service, and
//! the extractors whose rejections are problems too, so that a client sees one error
//! shape whatever went wrong: `{type, title, status, detail, code, ...}`.
//!
//! Internal errors must be logged by the caller with their cause and rendered with
//! [`Problem::internal`], which never leaks the cause to the client.

pub mod idempotency;

pub mod openapi;

use axum::{
    Json as AxumJson, Router,
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

/// The media type of every error body.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// One problem: an HTTP status and a stable machine-readable `code`.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    code: String,
    title: String,
    detail: Option<String>,
    extensions: Map<String, Value>,
}

impl Problem {
    pub fn new(status: StatusCode, code: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            title: title.into(),
            detail: None,
            extensions: Map::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a member to the body, e.g. `shortages`. Values that fail to serialize are
    /// dropped: an error response must never itself fail.
    pub fn with_extension(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(v) = serde_json::to_value(value) {
            self.extensions.insert(key.to_owned(), v);
        }
        self
    }

    /// 500 with no detail: the cause belongs in the log, not in the response.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        )
    }

    pub fn not_found(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, "Not found").with_detail(detail)
    }

    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict").with_detail(detail)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// The JSON body, as sent.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("urn:inventory-saga:problem:{}", self.code)),
        );
        body.insert("title".into(), Value::String(self.title.clone()));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        if let Some(detail) = &self.detail {
            body.insert("detail".into(), Value::String(detail.clone()));
        }
        body.insert("code".into(), Value::String(self.code.clone()));
        for (k, v) in &self.extensions {
            body.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.status, AxumJson(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        // A 503 is always "retry shortly": say when, so clients back off alike.
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers
                .entry(header::RETRY_AFTER)
                .or_insert(HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<contracts::ValidationError> for Problem {
    fn from(err: contracts::ValidationError) -> Self {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, err.code, "Invalid input")
            .with_detail(err.detail)
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        let (status, code, title) = match &rejection {
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Expected Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(_) => {
                (StatusCode::BAD_REQUEST, "malformed_json", "Malformed JSON")
            }
            JsonRejection::JsonDataError(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "The body does not have the expected fields and types",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Request body too large",
            ),
            other => (other.status(), "invalid_body", "Unreadable request body"),
        };
        Problem::new(status, code, title).with_detail(rejection.body_text())
    }
}

/// `axum::Json` whose rejection is a [`Problem`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let AxumJson(value) = AxumJson::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        AxumJson(self.0).into_response()
    }
}

/// A JSON body that may be left out: an empty (or blank) body reads as `T::default()`,
/// any other is parsed as JSON whatever its `Content-Type`. Rejections are problems: 413
/// `payload_too_large` past the body limit, 400 `malformed_json` for anything unparsable.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                let (code, title) = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ("payload_too_large", "Request body too large")
                } else {
                    ("malformed_json", "Malformed JSON")
                };
                Problem::new(status, code, title).with_detail(rejection.body_text())
            })?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&body).map(Self).map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "malformed_json", "Malformed JSON")
                .with_detail(e.to_string())
        })
    }
}

/// `axum::extract::Query` whose rejection is a 400 [`Problem`] with code `invalid_query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|rejection| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "Invalid query string",
                )
                .with_detail(rejection.body_text())
            })
    }
}

/// The answer of a `/readyz` probe from named checks: 200 `{"status":"ready", <name>:"up"}`
/// when every check passed, else 503 `not_ready` naming what is down (extension `down`).
pub fn readiness(checks: &[(&str, bool)]) -> Result<AxumJson<Value>, Problem> {
    let down: Vec<&str> = checks
        .iter()
        .filter(|(_, up)| !up)
        .map(|(name, _)| *name)
        .collect();
    if down.is_empty() {
        let mut body = Map::new();
        body.insert("status".into(), Value::String("ready".into()));
        for (name, _) in checks {
            body.insert((*name).to_owned(), Value::String("up".into()));
        }
        return Ok(AxumJson(Value::Object(body)));
    }
    Err(
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "Not ready")
            .with_detail(format!("not reachable: {}", down.join(", ")))
            .with_extension("down", down),
    )
}

/// Router fallback: unknown routes answer a problem, not an empty 404.
pub async fn route_not_found() -> Problem {
    Problem::not_found("route_not_found", "no such route")
}

/// A known route with the wrong verb answers a problem too, not an empty 405.
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
    )
    .with_detail("this route does not accept that method")
}

/// Gives a router the problem fallbacks for unknown routes and wrong methods, so every
/// service answers them alike.
pub fn with_fallbacks<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, routing::post};
    use tower::ServiceExt;

    async fn send(body: &'static str, content_type: Option<&str>) -> (StatusCode, Value) {
        let app = Router::new().route(
            "/",
            post(|Json(v): Json<std::collections::HashMap<String, i64>>| async move { Json(v) }),
        );
        let mut req = Request::post("/");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = app
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res.headers().get("content-type").cloned();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        if !status.is_success() {
            assert_eq!(ct.unwrap(), CONTENT_TYPE);
        }
        (status, json)
    }

    #[tokio::test]
    async fn json_rejections_are_problems_with_stable_codes() {
        let (s, b) = send("{", Some("application/json")).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_json"))
        );
        let (s, b) = send(r#"{"a":"x"}"#, Some("application/json")).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
        );
        let (s, b) = send(r#"{"a":1}"#, None).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            )
        );
        let (s, b) = send(r#"{"a":1}"#, Some("application/json")).await;
        assert_eq!((s, b["a"].as_i64()), (StatusCode::OK, Some(1)));
    }

    #[test]
    fn extensions_never_override_the_standard_members() {
        let p = Problem::conflict("insufficient_stock", "short")
            .with_extension("status", 200)
            .with_extension("shortages", vec!["ABC-1234-AB"]);
        let body = p.body();
        assert_eq!(body["status"], 409);
        assert_eq!(body["shortages"][0], "ABC-1234-AB");
        assert_eq!(
            body["type"],
            "urn:inventory-saga:problem:insufficient_stock"
        );
    }
}
