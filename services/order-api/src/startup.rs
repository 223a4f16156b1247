//! Builds order-api: who may call it, the two peers (each with order-api's own key for
//! it), the inventory breaker, the router; serves until a shutdown signal, then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use access::LoadLimits;
use anyhow::Context;
use axum::{Router, extract::DefaultBodyLimit};
use tokio::net::TcpListener;

use crate::breaker::inventory_breaker;
use crate::checkout::Checkout;
use crate::config::Settings;
use crate::routes;
use crate::upstream::Peer;

#[derive(Debug, Clone)]
pub struct AppState {
    pub checkout: Arc<Checkout>,
}

/// `MAX_CONCURRENT_REQUESTS` default: a checkout makes four calls and four durable
/// commits; a two-core box that also runs everything else finishes about 200/s, so 16 in
/// flight finish within about 80 ms. Past that a checkout is refused at once (503,
/// `Retry-After`) rather than queued behind seconds of others. Raise it with the cores.
const MAX_CONCURRENT_REQUESTS: usize = 16;

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
}

impl Application {
    /// Binds and wires order-api; does not serve yet. Fails, saying why, when the access
    /// settings are invalid or there are no `API_KEYS` and the address is not loopback:
    /// such a facade would serve anyone.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let access = settings.access.access(settings.bind_addr)?;
        // First, so an operator sees at once whether keys are needed and who holds one.
        tracing::info!("{}", access.start_line());
        let limits = settings.access.load_limits_or(LoadLimits::new(
            MAX_CONCURRENT_REQUESTS,
            access::DEFAULT_REQUEST_TIMEOUT,
        )?)?;
        let checkout = Checkout {
            orders: Peer::new(
                &settings.order_service_url,
                settings.order_service_timeout,
                settings.connect_timeout,
                settings.order_service_api_key.clone(),
            )?,
            inventory: Peer::new(
                &settings.inventory_api_url,
                settings.inventory_timeout,
                settings.connect_timeout,
                settings.inventory_api_key.clone(),
            )?,
            breaker: inventory_breaker(settings.breaker_failures, settings.breaker_open),
        };
        let state = AppState {
            checkout: Arc::new(checkout),
        };
        let router = problem::with_fallbacks(routes::table())
            .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
            // Inside the trace layer, so the caller is named on the request's span.
            .layer(access.layer())
            // Outside the access layer: a shed request costs no key digest.
            .layer(limits.layer())
            // Outside both, so 401, 429, 503 and 504 answers are counted and traced too.
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
        // With the client's address: keyless callers are rate-limited by it.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serve")
    }
}
