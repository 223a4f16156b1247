//! `Movement`: one immutable line of the audit trail. Every change of on hand or
//! reserved writes exactly one, carrying the state after it, so replaying the trail of
//! a SKU gives its current stock.

use super::{LocationId, OrderId, Sku};

/// What a movement did. The text form is stored and published: it must not change.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
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
    /// Units left this location for another one (a transfer).
    TransferredOut,
    /// Units arrived from another location (a transfer).
    TransferredIn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub location: LocationId,
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

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn kinds_keep_their_stored_names() {
        let names: Vec<&str> = MovementKind::VARIANTS.iter().map(|k| (*k).into()).collect();
        assert_eq!(
            names,
            [
                "created",
                "reserved",
                "released",
                "committed",
                "replenished",
                "expired",
                "returned",
                "transferred_out",
                "transferred_in"
            ]
        );
        for kind in MovementKind::VARIANTS {
            assert_eq!(kind.to_string().parse::<MovementKind>(), Ok(*kind));
        }
        assert!("adjusted".parse::<MovementKind>().is_err());
    }
}
