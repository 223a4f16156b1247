//! Domain events: the business facts a change produces, recorded beside the movements
//! and published by the outbox. Pure data.

use chrono::{DateTime, Utc};

use super::{InventoryError, LocationId, OrderId, Price, Shortage, Sku};

/// Why an order's reservation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationFailure {
    Insufficient(Vec<Shortage>),
    UnknownSku(Vec<Sku>),
    OrderCancelled,
    Conflict,
}

impl ReservationFailure {
    /// The reason a refusal of an order's reservation is announced with.
    pub fn of(refusal: &InventoryError) -> Self {
        match refusal {
            InventoryError::InsufficientStock(shortages) => Self::Insufficient(shortages.clone()),
            InventoryError::UnknownSku(skus) => Self::UnknownSku(skus.clone()),
            InventoryError::OrderCancelled(_) => Self::OrderCancelled,
            _ => Self::Conflict,
        }
    }
}

/// Why an order's commit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitFailure {
    StockLost(Vec<Shortage>),
    OrderCancelled,
    Conflict,
    UnknownSku,
}

impl CommitFailure {
    /// The reason a refusal of an order's commit is announced with.
    pub fn of(refusal: InventoryError) -> Self {
        match refusal {
            InventoryError::StockLost(shortages) => Self::StockLost(shortages),
            InventoryError::OrderCancelled(_) => Self::OrderCancelled,
            InventoryError::UnknownSku(_) => Self::UnknownSku,
            _ => Self::Conflict,
        }
    }
}

impl InventoryEvent {
    /// Where the fact happened.
    pub fn location(&self) -> &LocationId {
        match self {
            Self::Created { location, .. }
            | Self::Reserved { location, .. }
            | Self::ReservationFailed { location, .. }
            | Self::Released { location, .. }
            | Self::Committed { location, .. }
            | Self::CommitFailed { location, .. }
            | Self::Replenished { location, .. }
            | Self::ReservationExpired { location, .. }
            | Self::Depleted { location, .. }
            | Self::BelowSafetyStock { location, .. }
            | Self::Transferred { location, .. }
            | Self::PriceChanged { location, .. } => location,
        }
    }
}

/// A fact about a hold says whose hold it is (`saga`): the saga's holds are announced to
/// the saga, a client's own holds under their direct routing key (see
/// `contracts::events::HoldEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryEvent {
    Created {
        location: LocationId,
        sku: Sku,
        on_hand: i64,
        safety_stock: i64,
    },
    Reserved {
        location: LocationId,
        order_id: OrderId,
        /// Each line with the unit price of its SKU, where it has one.
        items: Vec<(Sku, i64, Option<Price>)>,
        expires_at: DateTime<Utc>,
        saga: bool,
    },
    ReservationFailed {
        location: LocationId,
        order_id: OrderId,
        reason: ReservationFailure,
        saga: bool,
    },
    Released {
        location: LocationId,
        order_id: OrderId,
        items: Vec<(Sku, i64)>,
        saga: bool,
    },
    Committed {
        location: LocationId,
        order_id: OrderId,
        items: Vec<(Sku, i64)>,
        saga: bool,
    },
    CommitFailed {
        location: LocationId,
        order_id: OrderId,
        reason: CommitFailure,
    },
    Replenished {
        location: LocationId,
        sku: Sku,
        qty: i64,
        on_hand: i64,
        available: i64,
    },
    ReservationExpired {
        location: LocationId,
        order_id: OrderId,
        items: Vec<(Sku, i64)>,
        saga: bool,
    },
    /// Available stock reached zero.
    Depleted {
        location: LocationId,
        sku: Sku,
        on_hand: i64,
        reserved: i64,
    },
    /// Available stock crossed under the safety stock (once per crossing).
    BelowSafetyStock {
        location: LocationId,
        sku: Sku,
        available: i64,
        safety_stock: i64,
    },
    /// Units moved from one location to another.
    Transferred {
        /// The source location: a transfer is announced from where the units left.
        location: LocationId,
        transfer_id: String,
        sku: Sku,
        to: LocationId,
        qty: i64,
    },
    /// The price of one unit of a SKU at a location was set.
    PriceChanged {
        location: LocationId,
        sku: Sku,
        unit_price: Price,
    },
}
