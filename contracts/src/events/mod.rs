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
    ProductInventoryReservationFailed, ProductInventoryReserved, ReservationFailureReason,
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
pub const ALL_EVENT_TYPES: [&str; 14] = [
    ProductInventoryCreated::TYPE,
    ProductInventoryReserved::TYPE,
    ProductInventoryReservationFailed::TYPE,
    ProductInventoryReleased::TYPE,
    ProductInventoryCommitted::TYPE,
    ProductInventoryCommitFailed::TYPE,
    ProductInventoryReplenished::TYPE,
    ProductInventoryReservationExpired::TYPE,
    ProductInventoryDepleted::TYPE,
    ProductInventoryBelowSafetyStock::TYPE,
    OrderCreated::TYPE,
    OrderCommitRequested::TYPE,
    OrderConfirmed::TYPE,
    OrderCancelled::TYPE,
];
