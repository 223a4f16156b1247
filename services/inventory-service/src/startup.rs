//! Builds the application from its settings: pool and migrations, use cases, router,
//! listener, the expiry sweeper, the retention worker and the metrics samplers; runs
//! them until a shutdown signal, then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use messaging::{
    BrokerHealth, Consumer, ConsumerQueue, Names, OutboxRelay, OutboxWake, admin::Admin,
};

use crate::adapters::{
    amqp::{self, OrderEventsHandler},
    http::{self, AppState},
    inventory_metrics,
    postgres::{self, PgInventoryStore, StoreSampler},
};
use crate::application::Inventory;
use crate::config::Settings;
use crate::expiry_sweeper::ExpirySweeper;
use crate::retention::Retention;

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    sweeper: ExpirySweeper,
    retention: Retention,
    relay: OutboxRelay,
    consumer: Consumer<OrderEventsHandler>,
    store_sampler: StoreSampler,
    port: u16,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool =
            postgres::connect(&settings.database_url, settings.database_max_connections).await?;
        inventory_metrics::describe();
        let ttl = chrono::Duration::from_std(settings.reservation_ttl).context("ttl")?;
        // The store wakes the relay right after each commit that wrote events.
        let wake = OutboxWake::default();
        let store = PgInventoryStore::new(pool.clone()).waking(wake.clone());
        let inventory = Arc::new(Inventory::new(store, ttl));
        let names = Names::new(settings.amqp_name_prefix.clone());
        let queue: ConsumerQueue = amqp::order_events_queue(
            &names,
            settings.retry_delays.clone(),
            settings.amqp_queue_expires,
        );
        let broker = BrokerHealth::default();
        let router = http::router(
            AppState {
                inventory: inventory.clone(),
                broker: broker.clone(),
                admin: Arc::new(Admin {
                    callers: Admin::callers_from_env(settings.admin_api_key.as_deref()),
                    amqp_url: settings.amqp_url.clone(),
                    queue: queue.clone(),
                }),
            },
            settings.body_limit_bytes,
            settings.load_limits,
        );
        let store_sampler = StoreSampler {
            pool: pool.clone(),
            interval: StoreSampler::DEFAULT_INTERVAL,
        };
        let retention = Retention {
            pool: pool.clone(),
            keep: settings.retention,
            interval: settings.prune_interval,
            batch: Retention::DEFAULT_BATCH,
        };
        let relay = OutboxRelay {
            pool,
            amqp_url: settings.amqp_url.clone(),
            names,
            batch: settings.outbox_batch,
            poll_interval: settings.outbox_poll_interval,
            wake,
            exchanges: amqp::OWNED_EXCHANGES.to_vec(),
            health: broker,
        };
        let consumer = Consumer {
            amqp_url: settings.amqp_url.clone(),
            queue,
            prefetch: settings.consumer_prefetch,
            handler: Arc::new(OrderEventsHandler {
                inventory: inventory.clone(),
            }),
        };
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
            retention,
            relay,
            consumer,
            store_sampler,
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

    /// Serves until `shutdown` resolves; in-flight requests, the current sweep and the
    /// events being handled finish first; a relay batch in flight is abandoned, its rows
    /// kept for the next start.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        telemetry::metrics::spawn_runtime_sampler();
        let store_sampler = tokio::spawn(self.store_sampler.run(stop.clone()));
        let sweeper = tokio::spawn(self.sweeper.run(stop.clone()));
        let retention = tokio::spawn(self.retention.run(stop.clone()));
        let relay = tokio::spawn(self.relay.run(stop.clone()));
        let consumer = tokio::spawn(self.consumer.run(stop.clone()));
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
        retention.await.context("retention task")?;
        relay.await.context("relay task")?;
        consumer.await.context("consumer task")?;
        store_sampler.await.context("store sampler task")?;
        Ok(())
    }
}
