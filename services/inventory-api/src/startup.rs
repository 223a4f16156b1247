//! Builds the application from its [`Settings`] on the shared runtime: who may call it,
//! the inventory-service client, the stock view and its feed, the routes in the service
//! shell (access, limits, metrics, traces), and the bound listener.

use std::time::Duration;

use messaging::topology::Names;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Settings, StockViewSettings},
    routes::{self, Facade},
    upstream::InventoryService,
    view::{View, feed::Feed},
};

/// `MAX_CONCURRENT_REQUESTS` default: a two-core box serves about 1,500 reservations/s or
/// 5,000 reads/s through this facade, so 64 in flight finish within about 40 ms; past
/// that a request is refused at once rather than queued (measured with `just bench`'s
/// open-loop runs at twice the sustainable rate).
const MAX_CONCURRENT_REQUESTS: usize = 64;

/// How often the view's gauges are refreshed besides the feed's own updates.
const GAUGES_EVERY: Duration = Duration::from_secs(1);

/// Binds `settings.http` (port 0 picks a free one) and wires the routes to
/// inventory-service. Does not serve yet: [`service::Service::run_until_stopped`] does.
/// With the stock view, its feed is a worker of the service: it subscribes and takes
/// its snapshot once the service runs, and until then every read is forwarded.
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
    let view = settings.stock_view.as_ref().map(stock_view);
    let facade = Facade {
        inventory: inventory.clone(),
        view: view.as_ref().map(|(view, _)| view.clone()),
    };
    let router = service::http::shell(
        routes::table(),
        facade,
        settings.http.body_limit_bytes,
        Some(&access),
        &limits,
    );
    let mut service = service::Service::builder("inventory-api", router);
    if let (Some((view, names)), Some(view_settings)) = (view, &settings.stock_view) {
        let feed = Feed {
            view: view.clone(),
            amqp_url: view_settings.amqp_url.clone(),
            names,
            upstream: inventory,
        };
        service = service
            .worker("stock view feed", move |stop| feed.run(stop))
            .worker("stock view upkeep", move |stop| upkeep(view, stop));
    }
    service.bind(settings.http.address()).await
}

/// Keeps the view's gauges current whatever its feed is doing (connecting, reading a
/// snapshot), and ends the change streams at the shutdown signal: they never end by
/// themselves, and the listener's drain would wait on them.
async fn upkeep(view: View, stop: CancellationToken) {
    let mut refresh = tokio::time::interval(GAUGES_EVERY);
    let shutdown = telemetry::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = &mut shutdown => break,
            _ = refresh.tick() => view.publish_gauges(),
        }
    }
    view.close_streams();
}

/// An empty view and the broker names it follows: its own queue,
/// `<prefix>inventory-api.stock_view.<uuid>`, one per instance.
fn stock_view(settings: &StockViewSettings) -> (View, Names) {
    let names = Names::new(settings.amqp_name_prefix.clone());
    let queue = names.queue(&format!(
        "inventory-api.stock_view.{}",
        uuid::Uuid::now_v7().simple()
    ));
    (View::new(settings.max_lag, queue), names)
}
