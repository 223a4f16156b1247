//! `Reservation`: a hold of units of one SKU for one order. At most one per
//! (order, SKU); it is active until it is released, committed or expires.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{Actor, OrderId, Quantity, Sku};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldStatus {
    Active,
    Released,
    Committed,
    Expired,
}

impl HoldStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Released => "released",
            Self::Committed => "committed",
            Self::Expired => "expired",
        }
    }
}

impl fmt::Display for HoldStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HoldStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "active" => Self::Active,
            "released" => Self::Released,
            "committed" => Self::Committed,
            "expired" => Self::Expired,
            other => return Err(format!("unknown hold status {other:?}")),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub order_id: OrderId,
    pub sku: Sku,
    /// What the order asked for: a retry must ask the same.
    pub requested: Quantity,
    /// Units still held (active), or committed (committed); 0 once released or expired.
    pub held: i64,
    pub status: HoldStatus,
    pub expires_at: DateTime<Utc>,
    /// Who made the hold: only it (or, for a saga hold, the saga) may touch it.
    pub owner: Actor,
}

impl Reservation {
    pub fn new(
        order_id: OrderId,
        sku: Sku,
        qty: Quantity,
        expires_at: DateTime<Utc>,
        owner: Actor,
    ) -> Self {
        Self {
            order_id,
            sku,
            requested: qty,
            held: qty.get(),
            status: HoldStatus::Active,
            expires_at,
            owner,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == HoldStatus::Active
    }

    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.is_active() && self.expires_at <= now
    }
}
