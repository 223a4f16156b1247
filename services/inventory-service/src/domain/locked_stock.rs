//! `LockedStock`: the products one command touches, and one order's holds on them,
//! loaded under lock for a single change. The domain decides here; the store that
//! loaded it writes back what changed, with the movements and the events, in the same
//! transaction.
//!
//! Every command names its [`Actor`]: the hold it makes records it as owner, the
//! movements it writes record its name, and a hold is touched only by its owner (a saga
//! hold only by the saga: invariant "holds belong to their maker").
//!
//! Commands:
//! - `reserve_all`: every line or none (a line the order already holds for the same
//!   quantity counts as reserved; another quantity is a conflict; a cancelled order
//!   reserves nothing);
//! - `release`: all or part of one hold; nothing held is a no-op;
//! - `confirm`: commits one active hold, once (the single-SKU route);
//! - `commit_lines`, `commit_for_order`: the saga's commit of exactly an order's lines,
//!   from the holds or, where a hold has expired, from available stock, all or nothing;
//! - `cancel_order`: remembers the cancellation, releases the saga's active holds and
//!   puts back on sale what was committed for the order (it was never confirmed);
//! - `expire`: releases a hold whose time has passed;
//! - `replenish`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{
    Actor, Cancelled, CommitFailure, HoldStatus, InventoryError, InventoryEvent, LocationId,
    Movement, OrderId, ProductInventory, Quantity, Reservation, ReservationFailure, Sku,
};

/// The name movements carry when a hold ran out.
pub const EXPIRY: &str = "expiry";

#[derive(Debug, Clone)]
pub struct LockedStock {
    /// The one location every product and hold of the change is at.
    location: LocationId,
    order_id: Option<OrderId>,
    /// The order holds stock at another location: it reserves nothing here (every hold
    /// of an order is at one location).
    held_elsewhere: Option<LocationId>,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockChanges {
    pub products: Vec<ProductInventory>,
    pub holds: Vec<Reservation>,
    pub movements: Vec<Movement>,
    pub events: Vec<InventoryEvent>,
    /// The order was cancelled by this change: remember it.
    pub cancelled_order: Option<OrderId>,
}

impl LockedStock {
    /// The stock of `location`: `products` and `holds` there (others are left out);
    /// `holds` must all belong to `order_id`; `order_cancelled` says whether that order
    /// was cancelled before.
    pub fn new(
        location: LocationId,
        order_id: Option<OrderId>,
        order_cancelled: bool,
        products: impl IntoIterator<Item = ProductInventory>,
        holds: impl IntoIterator<Item = Reservation>,
    ) -> Self {
        Self {
            products: products
                .into_iter()
                .filter(|p| *p.location() == location)
                .map(|p| (p.sku().clone(), p))
                .collect(),
            holds: holds
                .into_iter()
                .filter(|h| Some(h.order_id()) == order_id.as_ref() && *h.location() == location)
                .map(|h| (h.sku().clone(), h))
                .collect(),
            location,
            held_elsewhere: None,
            order_id,
            order_cancelled,
            cancellation_recorded: false,
            changed_products: BTreeSet::new(),
            changed_holds: BTreeSet::new(),
            movements: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The order already holds stock at `location`, another one than this change's.
    pub fn held_elsewhere(mut self, location: Option<LocationId>) -> Self {
        self.held_elsewhere = location.filter(|l| *l != self.location);
        self
    }

    pub fn location(&self) -> &LocationId {
        &self.location
    }

    pub fn product(&self, sku: &Sku) -> Option<&ProductInventory> {
        self.products.get(sku)
    }

    pub fn hold(&self, sku: &Sku) -> Option<&Reservation> {
        self.holds.get(sku)
    }

    /// The events this change has produced so far.
    pub fn events(&self) -> &[InventoryEvent] {
        &self.events
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
        actor: &Actor,
    ) -> Result<Vec<Reservation>, InventoryError> {
        let order_id = self.order()?.clone();
        if self.order_cancelled {
            return Err(InventoryError::OrderCancelled(order_id));
        }
        if let Some(location) = &self.held_elsewhere {
            return Err(InventoryError::HeldElsewhere {
                order_id,
                location: location.clone(),
            });
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
            if let Some(hold) = self.holds.get(sku) {
                may_touch(actor, hold)?;
            }
            match self.holds.get(sku) {
                Some(hold) if hold.requested() == *qty => {}
                Some(hold) => {
                    return Err(InventoryError::HoldConflict {
                        order_id,
                        sku: sku.clone(),
                        held_for: hold.requested().get(),
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
            self.record(movement, actor);
            self.changed_products.insert((*sku).clone());
            self.holds.insert(
                (*sku).clone(),
                Reservation::new(
                    self.location.clone(),
                    order_id.clone(),
                    (*sku).clone(),
                    *qty,
                    expires_at,
                    actor.clone(),
                ),
            );
            self.changed_holds.insert((*sku).clone());
        }
        let holds: Vec<Reservation> = lines
            .iter()
            .map(|(sku, _)| self.holds[sku].clone())
            .collect();
        if !to_reserve.is_empty() {
            self.announce_reserved(&holds, actor.is_saga());
        }
        self.events.extend(thresholds);
        Ok(holds)
    }

    /// The event path's reservation: like `reserve_all`, but it always answers the
    /// order, with `Reserved` (also when every line was already held, e.g. reserved
    /// over HTTP before) or with `ReservationFailed` and the reason.
    pub fn reserve_for_order(
        &mut self,
        lines: &[(Sku, Quantity)],
        expires_at: DateTime<Utc>,
        saga: &Actor,
    ) {
        let before = self.events.len();
        match self.reserve_all(lines, expires_at, saga) {
            // A hold this order had but gave back (released, expired) holds nothing:
            // announcing it as reserved would confirm an order with no stock behind it.
            Ok(holds) if holds.iter().any(Reservation::is_given_back) => {
                let gone = holds
                    .iter()
                    .find(|h| h.is_given_back())
                    .expect("checked above");
                self.announce_failure(&not_active(gone), saga.is_saga());
            }
            Ok(holds) => {
                let announced = self.events[before..]
                    .iter()
                    .any(|e| matches!(e, InventoryEvent::Reserved { .. }));
                if !announced {
                    self.announce_reserved(&holds, saga.is_saga());
                }
            }
            Err(refusal) => self.announce_failure(&refusal, saga.is_saga()),
        }
    }

    fn announce_reserved(&mut self, holds: &[Reservation], saga: bool) {
        let Some(order_id) = self.order_id.clone() else {
            return;
        };
        let expires_at = holds
            .iter()
            .map(Reservation::expires_at)
            .min()
            .unwrap_or_default();
        self.events.push(InventoryEvent::Reserved {
            location: self.location.clone(),
            order_id,
            items: holds
                .iter()
                .map(|h| {
                    let price = self.products.get(h.sku()).and_then(|p| p.unit_price());
                    (h.sku().clone(), h.requested().get(), price)
                })
                .collect(),
            expires_at,
            saga,
        });
    }

    fn announce_failure(&mut self, refusal: &InventoryError, saga: bool) {
        let Some(order_id) = self.order_id.clone() else {
            return;
        };
        self.events.push(InventoryEvent::ReservationFailed {
            location: self.location.clone(),
            order_id,
            reason: ReservationFailure::of(refusal),
            saga,
        });
    }

    /// Releases up to `up_to` units of the order's hold on `sku` (all when `None`).
    /// No active hold: nothing to do, and that is a success.
    pub fn release(
        &mut self,
        sku: &Sku,
        up_to: Option<Quantity>,
        actor: &Actor,
    ) -> Result<(), InventoryError> {
        self.known(sku)?;
        let Some(hold) = self.holds.get_mut(sku) else {
            return Ok(());
        };
        may_touch(actor, hold)?;
        // Not active: nothing is held, so nothing to release.
        let Ok(given) = hold.release(up_to) else {
            return Ok(());
        };
        let order_id = hold.order_id().clone();
        let product = self.products.get_mut(sku).expect("known");
        let movement = product.unreserve(given, &order_id);
        self.changed(sku, movement, actor);
        self.events.push(InventoryEvent::Released {
            location: self.location.clone(),
            order_id,
            items: vec![(sku.clone(), given.qty)],
            saga: actor.is_saga(),
        });
        Ok(())
    }

    /// Remembers that the order is cancelled (it will reserve nothing any more), releases
    /// the saga's active holds of it, and puts back on sale what was committed for it: a
    /// cancelled order was never confirmed, so its commit is compensated. Holds of other
    /// callers that happen to use the order's id are theirs, and left alone. Returns how
    /// many units went back to available stock.
    pub fn cancel_order(&mut self, saga: &Actor) -> Result<i64, InventoryError> {
        let order_id = self.order()?.clone();
        if !self.order_cancelled {
            self.order_cancelled = true;
            self.cancellation_recorded = true;
        }
        let skus: Vec<Sku> = self
            .holds
            .values()
            .filter(|h| saga.may_touch(h.owner()).is_ok())
            .map(|h| h.sku().clone())
            .collect();
        let mut items = Vec::new();
        for sku in skus {
            let (Some(hold), Some(product)) =
                (self.holds.get_mut(&sku), self.products.get_mut(&sku))
            else {
                continue;
            };
            // Released or expired: it gave its units back already.
            let Ok(cancelled) = hold.cancel() else {
                continue;
            };
            let (movement, qty) = match cancelled {
                Cancelled::Released(given) => (product.unreserve(given, &order_id), given.qty),
                Cancelled::Returned(qty) => (product.restock(qty, &order_id), qty),
            };
            self.changed(&sku, movement, saga);
            items.push((sku, qty));
        }
        let total = items.iter().map(|(_, q)| q).sum();
        if !items.is_empty() {
            self.events.push(InventoryEvent::Released {
                location: self.location.clone(),
                order_id,
                items,
                saga: saga.is_saga(),
            });
        }
        Ok(total)
    }

    /// Commits the order's active hold on `sku`. Already committed: no-op.
    pub fn confirm(&mut self, sku: &Sku, actor: &Actor) -> Result<(), InventoryError> {
        self.known(sku)?;
        let order_id = self.order()?.clone();
        let Some(hold) = self.holds.get(sku) else {
            return Err(InventoryError::ReservationNotFound {
                order_id,
                sku: sku.clone(),
            });
        };
        may_touch(actor, hold)?;
        match hold.status() {
            HoldStatus::Committed => Ok(()),
            HoldStatus::Active => {
                let qty = self.commit_hold(sku, actor);
                self.events.push(InventoryEvent::Committed {
                    location: self.location.clone(),
                    order_id,
                    items: vec![(sku.clone(), qty)],
                    saga: actor.is_saga(),
                });
                Ok(())
            }
            _ => Err(not_active(hold)),
        }
    }

    /// The saga commits exactly `lines` of the order, all or nothing: each from the
    /// order's active hold; where the hold expired, was released or was never made, by
    /// taking the units again from available stock; a line already committed stays as it
    /// is. Where the units are gone, nothing changes and the answer is `StockLost`.
    /// Announces `Committed` (with every line) when it committed something. Returns the
    /// lines, all committed now.
    pub fn commit_lines(
        &mut self,
        lines: &[(Sku, Quantity)],
        now: DateTime<Utc>,
        saga: &Actor,
    ) -> Result<Vec<(Sku, i64)>, InventoryError> {
        let order_id = self.order()?.clone();
        if !saga.is_saga() {
            return Err(InventoryError::SagaOnly);
        }
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
        // What each line still needs from available stock (0: its hold covers it).
        let mut needs = Vec::new();
        for (sku, qty) in lines {
            let need = match self.holds.get(sku) {
                Some(hold) => {
                    may_touch(saga, hold)?;
                    if hold.requested() != *qty {
                        return Err(InventoryError::HoldConflict {
                            order_id,
                            sku: sku.clone(),
                            held_for: hold.requested().get(),
                            requested: qty.get(),
                        });
                    }
                    match hold.status() {
                        HoldStatus::Committed => continue,
                        HoldStatus::Active => qty.get() - hold.held(),
                        HoldStatus::Released | HoldStatus::Expired => qty.get(),
                    }
                }
                None => qty.get(),
            };
            needs.push((sku.clone(), *qty, need));
        }
        let shortages: Vec<_> = needs
            .iter()
            .filter_map(|(sku, _, need)| {
                Quantity::parse(*need)
                    .ok()
                    .and_then(|need| self.products[sku].shortage(need))
            })
            .collect();
        if !shortages.is_empty() {
            return Err(InventoryError::StockLost(shortages));
        }
        let mut thresholds = Vec::new();
        for (sku, qty, need) in &needs {
            if let Ok(need) = Quantity::parse(*need) {
                // Taken again as a new reservation, so the trail reads reserved → committed.
                let product = self.products.get_mut(sku).expect("checked above");
                let movement = product.reserve(need, &order_id)?;
                thresholds.extend(product.threshold_events(&movement));
                self.record(movement, saga);
                match self.holds.get_mut(sku) {
                    Some(hold) => hold
                        .retake(need)
                        .expect("a hold not committed takes back what it lacks"),
                    None => {
                        let hold = Reservation::new(
                            self.location.clone(),
                            order_id.clone(),
                            sku.clone(),
                            *qty,
                            now,
                            saga.clone(),
                        );
                        self.holds.insert(sku.clone(), hold);
                    }
                }
            }
            self.commit_hold(sku, saga);
        }
        if !needs.is_empty() {
            self.events.push(InventoryEvent::Committed {
                location: self.location.clone(),
                order_id,
                items: lines.iter().map(|(s, q)| (s.clone(), q.get())).collect(),
                saga: saga.is_saga(),
            });
        }
        self.events.extend(thresholds);
        Ok(lines.iter().map(|(s, q)| (s.clone(), q.get())).collect())
    }

    /// The event path's commit: like `commit_lines`, but it always answers the order,
    /// with `Committed` (also when every line was committed before) or `CommitFailed`.
    pub fn commit_for_order(
        &mut self,
        lines: &[(Sku, Quantity)],
        now: DateTime<Utc>,
        saga: &Actor,
    ) {
        let Some(order_id) = self.order_id.clone() else {
            return;
        };
        let before = self.events.len();
        match self.commit_lines(lines, now, saga) {
            Ok(items) => {
                let announced = self.events[before..]
                    .iter()
                    .any(|e| matches!(e, InventoryEvent::Committed { .. }));
                if !announced {
                    self.events.push(InventoryEvent::Committed {
                        location: self.location.clone(),
                        order_id,
                        items,
                        saga: saga.is_saga(),
                    });
                }
            }
            Err(refusal) => {
                self.events.push(InventoryEvent::CommitFailed {
                    location: self.location.clone(),
                    order_id,
                    reason: CommitFailure::of(refusal),
                });
            }
        }
    }

    /// Releases the hold on `sku` if it is active and its time has come; returns
    /// whether it expired.
    pub fn expire(&mut self, sku: &Sku, now: DateTime<Utc>) -> Result<bool, InventoryError> {
        self.known(sku)?;
        // Not active, or not due yet: nothing expires.
        let Some(hold) = self.holds.get_mut(sku) else {
            return Ok(false);
        };
        let Ok(given) = hold.expire(now) else {
            return Ok(false);
        };
        let order_id = hold.order_id().clone();
        let saga = hold.owner().is_saga();
        let product = self.products.get_mut(sku).expect("known");
        let movement = product.unreserve(given, &order_id);
        self.changed(sku, movement, &Actor::system(EXPIRY, false));
        self.events.push(InventoryEvent::ReservationExpired {
            location: self.location.clone(),
            order_id,
            items: vec![(sku.clone(), given.qty)],
            saga,
        });
        Ok(true)
    }

    pub fn replenish(
        &mut self,
        sku: &Sku,
        qty: Quantity,
        actor: &Actor,
    ) -> Result<(), InventoryError> {
        self.known(sku)?;
        let product = self.products.get_mut(sku).expect("known");
        let movement = product.replenish(qty)?;
        self.record(movement, actor);
        let product = &self.products[sku];
        self.events.push(InventoryEvent::Replenished {
            location: self.location.clone(),
            sku: sku.clone(),
            qty: qty.get(),
            on_hand: product.on_hand(),
            available: product.available(),
        });
        self.changed_products.insert(sku.clone());
        Ok(())
    }

    /// Commits an active hold; returns the units committed.
    fn commit_hold(&mut self, sku: &Sku, actor: &Actor) -> i64 {
        let hold = self.holds.get_mut(sku).expect("caller checked");
        let qty = hold.commit().expect("caller checked the hold is active");
        let order_id = hold.order_id().clone();
        let product = self
            .products
            .get_mut(sku)
            .expect("a hold's product is loaded");
        let movement = product.commit(qty, &order_id);
        self.changed(sku, movement, actor);
        qty
    }

    /// Notes that the hold on `sku` and its product changed, by `movement`.
    fn changed(&mut self, sku: &Sku, movement: Movement, actor: &Actor) {
        self.changed_holds.insert(sku.clone());
        self.changed_products.insert(sku.clone());
        self.record(movement, actor);
    }

    /// Adds a movement to the trail, with who made it.
    fn record(&mut self, mut movement: Movement, actor: &Actor) {
        movement.actor = Some(actor.name().to_owned());
        self.movements.push(movement);
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

/// An actor may touch only the holds it owns (see [`Actor::may_touch`]).
fn may_touch(actor: &Actor, hold: &Reservation) -> Result<(), InventoryError> {
    actor
        .may_touch(hold.owner())
        .map_err(|denied| InventoryError::HoldNotYours {
            order_id: hold.order_id().clone(),
            sku: hold.sku().clone(),
            denied,
        })
}

/// The refusal of a command that needs `hold` active.
fn not_active(hold: &Reservation) -> InventoryError {
    InventoryError::ReservationNotActive {
        order_id: hold.order_id().clone(),
        sku: hold.sku().clone(),
        status: hold.status(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Denied, MovementKind};
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
            LocationId::central(),
            sku(s),
            StockLevel::parse("qty", on_hand).unwrap(),
            StockLevel::default(),
            None,
        )
        .0
    }
    fn shop() -> Actor {
        Actor::caller("shop").unwrap()
    }
    fn saga() -> Actor {
        Actor::system("saga", true)
    }
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }
    fn stock(on_hands: &[(&str, i64)], holds: Vec<Reservation>) -> LockedStock {
        LockedStock::new(
            LocationId::central(),
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
                &shop(),
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
                &shop(),
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
    fn a_reservation_announces_the_unit_price_of_each_priced_line() {
        let eur = crate::domain::Price::parse(1999, "EUR").unwrap();
        let mut priced = product("AAA-0001-AA", 5);
        priced.set_price(eur);
        let mut s = LockedStock::new(
            LocationId::central(),
            Some(order("o-1")),
            false,
            [priced, product("BBB-0001-AA", 5)],
            vec![],
        );
        s.reserve_all(
            &[(sku("AAA-0001-AA"), qty(2)), (sku("BBB-0001-AA"), qty(1))],
            now(),
            &shop(),
        )
        .unwrap();
        let reserved = s
            .events()
            .iter()
            .find_map(|e| match e {
                InventoryEvent::Reserved { items, .. } => Some(items.clone()),
                _ => None,
            })
            .expect("announced");
        assert_eq!(
            reserved,
            [
                (sku("AAA-0001-AA"), 2, Some(eur)),
                (sku("BBB-0001-AA"), 1, None)
            ]
        );
    }

    #[test]
    fn a_repeated_reservation_changes_nothing() {
        let held = Reservation::new(
            LocationId::central(),
            order("o-1"),
            sku("AAA-0001-AA"),
            qty(2),
            now(),
            shop(),
        );
        let mut s = stock(&[("AAA-0001-AA", 5)], vec![held]);
        let holds = s
            .reserve_all(&[(sku("AAA-0001-AA"), qty(2))], now(), &shop())
            .unwrap();
        assert_eq!(holds[0].held(), 2);
        assert!(s.into_changes().movements.is_empty());
    }

    #[test]
    fn a_repeat_with_another_quantity_is_a_conflict() {
        let held = Reservation::new(
            LocationId::central(),
            order("o-1"),
            sku("AAA-0001-AA"),
            qty(2),
            now(),
            shop(),
        );
        let mut s = stock(&[("AAA-0001-AA", 5)], vec![held]);
        let err = s
            .reserve_all(&[(sku("AAA-0001-AA"), qty(3))], now(), &shop())
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
                &shop(),
            )
            .unwrap_err();
        assert_eq!(err, InventoryError::UnknownSku(vec![sku("ZZZ-0001-AA")]));
    }

    #[test]
    fn partial_release_then_release_of_the_rest_then_nothing() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(5))], now(), &shop())
            .unwrap();
        s.release(&sku("AAA-0001-AA"), Some(qty(3)), &shop())
            .unwrap();
        assert_eq!(s.hold(&sku("AAA-0001-AA")).unwrap().held(), 2);
        assert_eq!(s.product(&sku("AAA-0001-AA")).unwrap().reserved(), 2);
        s.release(&sku("AAA-0001-AA"), Some(qty(9)), &shop())
            .unwrap();
        assert_eq!(
            s.hold(&sku("AAA-0001-AA")).unwrap().status(),
            HoldStatus::Released
        );
        s.release(&sku("AAA-0001-AA"), None, &shop()).unwrap();
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
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(2))], now(), &shop())
            .unwrap();
        s.release(&sku("AAA-0001-AA"), None, &shop()).unwrap();
        s.reserve_for_order(&[(sku("AAA-0001-AA"), qty(2))], now(), &shop());
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
        s.release(&sku("AAA-0001-AA"), None, &shop()).unwrap();
        assert!(s.into_changes().movements.is_empty());
    }

    #[test]
    fn confirm_commits_once() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now(), &shop())
            .unwrap();
        s.confirm(&sku("AAA-0001-AA"), &shop()).unwrap();
        s.confirm(&sku("AAA-0001-AA"), &shop()).unwrap();
        let p = s.product(&sku("AAA-0001-AA")).unwrap();
        assert_eq!((p.on_hand(), p.reserved()), (6, 0));
        assert_eq!(s.into_changes().movements.len(), 2);
    }

    #[test]
    fn confirming_a_released_or_missing_hold_is_refused() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        assert!(matches!(
            s.confirm(&sku("AAA-0001-AA"), &shop()),
            Err(InventoryError::ReservationNotFound { .. })
        ));
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now(), &shop())
            .unwrap();
        s.release(&sku("AAA-0001-AA"), None, &shop()).unwrap();
        assert!(matches!(
            s.confirm(&sku("AAA-0001-AA"), &shop()),
            Err(InventoryError::ReservationNotActive { .. })
        ));
    }

    #[test]
    fn a_hold_expires_only_once_its_time_has_come() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now(), &shop())
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

    fn committed(s: &LockedStock, name: &str) -> (i64, i64, HoldStatus) {
        let p = s.product(&sku(name)).unwrap();
        let h = s.hold(&sku(name)).unwrap();
        (p.on_hand(), p.reserved(), h.status())
    }

    #[test]
    fn the_saga_commits_exactly_its_lines_from_the_holds() {
        let mut s = stock(&[("AAA-0001-AA", 10), ("BBB-0001-AA", 5)], vec![]);
        let lines = [(sku("AAA-0001-AA"), qty(3)), (sku("BBB-0001-AA"), qty(2))];
        s.reserve_all(&lines, now(), &saga()).unwrap();
        let committed = s.commit_lines(&lines, now(), &saga()).unwrap();
        assert_eq!(
            committed,
            vec![(sku("AAA-0001-AA"), 3), (sku("BBB-0001-AA"), 2)]
        );
        assert_eq!(committed_state(&s), [(7, 0), (3, 0)]);
        // A repeat changes nothing and still answers the lines.
        assert_eq!(s.commit_lines(&lines, now(), &saga()).unwrap().len(), 2);
        assert_eq!(committed_state(&s), [(7, 0), (3, 0)]);
        let events = s.into_changes().events;
        let commits = events
            .iter()
            .filter(|e| matches!(e, InventoryEvent::Committed { .. }))
            .count();
        assert_eq!(commits, 1, "{events:?}");
    }

    fn committed_state(s: &LockedStock) -> [(i64, i64); 2] {
        ["AAA-0001-AA", "BBB-0001-AA"].map(|n| {
            let p = s.product(&sku(n)).unwrap();
            (p.on_hand(), p.reserved())
        })
    }

    #[test]
    fn an_expired_hold_is_committed_by_taking_its_units_again() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        let line = [(sku("AAA-0001-AA"), qty(4))];
        s.reserve_all(&line, now(), &saga()).unwrap();
        assert!(s.expire(&sku("AAA-0001-AA"), now()).unwrap());
        s.commit_lines(&line, now(), &saga()).unwrap();
        assert_eq!(committed(&s, "AAA-0001-AA"), (6, 0, HoldStatus::Committed));
        assert_eq!(s.hold(&sku("AAA-0001-AA")).unwrap().held(), 4);
        let kinds: Vec<MovementKind> = s.into_changes().movements.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MovementKind::Reserved,
                MovementKind::Expired,
                MovementKind::Reserved,
                MovementKind::Committed
            ]
        );
    }

    #[test]
    fn a_commit_whose_units_are_gone_is_stock_lost_and_changes_nothing() {
        let mut s = stock(&[("AAA-0001-AA", 5), ("BBB-0001-AA", 5)], vec![]);
        let lines = [(sku("AAA-0001-AA"), qty(4)), (sku("BBB-0001-AA"), qty(4))];
        s.reserve_all(&lines, now(), &saga()).unwrap();
        s.expire(&sku("BBB-0001-AA"), now()).unwrap();
        // Someone else takes what the expired hold gave back.
        let mut other = s.clone();
        other.order_id = Some(order("o-2"));
        other.holds.clear();
        other
            .reserve_all(&[(sku("BBB-0001-AA"), qty(3))], now(), &shop())
            .unwrap();
        let mut s = LockedStock::new(
            LocationId::central(),
            Some(order("o-1")),
            false,
            other.products.values().cloned(),
            s.holds.values().cloned(),
        );
        let err = s.commit_lines(&lines, now(), &saga()).unwrap_err();
        assert!(
            matches!(err, InventoryError::StockLost(ref v) if v.len() == 1 && v[0].available == 2),
            "{err:?}"
        );
        assert!(s.clone().into_changes().movements.is_empty());
        s.commit_for_order(&lines, now(), &saga());
        assert!(matches!(
            s.into_changes().events.last(),
            Some(InventoryEvent::CommitFailed {
                reason: CommitFailure::StockLost(_),
                ..
            })
        ));
    }

    #[test]
    fn only_the_saga_commits_and_never_a_cancelled_order() {
        let mut s = stock(&[("AAA-0001-AA", 5)], vec![]);
        let line = [(sku("AAA-0001-AA"), qty(1))];
        assert_eq!(
            s.commit_lines(&line, now(), &shop()).unwrap_err(),
            InventoryError::SagaOnly
        );
        let mut s = LockedStock::new(
            LocationId::central(),
            Some(order("o-1")),
            true,
            [product("AAA-0001-AA", 5)],
            [],
        );
        assert!(matches!(
            s.commit_lines(&line, now(), &saga()),
            Err(InventoryError::OrderCancelled(_))
        ));
    }

    #[test]
    fn nobody_but_the_saga_touches_a_saga_hold() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        let line = [(sku("AAA-0001-AA"), qty(4))];
        s.reserve_all(&line, now(), &saga()).unwrap();
        for refused in [
            s.release(&sku("AAA-0001-AA"), None, &shop()),
            s.confirm(&sku("AAA-0001-AA"), &shop()),
            s.reserve_all(&line, now(), &shop()).map(drop),
        ] {
            assert!(
                matches!(
                    refused,
                    Err(InventoryError::HoldNotYours {
                        denied: Denied::OwnedByOrder,
                        ..
                    })
                ),
                "{refused:?}"
            );
        }
        assert_eq!(s.product(&sku("AAA-0001-AA")).unwrap().reserved(), 4);
    }

    #[test]
    fn a_caller_cannot_release_another_callers_hold() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now(), &shop())
            .unwrap();
        let ops = Actor::caller("ops").unwrap();
        assert!(matches!(
            s.release(&sku("AAA-0001-AA"), None, &ops),
            Err(InventoryError::HoldNotYours {
                denied: Denied::OwnedByAnotherCaller,
                ..
            })
        ));
        s.release(&sku("AAA-0001-AA"), None, &shop()).unwrap();
        assert_eq!(s.product(&sku("AAA-0001-AA")).unwrap().reserved(), 0);
    }

    #[test]
    fn cancelling_releases_the_sagas_holds_and_returns_what_was_committed() {
        let mut s = stock(&[("AAA-0001-AA", 10), ("BBB-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(3))], now(), &saga())
            .unwrap();
        s.commit_lines(&[(sku("AAA-0001-AA"), qty(3))], now(), &saga())
            .unwrap();
        s.reserve_all(&[(sku("BBB-0001-AA"), qty(2))], now(), &saga())
            .unwrap();
        assert_eq!(s.cancel_order(&saga()).unwrap(), 5);
        assert_eq!(committed(&s, "AAA-0001-AA"), (10, 0, HoldStatus::Released));
        assert_eq!(committed(&s, "BBB-0001-AA"), (10, 0, HoldStatus::Released));
        let c = s.into_changes();
        assert_eq!(c.movements.last().unwrap().kind, MovementKind::Released);
        assert!(c.movements.iter().any(|m| m.kind == MovementKind::Returned));
        assert_eq!(c.cancelled_order, Some(order("o-1")));
    }

    #[test]
    fn every_movement_names_who_made_it() {
        let mut s = stock(&[("AAA-0001-AA", 10)], vec![]);
        s.reserve_all(&[(sku("AAA-0001-AA"), qty(4))], now(), &shop())
            .unwrap();
        s.expire(&sku("AAA-0001-AA"), now()).unwrap();
        let names: Vec<Option<String>> = s
            .into_changes()
            .movements
            .into_iter()
            .map(|m| m.actor)
            .collect();
        assert_eq!(names, [Some("shop".to_owned()), Some(EXPIRY.to_owned())]);
    }
}
