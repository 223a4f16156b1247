//! Builds order-service from its settings (pool, use cases, router, relay, consumer,
//! saga timers, retention) and runs it until a shutdown signal, then drains.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::Router;
use messaging::{BrokerHealth, Consumer, Names, OutboxRelay, OutboxWake, admin::Admin};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::adapters::{
    amqp::{self, InventoryEventsHandler},
    http::{self, AppState},
    postgres::{self, PgOrderStore},
    saga_metrics::OrderSampler,
};
use crate::application::Orders;
use crate::config::Settings;
use crate::retention::Retention;
use crate::saga_timers::SagaTimers;

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    relay: OutboxRelay,
    consumer: Consumer<InventoryEventsHandler>,
    timers: SagaTimers,
    retention: Retention,
    sampler: OrderSampler,
    port: u16,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool =
            postgres::connect(&settings.database_url, settings.database_max_connections).await?;
        // The store wakes the relay right after each commit that wrote events.
        let wake = OutboxWake::default();
        let orders = Arc::new(Orders::new(
            PgOrderStore::new(pool.clone()).waking(wake.clone()),
            chrono::Duration::from_std(settings.handover_grace).context("grace")?,
            chrono::Duration::from_std(settings.saga_timeout).context("timeout")?,
        ));
        let names = Names::new(settings.amqp_name_prefix.clone());
        let queue = amqp::inventory_events_queue(
            &names,
            settings.retry_delays.clone(),
            settings.amqp_queue_expires,
        );
        let broker = BrokerHealth::default();
        let router = http::router(
            AppState {
                orders: orders.clone(),
                broker: broker.clone(),
                admin: Arc::new(Admin {
                    callers: Admin::callers_from_env(settings.admin_api_key.as_deref()),
                    amqp_url: settings.amqp_url.clone(),
                    queue: queue.clone(),
                }),
                api_key: settings.api_key.clone(),
            },
            settings.body_limit_bytes,
            settings.load_limits,
        );
        let addr = SocketAddr::new(settings.bind_addr, settings.port);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("bind {addr}"))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            router,
            retention: Retention {
                pool: pool.clone(),
                keep: settings.retention,
                interval: settings.prune_interval,
                batch: Retention::DEFAULT_BATCH,
            },
            sampler: OrderSampler {
                pool: pool.clone(),
                interval: std::time::Duration::from_secs(5),
            },
            relay: OutboxRelay {
                pool,
                amqp_url: settings.amqp_url.clone(),
                names,
                batch: settings.outbox_batch,
                poll_interval: settings.outbox_poll_interval,
                wake,
                exchanges: amqp::OWNED_EXCHANGES.to_vec(),
                health: broker,
            },
            consumer: Consumer {
                amqp_url: settings.amqp_url.clone(),
                queue,
                prefetch: settings.consumer_prefetch,
                handler: Arc::new(InventoryEventsHandler {
                    orders: orders.clone(),
                }),
            },
            timers: SagaTimers {
                orders,
                interval: settings.timer_interval,
                batch: settings.timer_batch,
            },
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(telemetry::shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves; in-flight requests, the events being handled and
    /// the timers' round finish first; a relay batch in flight is abandoned, its rows
    /// kept for the next start.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let relay = tokio::spawn(self.relay.run(stop.clone()));
        let consumer = tokio::spawn(self.consumer.run(stop.clone()));
        let timers = tokio::spawn(self.timers.run(stop.clone()));
        let retention = tokio::spawn(self.retention.run(stop.clone()));
        let sampler = tokio::spawn(self.sampler.run(stop.clone()));
        telemetry::metrics::spawn_runtime_sampler();
        tracing::info!(port = self.port, "order-service listening");
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
        relay.await.context("relay task")?;
        consumer.await.context("consumer task")?;
        timers.await.context("timers task")?;
        retention.await.context("retention task")?;
        sampler.await.context("sampler task")?;
        Ok(())
    }
}
