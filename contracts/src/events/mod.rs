//! Event contracts (docs/contract.md §5): the envelope every message carries and the payload
//! of each event type, with its exchange, routing key and schema version.
//!
//! Readers are tolerant: unknown fields are ignored, optional fields may be missing.
//! A breaking change bumps the major `version`; a reader refuses (dead-letters) a major
//! version it does not know.

mod envelope;
mod inventory;
mod order;
mod schemas;
pub mod subscriptions;

pub use envelope::{Envelope, EventType, HoldEvent, RawEnvelope, hold_routing_key};
pub use inventory::{
    CommitFailureReason, ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed,
    ProductInventoryCommitted, ProductInventoryCreated, ProductInventoryDepleted,
    ProductInventoryReleased, ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, ProductInventoryStockChanged,
    ProductInventoryTransferred, ReservationFailureReason,
};
pub use order::{OrderCancelled, OrderCommitRequested, OrderConfirmed, OrderCreated};
pub use schemas::schemas;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Exchange owned by inventory-service.
pub const INVENTORY_EXCHANGE: &str = "inventory_events";
/// Exchange owned by order-service.
pub const ORDER_EXCHANGE: &str = "order_events";

/// One line of an order or of a reservation: units of one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventLine {
    pub sku: String,
    pub qty: i64,
}

/// One SKU short in a failed reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventShortage {
    pub sku: String,
    pub requested: i64,
    pub available: i64,
}

/// Every event type, in one list, for schema generation and documentation.
pub const ALL_EVENT_TYPES: [&str; 16] = {
    let mut types = [""; 16];
    let mut i = 0;
    while i < EVENT_ROUTES.len() {
        types[i] = EVENT_ROUTES[i].event_type;
        i += 1;
    }
    types
};

/// Where an event type travels: its exchange and its (saga) routing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRoute {
    pub event_type: &'static str,
    pub exchange: &'static str,
    pub routing_key: &'static str,
}

impl EventRoute {
    pub const fn of<T: EventType>() -> Self {
        Self {
            event_type: T::TYPE,
            exchange: T::EXCHANGE,
            routing_key: T::ROUTING_KEY,
        }
    }
}

/// Every event type with its exchange and routing key.
pub const EVENT_ROUTES: [EventRoute; 16] = [
    EventRoute::of::<ProductInventoryCreated>(),
    EventRoute::of::<ProductInventoryReserved>(),
    EventRoute::of::<ProductInventoryReservationFailed>(),
    EventRoute::of::<ProductInventoryReleased>(),
    EventRoute::of::<ProductInventoryCommitted>(),
    EventRoute::of::<ProductInventoryCommitFailed>(),
    EventRoute::of::<ProductInventoryReplenished>(),
    EventRoute::of::<ProductInventoryReservationExpired>(),
    EventRoute::of::<ProductInventoryDepleted>(),
    EventRoute::of::<ProductInventoryBelowSafetyStock>(),
    EventRoute::of::<ProductInventoryStockChanged>(),
    EventRoute::of::<ProductInventoryTransferred>(),
    EventRoute::of::<OrderCreated>(),
    EventRoute::of::<OrderCommitRequested>(),
    EventRoute::of::<OrderConfirmed>(),
    EventRoute::of::<OrderCancelled>(),
];
