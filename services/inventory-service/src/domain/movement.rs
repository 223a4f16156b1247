//! `Movement`: one immutable line of the audit trail. Every change of on hand or
//! reserved writes exactly one, carrying the state after it, so replaying the trail of
//! a SKU gives its current stock.

use std::fmt;
use std::str::FromStr;

use super::{OrderId, Sku};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    Created,
    Reserved,
    Released,
    Committed,
    Replenished,
    Expired,
    /// Committed units put back on sale: the order they were committed for was
    /// cancelled before it was confirmed (the commit's compensation).
    Returned,
}

impl MovementKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Reserved => "reserved",
            Self::Released => "released",
            Self::Committed => "committed",
            Self::Replenished => "replenished",
            Self::Expired => "expired",
            Self::Returned => "returned",
        }
    }
}

impl fmt::Display for MovementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MovementKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "created" => Self::Created,
            "reserved" => Self::Reserved,
            "released" => Self::Released,
            "committed" => Self::Committed,
            "replenished" => Self::Replenished,
            "expired" => Self::Expired,
            "returned" => Self::Returned,
            other => return Err(format!("unknown movement kind {other:?}")),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub sku: Sku,
    pub kind: MovementKind,
    /// Units moved (for `created`, the initial stock).
    pub qty: i64,
    pub order_id: Option<OrderId>,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    /// This movement took available stock from at or above the safety stock to under
    /// it: the moment a purchase order is due. True once per crossing.
    pub crossed_below_safety_stock: bool,
    /// Who made the change (a caller's name, `saga`, `expiry`); set by the command.
    pub actor: Option<String>,
}
