//! Builds the application from its settings: pool and migrations, use cases, router,
//! listener and the expiry sweeper; runs them until a shutdown signal, then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::adapters::{
    http::{self, AppState},
    postgres::{self, PgInventoryStore},
};
use crate::application::Inventory;
use crate::config::Settings;
use crate::expiry_sweeper::ExpirySweeper;

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    sweeper: ExpirySweeper,
    port: u16,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool =
            postgres::connect(&settings.database_url, settings.database_max_connections).await?;
        let ttl = chrono::Duration::from_std(settings.reservation_ttl).context("ttl")?;
        let inventory = Arc::new(Inventory::new(PgInventoryStore::new(pool), ttl));
        let router = http::router(
            AppState {
                inventory: inventory.clone(),
            },
            settings.body_limit_bytes,
        );
        let addr = SocketAddr::new(settings.bind_addr, settings.port);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("bind {addr}"))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            router,
            sweeper: ExpirySweeper {
                inventory,
                interval: settings.expiry_sweep_interval,
                batch: settings.expiry_sweep_batch,
            },
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(telemetry::shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves; in-flight requests and the current sweep finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let sweeper = tokio::spawn(self.sweeper.run(stop.clone()));
        tracing::info!(port = self.port, "inventory-service listening");
        let stop_server = stop.clone();
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    () = shutdown => {},
                    () = stop_server.cancelled() => {},
                }
            })
            .await
            .context("serve")?;
        stop.cancel();
        sweeper.await.context("sweeper task")?;
        Ok(())
    }
}
