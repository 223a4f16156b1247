//! Wires inventory-service from its settings onto the shared runtime: the store and the
//! use cases, the HTTP routes, and the workers (outbox relay, consumer of order events,
//! retention, expiry sweeper, database sampler).

use std::sync::Arc;

use anyhow::Context;
use contracts::events::subscriptions::INVENTORY_SERVICE_ORDER_EVENTS;
use messaging::OutboxWake;
use service::Service;

use crate::adapters::{
    amqp::{self, OrderEventsHandler},
    http::{self, AppState},
    inventory_metrics,
    postgres::{self, PgInventoryStore, StoreSampler},
};
use crate::application::Inventory;
use crate::config::Settings;
use crate::expiry_sweeper;

/// Builds inventory-service and binds its port; [`Service::run_until_stopped`] serves.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    let Settings {
        http: http_settings,
        backbone,
        ..
    } = &settings;
    let pool = backbone.connect(&postgres::migrator()).await?;
    inventory_metrics::describe();
    let ttl = chrono::Duration::from_std(settings.reservation_ttl).context("ttl")?;
    // The store wakes the relay right after each commit that wrote events.
    let wake = OutboxWake::default();
    let store = PgInventoryStore::new(pool.clone()).waking(wake.clone());
    let inventory = Arc::new(Inventory::new(store, ttl));
    let mut messaging = backbone.messaging(
        &pool,
        wake,
        &amqp::OWNED_EXCHANGES,
        backbone.queue(&INVENTORY_SERVICE_ORDER_EVENTS),
        Arc::new(OrderEventsHandler {
            inventory: inventory.clone(),
        }),
    );
    messaging.retention = messaging
        .retention
        .also("order_states", postgres::retention::prune_order_states);
    let state = AppState {
        inventory: inventory.clone(),
        broker: messaging.broker.clone(),
        admin: messaging.admin.clone(),
    };
    let router = service::http::shell(
        http::routes(state.admin.clone()),
        state,
        http_settings.body_limit_bytes,
        None,
        &backbone.load_limits,
    );
    let sampler = StoreSampler {
        pool,
        interval: StoreSampler::DEFAULT_INTERVAL,
    };
    let (interval, batch) = (settings.expiry_sweep_interval, settings.expiry_sweep_batch);
    messaging
        .workers(Service::builder("inventory-service", router))
        .worker("expiry sweeper", move |stop| {
            expiry_sweeper::run(inventory, interval, batch, stop)
        })
        .worker("store sampler", move |stop| sampler.run(stop))
        .bind(http_settings.address())
        .await
}
