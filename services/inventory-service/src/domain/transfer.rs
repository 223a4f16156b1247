//! A transfer: units of one SKU leave one location and arrive at another in one change,
//! with a movement on each side. The source never goes under what it has reserved, so
//! `available` stays non-negative at both ends; a SKU the destination does not stock yet
//! is created there, empty, before the units arrive.

use super::{
    Actor, InventoryError, InventoryEvent, LocationId, Movement, ProductInventory, Quantity, Sku,
    StockLevel,
};

/// What to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Names the transfer in its event (a UUID from the caller's side).
    pub id: String,
    pub sku: Sku,
    pub from: LocationId,
    pub to: LocationId,
    pub qty: Quantity,
}

/// What a transfer leaves for the store to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferChanges {
    pub from: ProductInventory,
    pub to: ProductInventory,
    /// The destination did not stock the SKU: its row is new.
    pub to_is_new: bool,
    pub movements: Vec<Movement>,
    pub events: Vec<InventoryEvent>,
}

/// Moves `transfer.qty` from `from` (the SKU at the source, if stocked there) to `to`
/// (at the destination, if stocked there).
pub fn transfer(
    transfer: &Transfer,
    from: Option<ProductInventory>,
    to: Option<ProductInventory>,
    actor: &Actor,
) -> Result<TransferChanges, InventoryError> {
    let Some(mut from) = from else {
        return Err(InventoryError::UnknownSku(vec![transfer.sku.clone()]));
    };
    let mut movements = Vec::new();
    let mut events = Vec::new();
    let to_is_new = to.is_none();
    let mut to = match to {
        Some(to) => to,
        None => {
            let (created, movement) = ProductInventory::create(
                transfer.to.clone(),
                transfer.sku.clone(),
                StockLevel::default(),
                StockLevel::default(),
                // A price is set per location: a row a transfer opens starts unpriced.
                None,
            );
            events.extend(created.created_events(&movement));
            movements.push(movement);
            created
        }
    };
    let out = from.transfer_out(transfer.qty)?;
    let thresholds = from.threshold_events(&out);
    movements.push(out);
    movements.push(to.transfer_in(transfer.qty)?);
    for movement in &mut movements {
        movement.actor = Some(actor.name().to_owned());
    }
    events.push(InventoryEvent::Transferred {
        location: transfer.from.clone(),
        transfer_id: transfer.id.clone(),
        sku: transfer.sku.clone(),
        to: transfer.to.clone(),
        qty: transfer.qty.get(),
    });
    events.extend(thresholds);
    Ok(TransferChanges {
        from,
        to,
        to_is_new,
        movements,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MovementKind;

    fn at(location: &str, on_hand: i64, reserved: i64, safety: i64) -> ProductInventory {
        ProductInventory::restore(
            LocationId::parse(location).unwrap(),
            Sku::parse("ABC-1234-AB").unwrap(),
            on_hand,
            reserved,
            safety,
            None,
            1,
        )
        .unwrap()
    }
    fn move_of(qty: i64) -> Transfer {
        Transfer {
            id: "t-1".into(),
            sku: Sku::parse("ABC-1234-AB").unwrap(),
            from: LocationId::central(),
            to: LocationId::parse("store-1").unwrap(),
            qty: Quantity::parse(qty).unwrap(),
        }
    }
    fn ops() -> Actor {
        Actor::caller("ops").unwrap()
    }

    #[test]
    fn units_leave_one_side_and_arrive_at_the_other_with_a_movement_each() {
        let done = transfer(
            &move_of(4),
            Some(at("central", 10, 2, 0)),
            Some(at("store-1", 1, 0, 0)),
            &ops(),
        )
        .unwrap();
        assert_eq!((done.from.on_hand(), done.from.reserved()), (6, 2));
        assert_eq!(done.to.on_hand(), 5);
        assert_eq!((done.from.version(), done.to.version()), (2, 2));
        let kinds: Vec<_> = done.movements.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [MovementKind::TransferredOut, MovementKind::TransferredIn]
        );
        assert_eq!(done.movements[0].location.as_str(), "central");
        assert_eq!(done.movements[1].location.as_str(), "store-1");
        assert!(
            done.movements
                .iter()
                .all(|m| m.actor.as_deref() == Some("ops"))
        );
        assert!(matches!(
            done.events[..],
            [InventoryEvent::Transferred { qty: 4, .. }]
        ));
    }

    #[test]
    fn reserved_units_never_leave_so_available_stays_non_negative() {
        let refused = transfer(
            &move_of(9),
            Some(at("central", 10, 2, 0)),
            Some(at("store-1", 0, 0, 0)),
            &ops(),
        )
        .unwrap_err();
        assert!(matches!(refused, InventoryError::InsufficientStock(ref s) if s[0].available == 8));
    }

    #[test]
    fn a_store_that_does_not_stock_the_sku_gets_it_created_empty_first() {
        let done = transfer(&move_of(3), Some(at("central", 5, 0, 0)), None, &ops()).unwrap();
        assert!(done.to_is_new);
        assert_eq!(done.to.on_hand(), 3);
        assert_eq!(done.to.location().as_str(), "store-1");
        assert_eq!(done.movements[0].kind, MovementKind::Created);
        assert!(matches!(
            done.events[0],
            InventoryEvent::Created { on_hand: 0, .. }
        ));
    }

    #[test]
    fn an_unstocked_source_is_an_unknown_sku() {
        let refused = transfer(&move_of(1), None, None, &ops()).unwrap_err();
        assert!(matches!(refused, InventoryError::UnknownSku(_)));
    }

    #[test]
    fn the_source_crossing_its_safety_stock_announces_it_and_emptying_it_depletes_it() {
        let done = transfer(
            &move_of(5),
            Some(at("central", 5, 0, 2)),
            Some(at("store-1", 0, 0, 0)),
            &ops(),
        )
        .unwrap();
        assert!(done.movements[0].crossed_below_safety_stock);
        assert!(done.events.iter().any(|e| matches!(e, InventoryEvent::BelowSafetyStock { location, .. } if location.is_central())));
        assert!(
            done.events
                .iter()
                .any(|e| matches!(e, InventoryEvent::Depleted { .. }))
        );
    }
}
