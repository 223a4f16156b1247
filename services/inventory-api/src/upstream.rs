//! The HTTP client to inventory-service: one shared connection pool with timeouts, and
//! one [`InventoryService::forward`] used by every route.
//!
//! inventory-service serves the same routes and bodies as this facade, so `forward`
//! never interprets the answer: status, body and content-type go back to the client as
//! they came (a 409 `insufficient_stock` upstream is the client's 409). Only transport
//! failures become problems of this facade, and their causes go to the log, never to the
//! client.

use std::time::Duration;

use anyhow::Context;
use axum::{
    body::Body,
    http::{HeaderValue, Method, StatusCode, header},
    response::Response,
};
use contracts::Actor;
use contracts::actor::{CALLER_HEADER, SAGA_HEADER};
use problem::Problem;
use reqwest::Url;
use serde::{Serialize, de::DeserializeOwned};

/// A cheap-to-clone handle on inventory-service (the pool is shared between clones).
#[derive(Debug, Clone)]
pub struct InventoryService {
    client: reqwest::Client,
    /// Base URL without a trailing slash, so that `base + "/inventory"` keeps any path
    /// prefix the operator configured.
    base: String,
}

/// Why a call to inventory-service produced no answer.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Refused, unreachable, or the connection broke: nothing to pass through.
    #[error("inventory-service is unreachable")]
    Unavailable(#[source] reqwest::Error),
    /// Connected, but no complete answer within the upstream timeout.
    #[error("inventory-service did not answer in time")]
    Timeout(#[source] reqwest::Error),
    /// The request could not be built: a fault of this facade.
    #[error("the request to inventory-service could not be built")]
    Internal(#[source] reqwest::Error),
}

/// Why a read of inventory-service's own (the view's snapshot, its locations) gave no
/// value.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// inventory-service answered, but not with a success.
    #[error("inventory-service answered {0}")]
    Status(StatusCode),
    /// The body is not the JSON expected.
    #[error("inventory-service's answer does not parse")]
    Body(#[source] serde_json::Error),
}

impl UpstreamError {
    fn classify(err: reqwest::Error) -> Self {
        // A connect timeout is both `is_connect` and `is_timeout`: the service could not
        // be reached at all, which a client should read as "unavailable", not as "slow".
        if err.is_connect() {
            Self::Unavailable(err)
        } else if err.is_timeout() {
            Self::Timeout(err)
        } else if err.is_builder() {
            Self::Internal(err)
        } else {
            Self::Unavailable(err)
        }
    }
}

impl From<UpstreamError> for Problem {
    fn from(err: UpstreamError) -> Self {
        match err {
            UpstreamError::Unavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "inventory_unavailable",
                "Inventory unavailable",
            )
            .with_detail("the inventory service cannot be reached; retry later"),
            UpstreamError::Timeout(_) => Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                "Upstream timeout",
            )
            .with_detail("the inventory service did not answer in time; the outcome is unknown"),
            UpstreamError::Internal(_) => Problem::internal(),
        }
    }
}

impl InventoryService {
    /// Builds the pool. `timeout` bounds a whole call (connect, request, full body);
    /// `connect_timeout` bounds establishing a connection.
    pub fn new(
        base_url: &Url,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .build()
            .context("building the inventory-service HTTP client")?;
        Ok(Self {
            client,
            base: base_url.as_str().trim_end_matches('/').to_owned(),
        })
    }

    /// Sends `method path` with `body` (as JSON) and returns inventory-service's answer
    /// as this facade's response: same status, same content-type, same body.
    ///
    /// `path` must be built from validated values only (it is appended to the base URL).
    pub async fn forward<B>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Response, UpstreamError>
    where
        B: Serialize + ?Sized,
    {
        self.send(None, method, path, body).await
    }

    /// `forward`, on behalf of `actor`: inventory-service records its name on the
    /// movements and holds the change makes, and lets it touch only its own holds.
    pub async fn forward_for<B>(
        &self,
        actor: &Actor,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Response, UpstreamError>
    where
        B: Serialize + ?Sized,
    {
        self.send(Some(actor), method, path, body).await
    }

    async fn send<B>(
        &self,
        actor: Option<&Actor>,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Response, UpstreamError>
    where
        B: Serialize + ?Sized,
    {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(actor) = actor {
            request = request
                .header(CALLER_HEADER, actor.name())
                .header(SAGA_HEADER, if actor.is_saga() { "true" } else { "false" });
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        // The call continues the caller's trace in inventory-service.
        let mut trace_headers = reqwest::header::HeaderMap::new();
        telemetry::inject_http_headers(&mut trace_headers);
        request = request.headers(trace_headers);
        let answer = async {
            let upstream = request.send().await?;
            let status = upstream.status();
            let content_type = upstream.headers().get(header::CONTENT_TYPE).cloned();
            let location = upstream.headers().get(header::LOCATION).cloned();
            let bytes = upstream.bytes().await?;
            Ok::<_, reqwest::Error>((status, content_type, location, bytes))
        }
        .await;
        match answer {
            Ok((status, content_type, location, bytes)) => {
                Ok(passed_through(status, content_type, location, bytes))
            }
            Err(err) => {
                let err = UpstreamError::classify(err);
                if let UpstreamError::Internal(_) = err {
                    tracing::error!(%method, path, error = ?err, "call to inventory-service failed");
                } else {
                    tracing::warn!(%method, path, error = ?err, "call to inventory-service failed");
                }
                Err(err)
            }
        }
    }

    /// `GET path`, read as `T`: for the facade's own use, never passed through.
    pub async fn fetch<T: DeserializeOwned>(&self, path: &str) -> Result<T, FetchError> {
        let mut trace_headers = reqwest::header::HeaderMap::new();
        telemetry::inject_http_headers(&mut trace_headers);
        let answer = self
            .client
            .get(format!("{}{path}", self.base))
            .headers(trace_headers)
            .send()
            .await
            .map_err(UpstreamError::classify)?;
        let status = answer.status();
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        let bytes = answer.bytes().await.map_err(UpstreamError::classify)?;
        serde_json::from_slice(&bytes).map_err(FetchError::Body)
    }

    /// True when inventory-service says it is ready (its `/readyz` answers 200).
    pub async fn is_ready(&self) -> bool {
        match self
            .client
            .get(format!("{}/readyz", self.base))
            .send()
            .await
        {
            Ok(answer) => answer.status() == StatusCode::OK,
            Err(err) => {
                tracing::warn!(error = ?err, "inventory-service readiness probe failed");
                false
            }
        }
    }
}

fn passed_through(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    location: Option<HeaderValue>,
    bytes: axum::body::Bytes,
) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    // The facade serves the same paths, so the service's Location holds here too.
    if let Some(location) = location {
        headers.insert(header::LOCATION, location);
    }
    // The service's 503s (its events behind, too busy) say "retry shortly", as this
    // facade's own do.
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
