//! The HTTP routes of the facade, one file per resource. Each handler validates its
//! input with the rules of `contracts`, then forwards to inventory-service; nothing
//! invalid ever leaves this process, and nothing a caller may not do either: the routes
//! that change stock check the caller's scope first.

pub mod health;
pub mod inventory;
mod path_sku;
pub mod reservations;

use access::Caller;
use axum::{
    Router,
    routing::{get, post},
};
use contracts::Actor;
use problem::Problem;

use crate::{openapi, upstream::InventoryService};

pub use path_sku::PathSku;

/// The route table (without layers or fallback, which `startup` adds).
pub fn table() -> Router<InventoryService> {
    Router::new()
        .route("/inventory", post(inventory::create))
        .route("/inventory/{sku}", get(inventory::stock))
        .route("/inventory/{sku}/reserve", post(inventory::reserve))
        .route("/inventory/{sku}/release", post(inventory::release))
        .route("/inventory/{sku}/confirm", post(inventory::confirm))
        .route("/inventory/{sku}/replenish", post(inventory::replenish))
        .route("/inventory/{sku}/movements", get(inventory::movements))
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
