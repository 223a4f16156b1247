//! The HTTP routes of the facade, one file per resource. Each handler validates its
//! input with the rules of `contracts`, then forwards to inventory-service (or answers
//! from the stock view); nothing invalid ever leaves this process, and nothing a caller
//! may not do either: the routes that change stock check the caller's scope first.
//!
//! The stock routes of one SKU exist in two forms, `/inventory/:sku/...` (the central
//! warehouse) and `/locations/:storeId/inventory/:sku/...`; one handler serves both,
//! the location read from the path ([`AtLocation`]).

pub mod health;
pub mod inventory;
pub mod locations;
mod path;
pub mod reservations;
pub mod transfers;

use access::Caller;
use axum::{
    Router,
    extract::FromRef,
    routing::{get, post, put},
};
use contracts::Actor;
use problem::Problem;

use crate::{openapi, upstream::InventoryService, view::View};

pub use path::{AtLocation, PathSku, STORE_ID_PARAM};

/// What the handlers share: the client to inventory-service, and the stock view when
/// it is enabled.
#[derive(Debug, Clone)]
pub struct Facade {
    pub inventory: InventoryService,
    pub view: Option<View>,
}

impl FromRef<Facade> for InventoryService {
    fn from_ref(facade: &Facade) -> Self {
        facade.inventory.clone()
    }
}

/// The route table (without layers or fallback, which `startup` adds).
pub fn table() -> Router<Facade> {
    Router::new()
        .route("/inventory", post(inventory::create))
        .route("/inventory/{sku}", get(inventory::stock))
        .route("/inventory/{sku}/reserve", post(inventory::reserve))
        .route("/inventory/{sku}/release", post(inventory::release))
        .route("/inventory/{sku}/confirm", post(inventory::confirm))
        .route("/inventory/{sku}/replenish", post(inventory::replenish))
        .route("/inventory/{sku}/price", put(inventory::set_price))
        .route("/inventory/{sku}/movements", get(inventory::movements))
        .route("/locations", post(locations::create).get(locations::list))
        .route(
            "/locations/{storeId}/inventory",
            post(inventory::create).get(locations::stock_page),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}",
            get(inventory::stock),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}/reserve",
            post(inventory::reserve),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}/release",
            post(inventory::release),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}/confirm",
            post(inventory::confirm),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}/replenish",
            post(inventory::replenish),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}/price",
            put(inventory::set_price),
        )
        .route(
            "/locations/{storeId}/inventory/{sku}/movements",
            get(inventory::movements),
        )
        .route("/locations/{storeId}/changes", get(locations::changes))
        .route("/transfers", post(transfers::create))
        .route("/reservations", post(reservations::create))
        .route(
            "/reservations/{order_id}/commit",
            post(reservations::commit),
        )
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/openapi.json", get(openapi::serve))
}

/// The caller acting for itself, as inventory-service records it: its name goes on the
/// movements it makes and on the holds it owns.
fn acting_as(caller: &Caller) -> Result<Actor, Problem> {
    // Caller names follow the actor's rule, so this refuses nothing in practice; were the
    // rules to drift apart, a 422 beats forwarding a name the service would refuse.
    Ok(Actor::caller(caller.name().as_str())?)
}
