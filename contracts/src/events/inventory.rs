//! Events of inventory-service, on the `inventory_events` exchange.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{EventLine, EventShortage, EventType, HoldEvent, INVENTORY_EXCHANGE, ReservedLine};
use crate::inventory::StockView;
use crate::{Money, central_store_id};

macro_rules! inventory_event {
    ($name:ident, $key:literal) => {
        impl EventType for $name {
            const TYPE: &'static str = stringify!($name);
            const VERSION: u32 = 1;
            const EXCHANGE: &'static str = INVENTORY_EXCHANGE;
            const ROUTING_KEY: &'static str = $key;
        }
    };
    ($name:ident, $key:literal, hold) => {
        inventory_event!($name, $key);
        impl HoldEvent for $name {
            const DIRECT_ROUTING_KEY: &'static str = concat!($key, ".direct");
        }
    };
}

/// A SKU was created with its initial stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryCreated {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    pub on_hand: i64,
    pub safety_stock: i64,
}
inventory_event!(ProductInventoryCreated, "product.inventory.created");

/// Units were held for an order (every line of it, for a multi-SKU reservation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryReserved {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub order_id: String,
    /// Each line with its unit price, where the SKU has one.
    pub items: Vec<ReservedLine>,
    pub expires_at: DateTime<Utc>,
}
inventory_event!(ProductInventoryReserved, "product.inventory.reserved", hold);

/// Why a reservation for an order was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationFailureReason {
    InsufficientStock,
    UnknownSku,
    /// The order was cancelled before its reservation was asked for.
    OrderCancelled,
    /// The order already holds a SKU for another quantity.
    ReservationConflict,
}

/// A reservation asked for by an order's event could not be made; nothing is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryReservationFailed {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub order_id: String,
    pub reason: ReservationFailureReason,
    #[serde(default)]
    pub shortages: Vec<EventShortage>,
    #[serde(default)]
    pub unknown_skus: Vec<String>,
}
inventory_event!(
    ProductInventoryReservationFailed,
    "product.inventory.reservation_failed",
    hold
);

/// Held units went back to available stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryReleased {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub order_id: String,
    pub items: Vec<EventLine>,
}
inventory_event!(ProductInventoryReleased, "product.inventory.released", hold);

/// Units of an order left the stock for good: exactly the lines the saga asked to commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryCommitted {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub order_id: String,
    pub items: Vec<EventLine>,
}
inventory_event!(
    ProductInventoryCommitted,
    "product.inventory.committed",
    hold
);

/// Why an order's lines could not be committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitFailureReason {
    /// A hold expired (or was never made) and its units are no longer available.
    StockLost,
    /// The order was cancelled in the inventory before its commit was asked for.
    OrderCancelled,
    /// A line names a SKU the order holds for another quantity, or by another owner.
    ReservationConflict,
    UnknownSku,
}

/// An order's commit could not be made; nothing was committed. The saga cancels the
/// order, which releases whatever it still holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryCommitFailed {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub order_id: String,
    pub reason: CommitFailureReason,
    #[serde(default)]
    pub shortages: Vec<EventShortage>,
}
inventory_event!(
    ProductInventoryCommitFailed,
    "product.inventory.commit_failed"
);

/// Units were added to on hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryReplenished {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    pub qty: i64,
    pub on_hand: i64,
    pub available: i64,
}
inventory_event!(ProductInventoryReplenished, "product.inventory.replenished");

/// A hold reached its expiry and was released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryReservationExpired {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub order_id: String,
    pub items: Vec<EventLine>,
}
inventory_event!(
    ProductInventoryReservationExpired,
    "product.inventory.expired",
    hold
);

/// Available stock of a SKU reached zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryDepleted {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
}
inventory_event!(ProductInventoryDepleted, "product.inventory.depleted");

/// Available stock crossed under the safety stock: a purchase order is due. Once per
/// crossing, not on every movement below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryBelowSafetyStock {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    pub available: i64,
    pub safety_stock: i64,
}
inventory_event!(
    ProductInventoryBelowSafetyStock,
    "product.inventory.below_safety_stock"
);

/// The state of every stock row a transaction changed, after it: what a read model
/// (inventory-api's stock view, a store's till) needs to stay current without asking.
/// Each item carries its row's `version`, so a reader applies an item only when it is
/// newer than what it holds, whatever order the items arrive in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryStockChanged {
    pub items: Vec<StockView>,
}
inventory_event!(
    ProductInventoryStockChanged,
    "product.inventory.stock_changed"
);

/// Units of a SKU moved from one location to another in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryTransferred {
    pub transfer_id: String,
    pub sku: String,
    pub from: String,
    pub to: String,
    pub qty: i64,
}
inventory_event!(ProductInventoryTransferred, "product.inventory.transferred");

/// The unit price of a SKU at a location was set. A price is not stock: no movement
/// records it, but the row's version moves on, and its new state travels beside this
/// event in `ProductInventoryStockChanged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInventoryPriceChanged {
    /// The location; `central` when an older publisher leaves it out.
    #[serde(default = "central_store_id")]
    pub store_id: String,
    pub sku: String,
    /// The price of one unit from now on.
    pub unit_price: Money,
}
inventory_event!(
    ProductInventoryPriceChanged,
    "product.inventory.price_changed"
);
