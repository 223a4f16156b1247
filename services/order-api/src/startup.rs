//! Builds order-api: the two peers, the inventory breaker, the router; serves until a
//! shutdown signal, then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::{Router, extract::DefaultBodyLimit, http::HeaderMap, http::StatusCode};
use problem::Problem;
use tokio::net::TcpListener;

use crate::breaker::inventory_breaker;
use crate::checkout::Checkout;
use crate::config::Settings;
use crate::routes;
use crate::upstream::Peer;

#[derive(Debug, Clone)]
pub struct AppState {
    pub checkout: Arc<Checkout>,
    pub api_key: Option<Arc<str>>,
}

impl AppState {
    /// Mutating routes need `x-api-key` when a key is configured.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), Problem> {
        let Some(expected) = &self.api_key else {
            return Ok(());
        };
        if headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(expected) {
            Ok(())
        } else {
            Err(
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized")
                    .with_detail("a valid x-api-key header is required"),
            )
        }
    }
}

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let checkout = Checkout {
            orders: Peer::new(
                &settings.order_service_url,
                settings.order_service_timeout,
                settings.connect_timeout,
            )?,
            inventory: Peer::new(
                &settings.inventory_api_url,
                settings.inventory_timeout,
                settings.connect_timeout,
            )?,
            breaker: inventory_breaker(settings.breaker_failures, settings.breaker_open),
        };
        let state = AppState {
            checkout: Arc::new(checkout),
            api_key: settings.api_key.as_deref().map(Arc::from),
        };
        let router = problem::with_fallbacks(routes::table())
            .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
            .layer(telemetry::metrics::http_metrics_layer())
            .layer(telemetry::http_trace_layer())
            // After the layers: a scrape is neither traced nor counted.
            .route("/metrics", axum::routing::get(telemetry::metrics::route))
            .with_state(state);
        let addr = SocketAddr::new(settings.bind_addr, settings.port);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("bind {addr}"))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            router,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(telemetry::shutdown_signal()).await
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        telemetry::metrics::spawn_runtime_sampler();
        tracing::info!(port = self.port, "order-api listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serve")
    }
}
