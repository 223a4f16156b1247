//! Wires order-service from its settings onto the shared runtime: the store and the use
//! cases, the HTTP routes, and the workers (outbox relay, consumer of inventory events,
//! retention, saga timers, order sampler).

use std::sync::Arc;

use anyhow::Context;
use contracts::events::subscriptions::ORDER_SERVICE_INVENTORY_EVENTS;
use messaging::OutboxWake;
use service::Service;

use crate::adapters::{
    amqp::{self, InventoryEventsHandler},
    http::{self, AppState},
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
    let pool = backbone.connect(&postgres::migrator()).await?;
    // The store wakes the relay right after each commit that wrote events.
    let wake = OutboxWake::default();
    let orders = Arc::new(Orders::new(
        PgOrderStore::new(pool.clone()).waking(wake.clone()),
        chrono::Duration::from_std(settings.handover_grace).context("grace")?,
        chrono::Duration::from_std(settings.saga_timeout).context("timeout")?,
    ));
    let messaging = backbone.messaging(
        &pool,
        wake,
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
    };
    let router = service::http::shell(
        http::routes(&state),
        state,
        http_settings.body_limit_bytes,
        None,
        &backbone.load_limits,
    );
    let sampler = OrderSampler {
        pool,
        interval: OrderSampler::DEFAULT_INTERVAL,
    };
    let (interval, batch) = (settings.timer_interval, settings.timer_batch);
    messaging
        .workers(Service::builder("order-service", router))
        .worker("saga timers", move |stop| {
            saga_timers::run(orders, interval, batch, stop)
        })
        .worker("order sampler", move |stop| sampler.run(stop))
        .bind(http_settings.address())
        .await
}
