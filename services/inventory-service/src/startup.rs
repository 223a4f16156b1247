//! Wires inventory-service from its settings onto the shared runtime: the store and the
//! use cases, the HTTP routes, and the workers (outbox relay, consumer of order events,
//! retention, expiry sweeper, database sampler).

use std::sync::Arc;

use anyhow::Context;
use contracts::events::subscriptions::INVENTORY_SERVICE_ORDER_EVENTS;
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
    let db = backbone.connect(&postgres::migrator()).await?;
    inventory_metrics::describe();
    let ttl = chrono::Duration::from_std(settings.reservation_ttl).context("ttl")?;
    let inventory = Arc::new(Inventory::new(PgInventoryStore::new(db.clone()), ttl));
    let mut messaging = backbone.messaging(
        &db,
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
    let sampler = StoreSampler {
        pool: db.pool().clone(),
        interval: StoreSampler::DEFAULT_INTERVAL,
    };
    let (interval, batch) = (settings.expiry_sweep_interval, settings.expiry_sweep_batch);
    messaging
        .service(
            "inventory-service",
            http_settings,
            backbone,
            http::routes(state.admin.clone(), backbone.backpressure(&db)),
            state,
        )
        .worker("expiry sweeper", move |stop| {
            expiry_sweeper::run(inventory, interval, batch, stop)
        })
        .worker("store sampler", move |stop| sampler.run(stop))
        .bind(http_settings.address())
        .await
}
