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
    ProductInventoryPriceChanged, ProductInventoryReleased, ProductInventoryReplenished,
    ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved, ProductInventoryStockChanged, ProductInventoryTransferred,
    ReservationFailureReason,
};
pub use order::{
    OrderCancelled, OrderCommitRequested, OrderConfirmed, OrderCreated, PaymentAuthorized,
    PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided,
};
pub use schemas::schemas;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Money;

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

/// One line of a reservation: units of one SKU, and the price of one unit where the SKU
/// has one at the reservation's location, for a checkout to copy. Absent when it has
/// none, and from a publisher that predates prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservedLine {
    pub sku: String,
    pub qty: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
}

/// A line without its price.
impl From<EventLine> for ReservedLine {
    fn from(line: EventLine) -> Self {
        Self {
            sku: line.sku,
            qty: line.qty,
            unit_price: None,
        }
    }
}

/// The units of a reserved line, without their price.
impl From<ReservedLine> for EventLine {
    fn from(line: ReservedLine) -> Self {
        Self {
            sku: line.sku,
            qty: line.qty,
        }
    }
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
pub const ALL_EVENT_TYPES: [&str; 22] = {
    let mut types = [""; 22];
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
pub const EVENT_ROUTES: [EventRoute; 22] = [
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
    EventRoute::of::<ProductInventoryPriceChanged>(),
    EventRoute::of::<OrderCreated>(),
    EventRoute::of::<OrderCommitRequested>(),
    EventRoute::of::<OrderConfirmed>(),
    EventRoute::of::<OrderCancelled>(),
    EventRoute::of::<PaymentAuthorized>(),
    EventRoute::of::<PaymentFailed>(),
    EventRoute::of::<PaymentCaptured>(),
    EventRoute::of::<PaymentVoided>(),
    EventRoute::of::<PaymentRefunded>(),
];
