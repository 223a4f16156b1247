//! Wires order-service from its settings onto the shared runtime: the store and the use
//! cases, the HTTP routes, and the workers (outbox relay, consumer of inventory events,
//! retention, saga timers, order sampler).

use std::sync::Arc;

use anyhow::Context;
use contracts::events::subscriptions::ORDER_SERVICE_INVENTORY_EVENTS;
use payment::{Provider, SandboxBook};
use service::Service;

use crate::adapters::{
    amqp::{self, InventoryEventsHandler},
    http::{self, AppState},
    measured_payments::MeasuredProvider,
    postgres::{self, PgOrderStore},
    saga_metrics::OrderSampler,
};
use crate::application::Orders;
use crate::config::Settings;
use crate::saga_timers;

/// Builds order-service and binds its port; [`Service::run_until_stopped`] serves.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    let Settings {
        http: http_settings,
        backbone,
        ..
    } = &settings;
    let db = backbone.connect(&postgres::migrator()).await?;
    let provider = match (&settings.payment, settings.sandbox_book) {
        (Provider::Sandbox(sandbox), SandboxBook::Database) => Provider::Sandbox(
            sandbox
                .clone()
                .kept_in(db.pool().clone())
                .await
                .context("the sandbox's book")?,
        ),
        (provider, _) => provider.clone(),
    };
    tracing::info!(provider = provider.name(), "payments");
    let orders = Arc::new(
        Orders::new(
            PgOrderStore::new(db.clone()),
            MeasuredProvider::new(provider),
            chrono::Duration::from_std(settings.handover_grace).context("grace")?,
            chrono::Duration::from_std(settings.saga_timeout).context("timeout")?,
        )
        .with_release_retry(
            chrono::Duration::from_std(settings.release_retry).context("release retry")?,
        ),
    );
    let messaging = backbone.messaging(
        &db,
        &amqp::OWNED_EXCHANGES,
        backbone.queue(&ORDER_SERVICE_INVENTORY_EVENTS),
        Arc::new(InventoryEventsHandler {
            orders: orders.clone(),
        }),
    );
    let state = AppState {
        orders: orders.clone(),
        broker: messaging.broker.clone(),
        admin: messaging.admin.clone(),
        api_key: settings.api_key.clone(),
        backpressure: backbone.backpressure(&db),
    };
    let sampler = OrderSampler {
        pool: db.pool().clone(),
        interval: OrderSampler::DEFAULT_INTERVAL,
    };
    let (interval, batch) = (settings.timer_interval, settings.timer_batch);
    messaging
        .service(
            "order-service",
            http_settings,
            backbone,
            http::routes(&state),
            state,
        )
        .worker("saga timers", move |stop| {
            saga_timers::run(orders, interval, batch, stop)
        })
        .worker("order sampler", move |stop| sampler.run(stop))
        .bind(http_settings.address())
        .await
}
