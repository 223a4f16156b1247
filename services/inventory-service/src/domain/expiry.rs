//! Expiry of many holds in one change: the due holds of many orders and the products
//! they hold, loaded under lock together, so that one transaction releases them all
//! instead of one transaction per hold.
//!
//! Each hold is expired by [`LockedStock::expire`], one after another over the same
//! products, so the stock, the movements and the events are exactly those of expiring
//! the holds one at a time. A hold no longer due (committed, released or expired since
//! it was found due) is left as it is.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{
    InventoryError, LocationId, LockedStock, ProductInventory, Reservation, Sku, StockChanges,
};

/// Expires each of `holds` that is due at `now`, in the order given, over `products`
/// (the product of every hold's SKU). Returns what changed: the expired holds, the
/// products they gave units back to (each once, as it ends), and one `expired` movement
/// and one `ReservationExpired` event per expired hold, in the order of `holds`.
///
/// Expiry depends neither on the order nor on its cancellation, so each hold is expired
/// on its own, with only its product beside it.
pub fn expire_due(
    products: impl IntoIterator<Item = ProductInventory>,
    holds: impl IntoIterator<Item = Reservation>,
    now: DateTime<Utc>,
) -> Result<StockChanges, InventoryError> {
    let mut products: BTreeMap<(LocationId, Sku), ProductInventory> = products
        .into_iter()
        .map(|p| ((p.location().clone(), p.sku().clone()), p))
        .collect();
    let mut changed = BTreeSet::new();
    let mut expired = StockChanges::default();
    for hold in holds {
        let sku = hold.sku().clone();
        let key = (hold.location().clone(), sku.clone());
        let product = products
            .remove(&key)
            .ok_or_else(|| InventoryError::UnknownSku(vec![sku.clone()]))?;
        let mut stock = LockedStock::new(
            key.0.clone(),
            Some(hold.order_id().clone()),
            false,
            [product],
            [hold],
        );
        let done = stock.expire(&sku, now)?;
        products.insert(
            key.clone(),
            stock.product(&sku).expect("loaded above").clone(),
        );
        if done {
            absorb(&mut expired, stock.into_changes());
            changed.insert(key);
        }
    }
    expired.products = changed
        .iter()
        .filter_map(|key| products.remove(key))
        .collect();
    Ok(expired)
}

/// Adds one hold's expiry to the batch; its product is taken at the end, once.
fn absorb(batch: &mut StockChanges, one: StockChanges) {
    batch.holds.extend(one.holds);
    batch.movements.extend(one.movements);
    batch.events.extend(one.events);
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::{Actor, HoldStatus, InventoryEvent, MovementKind, OrderId, Quantity};

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }
    fn product(s: &str, on_hand: i64, reserved: i64) -> ProductInventory {
        ProductInventory::restore(LocationId::central(), sku(s), on_hand, reserved, 5, None, 1)
            .unwrap()
    }
    fn hold(order: &str, s: &str, qty: i64, expires_at: DateTime<Utc>) -> Reservation {
        Reservation::new(
            LocationId::central(),
            OrderId::parse(order).unwrap(),
            sku(s),
            Quantity::parse(qty).unwrap(),
            expires_at,
            Actor::caller("shop").unwrap(),
        )
    }

    /// The same holds expired one at a time, each in a change of its own.
    fn one_by_one(
        mut products: BTreeMap<Sku, ProductInventory>,
        holds: &[Reservation],
    ) -> (Vec<ProductInventory>, StockChanges) {
        let mut all = StockChanges::default();
        for h in holds {
            let p = products.remove(h.sku()).unwrap();
            let mut stock = LockedStock::new(
                LocationId::central(),
                Some(h.order_id().clone()),
                false,
                [p.clone()],
                [h.clone()],
            );
            stock.expire(h.sku(), now()).unwrap();
            let c = stock.into_changes();
            products.insert(h.sku().clone(), c.products.first().cloned().unwrap_or(p));
            absorb(&mut all, c);
        }
        (products.into_values().collect(), all)
    }

    #[test]
    fn a_batch_expires_exactly_as_one_hold_at_a_time() {
        let products = [product("AAA-0001-AA", 20, 9), product("BBB-0001-AA", 6, 6)];
        let due = now() - Duration::seconds(3);
        let holds = vec![
            hold("o-1", "AAA-0001-AA", 4, due),
            hold("o-1", "BBB-0001-AA", 2, due),
            hold("o-2", "AAA-0001-AA", 3, now()),
            hold("o-3", "BBB-0001-AA", 4, due),
            // Not due yet: stays.
            hold("o-4", "AAA-0001-AA", 2, now() + Duration::seconds(1)),
        ];
        let batch = expire_due(products.clone(), holds.clone(), now()).unwrap();
        let (after, expected) = one_by_one(
            products
                .iter()
                .map(|p| (p.sku().clone(), p.clone()))
                .collect(),
            &holds,
        );

        assert_eq!(batch.products, after);
        assert_eq!(
            batch
                .products
                .iter()
                .map(ProductInventory::reserved)
                .collect::<Vec<_>>(),
            [2, 0]
        );
        assert_eq!(batch.holds, expected.holds);
        assert_eq!(batch.movements, expected.movements);
        assert_eq!(batch.events, expected.events);
        assert_eq!(batch.holds.len(), 4);
        assert!(
            batch
                .holds
                .iter()
                .all(|h| h.status() == HoldStatus::Expired && h.held() == 0)
        );
        assert!(
            batch
                .movements
                .iter()
                .all(|m| m.kind == MovementKind::Expired
                    && m.actor.as_deref() == Some(crate::domain::locked_stock::EXPIRY))
        );
        assert!(batch.events.iter().all(
            |e| matches!(e, InventoryEvent::ReservationExpired { items, .. } if items.len() == 1)
        ));
        assert_eq!(batch.cancelled_order, None);
    }

    #[test]
    fn a_hold_no_longer_active_is_left_alone() {
        let mut committed = hold("o-1", "AAA-0001-AA", 4, now());
        committed.commit().unwrap();
        let mut released = hold("o-2", "AAA-0001-AA", 2, now());
        released.release(None).unwrap();
        let changes = expire_due(
            [product("AAA-0001-AA", 10, 4)],
            [committed, released],
            now(),
        )
        .unwrap();
        assert_eq!(changes, StockChanges::default());
    }

    #[test]
    fn a_hold_without_its_product_is_refused() {
        let refused = expire_due([], [hold("o-1", "AAA-0001-AA", 1, now())], now());
        assert_eq!(
            refused,
            Err(InventoryError::UnknownSku(vec![sku("AAA-0001-AA")]))
        );
    }
}
