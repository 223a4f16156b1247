//! The closed loop's stock reads, over hyper's HTTP/1.1 client connection: one
//! keep-alive connection per worker, which is what a closed loop models (N clients, each
//! waiting for its answer before asking again).
//!
//! At tens of thousands of reads a second the generator shares the machine's cores with
//! the service it loads, so what it spends per request is taken from the service. Side
//! by side on the same reads, reqwest's shared pool (a pool lookup, URL parsing and its
//! request layers per call) cost one and a half to two times the generator CPU per read
//! of a bare connection; reqwest keeps every other run, where the rates are lower and
//! the request bodies are JSON. A transport error drops the connection; the next read
//! opens a fresh one, as reqwest's pool would.

use std::sync::Arc;

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Empty};
use hyper::{
    Request,
    body::Bytes,
    client::conn::http1::{self, SendRequest},
    header::HOST,
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{REQUEST_TIMEOUT, figures::Outcome};

/// Where the reads go: the socket address, the `Host` header and the base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    address: String,
    authority: String,
    base_path: String,
}

impl Target {
    /// From a base URL such as `http://127.0.0.1:3001`; plain HTTP only.
    pub fn parse(base_url: &str) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(base_url).with_context(|| format!("parsing {base_url}"))?;
        if url.scheme() != "http" {
            bail!(
                "the closed-loop reads speak plain HTTP, not {}",
                url.scheme()
            );
        }
        let host = url
            .host_str()
            .with_context(|| format!("{base_url} names no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Self {
            address: format!("{host}:{port}"),
            authority,
            base_path: url.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// One worker's connection, opened on first use and again after a transport error.
#[derive(Debug)]
pub struct Reader {
    target: Arc<Target>,
    connection: Option<SendRequest<Empty<Bytes>>>,
}

impl Reader {
    pub fn new(target: Arc<Target>) -> Self {
        Self {
            target,
            connection: None,
        }
    }

    /// Opens the connection now, so the first read does not pay for it; a failure is
    /// left for that read to meet.
    pub async fn connect(&mut self) {
        if self.connection.is_none() {
            self.connection = open(&self.target).await.ok();
        }
    }

    /// `GET {base}{path}`, its whole body read; no answer within the request timeout is
    /// a transport error, and the connection is dropped.
    pub async fn get(&mut self, path: &str) -> Outcome {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.try_get(path)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) | Err(_) => {
                self.connection = None;
                Outcome::Transport
            }
        }
    }

    async fn try_get(&mut self, path: &str) -> anyhow::Result<Outcome> {
        let mut connection = match self.connection.take() {
            Some(open) if !open.is_closed() => open,
            _ => open(&self.target).await?,
        };
        connection.ready().await?;
        let request = Request::get(format!("{}{path}", self.target.base_path))
            .header(HOST, &self.target.authority)
            .body(Empty::new())?;
        let response = connection.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        self.connection = Some(connection);
        Ok(if status.is_success() {
            Outcome::Success
        } else {
            Outcome::Status(status.as_u16())
        })
    }
}

/// A fresh keep-alive connection; its driver runs on a task of its own.
async fn open(target: &Target) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(&target.address)
        .await
        .with_context(|| format!("connecting to {}", target.address))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // It ends when the sender is dropped or the server closes; either way the next
        // read opens another.
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gives_the_address_the_host_header_and_the_path() {
        let local = Target::parse("http://127.0.0.1:3001").unwrap();
        assert_eq!(
            local,
            Target {
                address: "127.0.0.1:3001".into(),
                authority: "127.0.0.1:3001".into(),
                base_path: String::new(),
            }
        );
        let named = Target::parse("http://inventory/api/").unwrap();
        assert_eq!(
            (named.address.as_str(), named.authority.as_str()),
            ("inventory:80", "inventory")
        );
        assert_eq!(named.base_path, "/api");
        assert_eq!(
            Target::parse("http://[::1]:8080").unwrap().address,
            "[::1]:8080"
        );
        assert!(Target::parse("https://inventory").is_err());
        assert!(Target::parse("not a url").is_err());
    }
}
