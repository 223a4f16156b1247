//! Builds the application from its [`Settings`] on the shared runtime: who may call it,
//! the inventory-service client, the routes in the service shell (access, limits,
//! metrics, traces), and the bound listener.

use crate::{config::Settings, routes, upstream::InventoryService};

/// `MAX_CONCURRENT_REQUESTS` default: a two-core box serves about 1,500 reservations/s or
/// 5,000 reads/s through this facade, so 64 in flight finish within about 40 ms; past
/// that a request is refused at once rather than queued (measured with `just bench`'s
/// open-loop runs at twice the sustainable rate).
const MAX_CONCURRENT_REQUESTS: usize = 64;

/// Binds `settings.http` (port 0 picks a free one) and wires the routes to
/// inventory-service. Does not serve yet: [`service::Service::run_until_stopped`] does.
///
/// Fails, saying why, when the access settings are invalid or there are no `API_KEYS`
/// and the address is not loopback: such a facade would serve anyone.
pub async fn build(settings: Settings) -> anyhow::Result<service::Service> {
    let (access, limits) = service::http::facade_admission(
        &settings.access,
        settings.http.bind_addr,
        MAX_CONCURRENT_REQUESTS,
    )?;
    let inventory = InventoryService::new(
        &settings.inventory_service_url,
        settings.upstream_timeout,
        settings.upstream_connect_timeout,
    )?;
    let router = service::http::shell(
        routes::table(),
        inventory,
        settings.http.body_limit_bytes,
        Some(&access),
        &limits,
    );
    service::Service::builder("inventory-api", router)
        .bind(settings.http.address())
        .await
}
