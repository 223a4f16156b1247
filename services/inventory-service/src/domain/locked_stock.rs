//! `LockedStock`: the products one command touches, and one order's holds on them,
//! loaded under lock for a single change. The domain decides here; the store that
//! loaded it writes back what changed, with the movements and the events, in the same
//! transaction.
//!
//! Commands:
//! - `reserve_all`: every line or none (a line the order already holds for the same
//!   quantity counts as reserved; another quantity is a conflict; a cancelled order
//!   reserves nothing);
//! - `release`, `release_order`: all or part of a hold, or every hold of the order;
//!   nothing held is a no-op;
//! - `confirm`, `confirm_order`: commits active holds, once;
//! - `cancel_order`: remembers the cancellation and releases every hold;
//! - `expire`: releases a hold whose time has passed;
//! - `replenish`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{
    HoldStatus, InventoryError, InventoryEvent, Movement, MovementKind, OrderId, ProductInventory,
    Quantity, Reservation, ReservationFailure, Sku,
};

#[derive(Debug, Clone)]
pub struct LockedStock {
    order_id: Option<OrderId>,
    order_cancelled: bool,
    cancellation_recorded: bool,
    products: BTreeMap<Sku, ProductInventory>,
    holds: BTreeMap<Sku, Reservation>,
    changed_products: BTreeSet<Sku>,
    changed_holds: BTreeSet<Sku>,
    movements: Vec<Movement>,
    events: Vec<InventoryEvent>,
}

/// What a change leaves for the store to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChanges {
    pub products: Vec<ProductInventory>,
    pub holds: Vec<Reservation>,
    pub movements: Vec<Movement>,
    pub events: Vec<InventoryEvent>,
    /// The order was cancelled by this change: remember it.
    pub cancelled_order: Option<OrderId>,
}

impl LockedStock {
    /// `holds` must all belong to `order_id`; `order_cancelled` says whether that order
    /// was cancelled before.
    pub fn new(
        order_id: Option<OrderId>,
        order_cancelled: bool,
        products: impl IntoIterator<Item = ProductInventory>,
        holds: impl IntoIterator<Item = Reservation>,
    ) -> Self {
        Self {
            products: products.into_iter().map(|p| (p.sku().clone(), p)).collect(),
            holds: holds
                .into_iter()
                .filter(|h| Some(&h.order_id) == order_id.as_ref())
                .map(|h| (h.sku.clone(), h))
                .collect(),
            order_id,
            order_cancelled,
            cancellation_recorded: false,
            changed_products: BTreeSet::new(),
            changed_holds: BTreeSet::new(),
            movements: Vec::new(),
            events: Vec::new(),
        }
    }

    pub fn product(&self, sku: &Sku) -> Option<&ProductInventory> {
        self.products.get(sku)
    }

    pub fn hold(&self, sku: &Sku) -> Option<&Reservation> {
        self.holds.get(sku)
    }

    pub fn into_changes(mut self) -> StockChanges {
        StockChanges {
            products: self
                .changed_products
                .iter()
                .filter_map(|s| self.products.remove(s))
                .collect(),
            holds: self
                .changed_holds
                .iter()
                .filter_map(|s| self.holds.remove(s))
                .collect(),
            movements: self.movements,
            events: self.events,
            cancelled_order: self
                .cancellation_recorded
                .then_some(self.order_id)
                .flatten(),
        }
    }

    /// Reserves every line for the order, or none. Returns the order's holds on the
    /// requested SKUs (new and already held), in SKU order. Announces `Reserved` when it
    /// reserved something new.
    pub fn reserve_all(
        &mut self,
        lines: &[(Sku, Quantity)],
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<Reservation>, InventoryError> {
        let order_id = self.order()?.clone();
        if self.order_cancelled {
            return Err(InventoryError::OrderCancelled(order_id));
        }
        let unknown: Vec<Sku> = lines
            .iter()
            .filter(|(sku, _)| !self.products.contains_key(sku))
            .map(|(sku, _)| sku.clone())
            .collect();
        if !unknown.is_empty() {
            return Err(InventoryError::UnknownSku(unknown));
        }
        let mut to_reserve = Vec::new();
        for (sku, qty) in lines {
            match self.holds.get(sku) {
                Some(hold) if hold.requested == *qty => {}
                Some(hold) => {
                    return Err(InventoryError::HoldConflict {
                        order_id,
                        sku: sku.clone(),
                        held_for: hold.requested.get(),
                        requested: qty.get(),
                    });
                }
                None => to_reserve.push((sku, *qty)),
            }
        }
        let shortages: Vec<_> = to_reserve
            .iter()
            .filter_map(|(sku, qty)| self.products[*sku].shortage(*qty))
            .collect();
        if !shortages.is_empty() {
            return Err(InventoryError::InsufficientStock(shortages));
        }
        let mut thresholds = Vec::new();
        for (sku, qty) in &to_reserve {
            let product = self.products.get_mut(*sku).expect("checked above");
            let movement = product.reserve(*qty, &order_id)?;
            thresholds.extend(product.threshold_events(&movement));
            self.movements.push(movement);
            self.changed_products.insert((*sku).clone());
            self.holds.insert(
                (*sku).clone(),
                Reservation::new(order_id.clone(), (*sku).clone(), *qty, expires_at),
            );
            self.changed_holds.insert((*sku).clone());
        }
        let holds: Vec<Reservation> = lines
            .iter()
            .map(|(sku, _)| self.holds[sku].clone())
            .collect();
        if !to_reserve.is_empty() {
            self.announce_reserved(&holds);
        }
        self.events.extend(thresholds);
        Ok(holds)
    }

    /// The event path's reservation: like `reserve_all`, but it always answers the
    /// order, with `Reserved` (also when every line was already held, e.g. reserved
    /// over HTTP before) or with `ReservationFailed` and the reason.
    pub fn reserve_for_order(&mut self, lines: &[(Sku, Quantity)], expires_at: DateTime<Utc>) {
        let before = self.events.len();
        match self.reserve_all(lines, expires_at) {
            // A hold this order had but gave back (released, expired) holds nothing:
            // announcing it as reserved would confirm an order with no stock behind it.
            Ok(holds)
                if holds
                    .iter()
                    .any(|h| matches!(h.status, HoldStatus::Released | HoldStatus::Expired)) =>
            {
                let gone = holds
                    .iter()
                    .find(|h| matches!(h.status, HoldStatus::Released | HoldStatus::Expired))
                    .expect("checked above");
                let refusal = InventoryError::ReservationNotActive {
                    order_id: gone.order_id.clone(),
                    sku: gone.sku.clone(),
                    status: gone.status,
                };
                self.announce_failure(&refusal);
            }
            Ok(holds) => {
                let announced = self.events[before..]
                    .iter()
                    .any(|e| matches!(e, InventoryEvent::Reserved { .. }));
                if !announced {
                    self.announce_reserved(&holds);
                }
            }
            Err(refusal) => self.announce_failure(&refusal),
        }
    }

    fn announce_reserved(&mut self, holds: &[Reservation]) {
        let Some(order_id) = self.order_id.clone() else {
            return;
        };
        let expires_at = holds.iter().map(|h| h.expires_at).min().unwrap_or_default();
        self.events.push(InventoryEvent::Reserved {
            order_id,
            items: holds
                .iter()
                .map(|h| (h.sku.clone(), h.requested.get()))
                .collect(),
            expires_at,
        });
    }

    fn announce_failure(&mut self, refusal: &InventoryError) {
        let Some(order_id) = self.order_id.clone() else {
            return;
        };
        let reason = match refusal {
            InventoryError::InsufficientStock(shortages) => {
                ReservationFailure::Insufficient(shortages.clone())
            }
            InventoryError::UnknownSku(skus) => ReservationFailure::UnknownSku(skus.clone()),
            InventoryError::OrderCancelled(_) => ReservationFailure::OrderCancelled,
            _ => ReservationFailure::Conflict,
        };
        self.events
            .push(InventoryEvent::ReservationFailed { order_id, reason });
    }

    /// Releases up to `up_to` units of the order's hold on `sku` (all when `None`).
    /// No active hold: nothing to do, and that is a success.
    pub fn release(&mut self, sku: &Sku, up_to: Option<Quantity>) -> Result<(), InventoryError> {
        self.known(sku)?;
        if let Some((order_id, qty)) = self.release_hold(sku, up_to) {
            self.events.push(InventoryEvent::Released {
                order_id,
                items: vec![(sku.clone(), qty)],
            });
        }
        Ok(())
    }

    /// Releases every active hold of the order; returns how many units it released.
    pub fn release_order(&mut self) -> Result<i64, InventoryError> {
        let order_id = self.order()?.clone();
        let skus: Vec<Sku> = self.holds.keys().cloned().collect();
        let items: Vec<(Sku, i64)> = skus
            .into_iter()
            .filter_map(|sku| self.release_hold(&sku, None).map(|(_, qty)| (sku, qty)))
            .collect();
        let total = items.iter().map(|(_, q)| q).sum();
        if !items.is_empty() {
            self.events
                .push(InventoryEvent::Released { order_id, items });
        }
        Ok(total)
    }

    /// Remembers that the order is cancelled (it will reserve nothing any more) and
    /// releases what it holds.
    pub fn cancel_order(&mut self) -> Result<i64, InventoryError> {
        self.order()?;
        if !self.order_cancelled {
            self.order_cancelled = true;
            self.cancellation_recorded = true;
        }
        self.release_order()
    }

    /// Commits the order's active hold on `sku`. Already committed: no-op.
    pub fn confirm(&mut self, sku: &Sku) -> Result<(), InventoryError> {
        self.known(sku)?;
        let order_id = self.order()?.clone();
        let Some(hold) = self.holds.get(sku) else {
            return Err(InventoryError::ReservationNotFound {
                order_id,
                sku: sku.clone(),
            });
        };
        match hold.status {
            HoldStatus::Committed => Ok(()),
            HoldStatus::Active => {
                let qty = self.commit_hold(sku);
                self.events.push(InventoryEvent::Committed {
                    order_id,
                    items: vec![(sku.clone(), qty)],
                });
                Ok(())
            }
            status => Err(InventoryError::ReservationNotActive {
                order_id,
                sku: sku.clone(),
                status,
            }),
        }
    }

    /// Commits every active hold of the order; returns how many units it committed.
    pub fn confirm_order(&mut self) -> Result<i64, InventoryError> {
        let order_id = self.order()?.clone();
        let active: Vec<Sku> = self
            .holds
            .values()
            .filter(|h| h.is_active())
            .map(|h| h.sku.clone())
            .collect();
        let items: Vec<(Sku, i64)> = active
            .into_iter()
            .map(|sku| {
                let qty = self.commit_hold(&sku);
                (sku, qty)
            })
            .collect();
        let total = items.iter().map(|(_, q)| q).sum();
        if !items.is_empty() {
            self.events
                .push(InventoryEvent::Committed { order_id, items });
        }
        Ok(total)
    }

    /// Releases the hold on `sku` if it is active and its time has come; returns
    /// whether it expired.
    pub fn expire(&mut self, sku: &Sku, now: DateTime<Utc>) -> Result<bool, InventoryError> {
        self.known(sku)?;
        let Some(hold) = self.holds.get_mut(sku).filter(|h| h.is_due(now)) else {
            return Ok(false);
        };
        let qty = hold.held;
        hold.held = 0;
        hold.status = HoldStatus::Expired;
        let order_id = hold.order_id.clone();
        self.changed_holds.insert(sku.clone());
        let product = self.products.get_mut(sku).expect("known");
        self.movements
            .push(product.unreserve(qty, MovementKind::Expired, &order_id));
        self.changed_products.insert(sku.clone());
        self.events.push(InventoryEvent::ReservationExpired {
            order_id,
            items: vec![(sku.clone(), qty)],
        });
        Ok(true)
    }

    pub fn replenish(&mut self, sku: &Sku, qty: Quantity) -> Result<(), InventoryError> {
        self.known(sku)?;
        let product = self.products.get_mut(sku).expect("known");
        self.movements.push(product.replenish(qty)?);
        self.events.push(InventoryEvent::Replenished {
            sku: sku.clone(),
            qty: qty.get(),
            on_hand: product.on_hand(),
            available: product.available(),
        });
        self.changed_products.insert(sku.clone());
        Ok(())
    }

    /// Releases up to `up_to` of an active hold; `None` when nothing was held.
    fn release_hold(&mut self, sku: &Sku, up_to: Option<Quantity>) -> Option<(OrderId, i64)> {
        let hold = self.holds.get_mut(sku).filter(|h| h.is_active())?;
        let qty = up_to.map_or(hold.held, |q| q.get().min(hold.held));
        hold.held -= qty;
        if hold.held == 0 {
            hold.status = HoldStatus::Released;
        }
        let order_id = hold.order_id.clone();
        self.changed_holds.insert(sku.clone());
        let product = self.products.get_mut(sku)?;
        self.movements
            .push(product.unreserve(qty, MovementKind::Released, &order_id));
        self.changed_products.insert(sku.clone());
        Some((order_id, qty))
    }

    /// Commits an active hold; returns the units committed.
    fn commit_hold(&mut self, sku: &Sku) -> i64 {
        let hold = self.holds.get_mut(sku).expect("caller checked");
        hold.status = HoldStatus::Committed;
        let qty = hold.held;
        let order_id = hold.order_id.clone();
        self.changed_holds.insert(sku.clone());
        let product = self
            .products
            .get_mut(sku)
            .expect("a hold's product is loaded");
        self.movements.push(product.commit(qty, &order_id));
        self.changed_products.insert(sku.clone());
        qty
    }

    fn known(&self, sku: &Sku) -> Result<(), InventoryError> {
        if self.products.contains_key(sku) {
            Ok(())
        } else {
            Err(InventoryError::UnknownSku(vec![sku.clone()]))
        }
    }

    fn order(&self) -> Result<&OrderId, InventoryError> {
        // A command about holds is always loaded with its order; reaching this is a
        // programming error in the caller, reported rather than panicking.
        self.order_id
            .as_ref()
            .ok_or_else(|| InventoryError::UnknownSku(Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::StockLevel;

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }
    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }
    fn order(id: &str) -> OrderId {
        OrderId::parse(id).unwrap()
    }
    fn product(s: &str, on_hand: i64) -> ProductInventory {
        ProductInventory::create(
            sku(s),
            StockLevel::parse("qty", on_hand).unwrap(),
            StockLevel::default(),
        )
        .0
    }
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }
    fn stock(on_hands: &[(&str, i64)], holds: Vec<Reservation>) -> LockedStock {
        LockedStock::new(
            Some(order("o-1")),
            false,
            on_hands.iter().map(|(s, n)| product(s, *n)),
            holds,
        )
    }

    #[test]
    fn reserve_all_takes_every_line_or_none() {
        let mut s = stock(&[("AAA-0001-AA", 5), ("BBB-0001-AA", 1)], vec![]);
        let err = s
            .reserve_all(
                &[(sku("AAA-0001-AA"), qty(2)), (sku("BBB-0001-AA"), qty(2))],
                now(),
            )
            .unwrap_err();
        assert!(
            matches!(err, InventoryError::InsufficientStock(ref v) if v.len() == 1 && v[0].sku == sku("BBB-0001-AA"))
        );
        let changes = s.into_changes();
        assert!(
            changes.products.is_empty() && changes.holds.is_empty() && changes.movements.is_empty()
        );
    }

    #[test]
    fn reserve_all_reserves_each_line_with_a_movement() {
        let mut s = stock(&[("AAA-0001-AA", 5), ("BBB-0001-AA", 2)], vec![]);
        let holds = s
            .reserve_all(
                &[(sku("AAA-0001-AA"), qty(2)), (sku("BBB-0001-AA"), qty(2))],
                now(),
            )
            .unwrap();
        assert_eq!(holds.len(), 2);
        let c = s.into_changes();
        assert_eq!(
            (c.products.len(), c.holds.len(), c.movements.len()),
            (2, 2, 2)
        );
        assert_eq!(c.products[1].available(), 0);
    }

    #[test]
    fn a_repeated_reservation_changes_nothing() {
        let held = Reservation::new(order("o-1"), sku("AAA-0001-AA"), qty(2), now());
        let mut s = stock(&[("AAA-0001-AA", 5)], vec![held]);
        let holds = s
            .reserve_all(&[(sku("AAA-0001-AA"), qty(2))], now())
            .unwrap();
        assert_eq!(holds[0].held, 2);
        assert!(s.into_changes().movements.is_empty());
    }

    #[test]
    fn a_repeat_with_another_quantity_is_a_conflict() {
        let held = Reservation::new(order("o-1"), sku("AAA-0001-AA"), qty(2), now());
        let mut s = stock(&[("AAA-0001-AA", 5)], vec![held]);
        let err = s
            .reserve_all(&[(sku("AAA-0001-AA"), qty(3))], now())
            .unwrap_err();
        assert!(matches!(
            err,
            InventoryError::HoldConflict {
                held_for: 2,
                requested: 3,
                ..
            }
        ));
    }

    #[test]
    fn unknown_skus_are_named() {
        let mut s = stock(&[("AAA-0001-AA", 5)], vec![]);
        let err = s
            .reserve_all(
                &[(sku("AAA-0001-AA"), qty(1)), (sku("ZZZ-0001-AA"), qty(1))],
                now(),
            )
            .unwrap_err();
        assert_eq!(err, InventoryError::UnknownSku(vec![sku("ZZZ-0001-AA")]));
    }

    #[test]
    fn partial_release_then_release_of_the_rest_then_nothing() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(5))], now())
            .unwrap();
        s.release(&sku("AAA-0001-AA"), Some(qty(3))).unwrap();
        assert_eq!(s.hold(&sku("AAA-0001-AA")).unwrap().held, 2);
        assert_eq!(s.product(&sku("AAA-0001-AA")).unwrap().reserved(), 2);
        s.release(&sku("AAA-0001-AA"), Some(qty(9))).unwrap();
        assert_eq!(
            s.hold(&sku("AAA-0001-AA")).unwrap().status,
            HoldStatus::Released
        );
        s.release(&sku("AAA-0001-AA"), None).unwrap();
        let c = s.into_changes();
        assert_eq!(c.products[0].reserved(), 0);
        assert_eq!(
            c.movements.iter().map(|m| m.qty).collect::<Vec<_>>(),
            [5, 3, 2]
        );
    }

    #[test]
    fn the_event_path_refuses_an_order_whose_hold_was_given_back() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(2))], now())
            .unwrap();
        s.release(&sku("AAA-0001-AA"), None).unwrap();
        s.reserve_for_order(&[(sku("AAA-0001-AA"), qty(2))], now());
        let events = s.into_changes().events;
        assert!(
            matches!(
                events.last(),
                Some(InventoryEvent::ReservationFailed {
                    reason: ReservationFailure::Conflict,
                    ..
                })
            ),
            "{events:?}"
        );
    }

    #[test]
    fn releasing_what_an_order_does_not_hold_is_a_no_op() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.release(&sku("AAA-0001-AA"), None).unwrap();
        assert!(s.into_changes().movements.is_empty());
    }

    #[test]
    fn confirm_commits_once() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now())
            .unwrap();
        s.confirm(&sku("AAA-0001-AA")).unwrap();
        s.confirm(&sku("AAA-0001-AA")).unwrap();
        let p = s.product(&sku("AAA-0001-AA")).unwrap();
        assert_eq!((p.on_hand(), p.reserved()), (6, 0));
        assert_eq!(s.into_changes().movements.len(), 2);
    }

    #[test]
    fn confirming_a_released_or_missing_hold_is_refused() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        assert!(matches!(
            s.confirm(&sku("AAA-0001-AA")),
            Err(InventoryError::ReservationNotFound { .. })
        ));
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now())
            .unwrap();
        s.release(&sku("AAA-0001-AA"), None).unwrap();
        assert!(matches!(
            s.confirm(&sku("AAA-0001-AA")),
            Err(InventoryError::ReservationNotActive { .. })
        ));
    }

    #[test]
    fn a_hold_expires_only_once_its_time_has_come() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now())
            .unwrap();
        assert!(
            !s.expire(&sku("AAA-0001-AA"), now() - chrono::Duration::seconds(1))
                .unwrap()
        );
        assert!(s.expire(&sku("AAA-0001-AA"), now()).unwrap());
        assert!(!s.expire(&sku("AAA-0001-AA"), now()).unwrap());
        let c = s.into_changes();
        assert_eq!(c.products[0].reserved(), 0);
        assert_eq!(c.movements.last().unwrap().kind, MovementKind::Expired);
    }
}
