//! One peer over HTTP, as both adapters reach theirs: every call has its timeout, carries
//! the trace context and, when one is configured, order-api's own key for that peer; an
//! answer is kept as it came (status, bytes) for the adapter to read.

use std::time::Duration;

use anyhow::Context;
use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, StatusCode},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::ports::PeerProblem;

/// An answer from a peer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as a problem, if it is one.
    pub fn problem(&self) -> Option<PeerProblem> {
        PeerProblem::read(self.status, &self.body)
    }

    /// The peer refused order-api's own key (missing, wrong or without the scope): a
    /// fault of this deployment, never of the client, so never passed on as it is.
    pub fn refuses_our_key(&self) -> bool {
        matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        )
    }
}

/// No answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no answer within the timeout")]
    Timeout,
    #[error("unreachable: {0}")]
    Unreachable(String),
}

#[derive(Debug, Clone)]
pub struct Peer {
    client: reqwest::Client,
    base: String,
}

impl Peer {
    /// `api_key`, when given, goes as `x-api-key` on every call to this peer.
    pub fn new(
        base: &str,
        timeout: Duration,
        connect_timeout: Duration,
        api_key: Option<HeaderValue>,
    ) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        if let Some(key) = api_key {
            headers.insert(access::API_KEY_HEADER, key);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .build()
            .context("HTTP client")?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Answer, CallError> {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: Option<&B>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, CallError> {
        let mut request = self.client.post(format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, CallError> {
        let mut trace = reqwest::header::HeaderMap::new();
        telemetry::inject_http_headers(&mut trace);
        let answer = async {
            let response = request.headers(trace).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>(Answer { status, body })
        }
        .await;
        answer.map_err(|e| {
            if e.is_timeout() && !e.is_connect() {
                CallError::Timeout
            } else {
                CallError::Unreachable(e.to_string())
            }
        })
    }
}
