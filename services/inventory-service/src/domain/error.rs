//! Why the domain refuses a command, in the domain's words.

use super::{Denied, HoldStatus, LocationId, OrderId, Sku};

/// One SKU that cannot cover a requested quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub sku: Sku,
    pub requested: i64,
    pub available: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("unknown SKU: {}", join(.0))]
    UnknownSku(Vec<Sku>),

    #[error("SKU {0} already exists")]
    SkuExists(Sku),

    #[error("insufficient stock: {}", .0.iter().map(|s| format!("{} requested {} available {}", s.sku, s.requested, s.available)).collect::<Vec<_>>().join("; "))]
    InsufficientStock(Vec<Shortage>),

    /// The order already holds this SKU, for another quantity: a retry must repeat the
    /// original request, and a change of quantity is a release plus a new order.
    #[error("order {order_id} already reserved {held_for} of {sku}; this request asks {requested}")]
    HoldConflict {
        order_id: OrderId,
        sku: Sku,
        held_for: i64,
        requested: i64,
    },

    /// Every hold of an order is at one location; the order holds stock at another.
    #[error("order {order_id} holds stock at {location}; it reserves nowhere else")]
    HeldElsewhere {
        order_id: OrderId,
        location: LocationId,
    },

    #[error("unknown location {0}")]
    UnknownLocation(LocationId),

    #[error("location {0} already exists")]
    LocationExists(LocationId),

    #[error("order {order_id} holds no reservation of {sku}")]
    ReservationNotFound { order_id: OrderId, sku: Sku },

    #[error("the reservation of {sku} for order {order_id} is {status}, not active")]
    ReservationNotActive {
        order_id: OrderId,
        sku: Sku,
        status: HoldStatus,
    },

    /// The hold belongs to the order's saga or to another caller.
    #[error("the reservation of {sku} for order {order_id} is not this caller's to change")]
    HoldNotYours {
        order_id: OrderId,
        sku: Sku,
        denied: Denied,
    },

    /// An order's lines could not be committed: a hold had expired (or was never made)
    /// and its units are gone.
    #[error("stock lost: {}", .0.iter().map(|s| format!("{} requested {} available {}", s.sku, s.requested, s.available)).collect::<Vec<_>>().join("; "))]
    StockLost(Vec<Shortage>),

    /// Only the checkout saga commits an order's lines.
    #[error("only the checkout saga may commit an order")]
    SagaOnly,

    /// The order was cancelled: it reserves nothing any more.
    #[error("order {0} is cancelled")]
    OrderCancelled(OrderId),

    /// On hand would pass the largest level the system stores.
    #[error("on hand of {sku} would exceed {max}")]
    StockLimit { sku: Sku, max: i64 },
}

/// A stored state the domain's invariants refuse: the store holds what the domain never
/// writes, so it is corrupt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorruptState {
    #[error(
        "stored stock of {sku} breaks 0 <= reserved ({reserved}) <= on hand ({on_hand}) <= {max}"
    )]
    Stock {
        sku: Sku,
        on_hand: i64,
        reserved: i64,
        max: i64,
    },
    #[error("stored safety stock of {sku} is negative ({safety_stock})")]
    SafetyStock { sku: Sku, safety_stock: i64 },
    #[error("stored hold of {sku} for order {order_id} holds {held} of {requested} while {status}")]
    Hold {
        order_id: OrderId,
        sku: Sku,
        requested: i64,
        held: i64,
        status: HoldStatus,
    },
}

fn join(skus: &[Sku]) -> String {
    skus.iter().map(Sku::as_str).collect::<Vec<_>>().join(", ")
}
