//! Builds order-api on the shared runtime: who may call it, the two peers (each with
//! order-api's own key for it), the inventory breaker, the routes in the service shell.

use std::sync::Arc;

use crate::adapters::{InventoryApi, OrderService, Peer};
use crate::breaker::inventory_breaker;
use crate::checkout::Checkout;
use crate::config::Settings;
use crate::routes;

#[derive(Debug, Clone)]
pub struct AppState {
    pub orders: OrderService,
    pub checkout: Arc<Checkout<OrderService, InventoryApi>>,
}

/// `MAX_CONCURRENT_REQUESTS` default: a checkout makes four calls and four durable
/// commits; a two-core box that also runs everything else finishes about 200/s, so 16 in
/// flight finish within about 80 ms. Past that a checkout is refused at once (503,
/// `Retry-After`) rather than queued behind seconds of others. Raise it with the cores.
const MAX_CONCURRENT_REQUESTS: usize = 16;

/// Binds and wires order-api; does not serve yet ([`service::Service::run_until_stopped`]
/// does). Fails, saying why, when the access settings are invalid or there are no
/// `API_KEYS` and the address is not loopback: such a facade would serve anyone.
pub async fn build(settings: Settings) -> anyhow::Result<service::Service> {
    let (access, limits) = service::http::facade_admission(
        &settings.access,
        settings.http.bind_addr,
        MAX_CONCURRENT_REQUESTS,
    )?;
    let orders = OrderService::new(Peer::new(
        &settings.order_service_url,
        settings.order_service_timeout,
        settings.connect_timeout,
        settings.order_service_api_key.clone(),
    )?);
    let inventory = InventoryApi::new(
        Peer::new(
            &settings.inventory_api_url,
            settings.inventory_timeout,
            settings.connect_timeout,
            settings.inventory_api_key.clone(),
        )?,
        inventory_breaker(settings.breaker_failures, settings.breaker_open),
    );
    let state = AppState {
        checkout: Arc::new(Checkout::new(orders.clone(), inventory)),
        orders,
    };
    let router = service::http::shell(
        routes::table(),
        state,
        settings.http.body_limit_bytes,
        Some(&access),
        &limits,
    );
    service::Service::builder("order-api", router)
        .bind(settings.http.address())
        .await
}
