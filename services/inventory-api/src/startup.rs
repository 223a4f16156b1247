//! Builds the application from its [`Settings`]: who may call it, the inventory-service
//! client, the router with its layers, and the bound listener; then serves until told to
//! stop, letting in-flight requests finish.

use std::{future::Future, net::SocketAddr};

use access::{Access, LoadLimits};
use anyhow::Context;
use axum::{Router, extract::DefaultBodyLimit, routing::get};
use tokio::net::TcpListener;

use crate::{config::Settings, routes, upstream::InventoryService};

/// `MAX_CONCURRENT_REQUESTS` default: a two-core box serves about 1,500 reservations/s or
/// 5,000 reads/s through this facade, so 64 in flight finish within about 40 ms; past
/// that a request is refused at once rather than queued (measured with `just bench`'s
/// open-loop runs at twice the sustainable rate).
const MAX_CONCURRENT_REQUESTS: usize = 64;

/// A bound, not yet serving, inventory-api.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
}

impl Application {
    /// Binds `settings.bind_addr:settings.port` (port 0 picks a free one) and wires the
    /// routes to inventory-service. Does not serve yet.
    ///
    /// Fails, saying why, when the access settings are invalid or there are no
    /// `API_KEYS` and the address is not loopback: such a facade would serve anyone.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let access = settings.access.access(settings.bind_addr)?;
        // First, so an operator sees at once whether keys are needed and who holds one.
        tracing::info!("{}", access.start_line());
        let limits = settings.access.load_limits_or(LoadLimits::new(
            MAX_CONCURRENT_REQUESTS,
            access::DEFAULT_REQUEST_TIMEOUT,
        )?)?;
        let inventory = InventoryService::new(
            &settings.inventory_service_url,
            settings.upstream_timeout,
            settings.upstream_connect_timeout,
        )?;
        let listener = TcpListener::bind((settings.bind_addr, settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.bind_addr, settings.port))?;
        let address = listener.local_addr().context("reading the bound address")?;
        Ok(Self {
            listener,
            address,
            router: router(inventory, settings.body_limit_bytes, &access, limits),
        })
    }

    /// The port actually bound (useful when the settings asked for port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Serves until Ctrl-C or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(telemetry::shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        telemetry::metrics::spawn_runtime_sampler();
        tracing::info!(address = %self.address, "inventory-api listening");
        // With the client's address: keyless callers are rate-limited by it.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")
    }
}

/// The whole HTTP surface: routes, problem fallback, body limit, callers and their rate,
/// load shedding, request metrics and tracing, and `/metrics`.
pub fn router(
    inventory: InventoryService,
    body_limit_bytes: usize,
    access: &Access,
    limits: LoadLimits,
) -> Router {
    problem::with_fallbacks(routes::table())
        // Read by the JSON extractor, whose rejection is a 413 `payload_too_large` problem.
        .layer(DefaultBodyLimit::max(body_limit_bytes))
        // Inside the trace layer, so the caller is named on the request's span.
        .layer(access.layer())
        // Outside the access layer: a shed request costs no key digest.
        .layer(limits.layer())
        // Outside both, so 401, 429, 503 and 504 answers are counted and traced too.
        .layer(telemetry::metrics::http_metrics_layer())
        .layer(telemetry::http_trace_layer())
        // After the layers, which wrap only the routes added before them: a scrape is
        // neither traced nor counted.
        .route("/metrics", get(telemetry::metrics::route))
        .with_state(inventory)
}
