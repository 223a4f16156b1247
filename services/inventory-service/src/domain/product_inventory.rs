//! `ProductInventory`: the stock of one SKU at one location.
//!
//! Invariants: `0 <= reserved <= on_hand` (so `available = on_hand - reserved` is never
//! negative), `on_hand <= MAX_ON_HAND`, and `version` grows by one with every change.
//! Each change of stock returns the `Movement` that records it. A row may carry the price
//! of one unit; a price is not stock, so setting it moves the version on but records no
//! movement.

use super::{
    CorruptState, GivenBack, InventoryError, InventoryEvent, LocationId, Movement, MovementKind,
    OrderId, Price, Quantity, Shortage, Sku, StockLevel,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInventory {
    location: LocationId,
    sku: Sku,
    on_hand: i64,
    reserved: i64,
    safety_stock: i64,
    unit_price: Option<Price>,
    version: i64,
}

impl ProductInventory {
    /// The largest on hand the system stores.
    pub const MAX_ON_HAND: i64 = 1_000_000_000_000;

    /// A new SKU, priced or not, and its `created` movement (which counts as a crossing
    /// when the initial stock already sits under the safety stock: the purchase order is
    /// due at once).
    pub fn create(
        location: LocationId,
        sku: Sku,
        initial: StockLevel,
        safety_stock: StockLevel,
        unit_price: Option<Price>,
    ) -> (Self, Movement) {
        let product = Self {
            location,
            sku,
            on_hand: initial.get(),
            reserved: 0,
            safety_stock: safety_stock.get(),
            unit_price,
            version: 1,
        };
        let movement = product.movement(
            MovementKind::Created,
            initial.get(),
            None,
            product.is_below_safety_stock(),
        );
        (product, movement)
    }

    /// Rebuilds a stored aggregate, refusing a state that breaks the invariants.
    pub fn restore(
        location: LocationId,
        sku: Sku,
        on_hand: i64,
        reserved: i64,
        safety_stock: i64,
        unit_price: Option<Price>,
        version: i64,
    ) -> Result<Self, CorruptState> {
        if !(0 <= reserved && reserved <= on_hand && on_hand <= Self::MAX_ON_HAND) {
            return Err(CorruptState::Stock {
                sku,
                on_hand,
                reserved,
                max: Self::MAX_ON_HAND,
            });
        }
        if safety_stock < 0 {
            return Err(CorruptState::SafetyStock { sku, safety_stock });
        }
        Ok(Self {
            location,
            sku,
            on_hand,
            reserved,
            safety_stock,
            unit_price,
            version,
        })
    }

    pub fn location(&self) -> &LocationId {
        &self.location
    }
    pub fn sku(&self) -> &Sku {
        &self.sku
    }
    pub fn on_hand(&self) -> i64 {
        self.on_hand
    }
    pub fn reserved(&self) -> i64 {
        self.reserved
    }
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
    pub fn safety_stock(&self) -> i64 {
        self.safety_stock
    }
    /// The price of one unit, when the SKU has one here.
    pub fn unit_price(&self) -> Option<Price> {
        self.unit_price
    }
    pub fn version(&self) -> i64 {
        self.version
    }
    pub fn is_below_safety_stock(&self) -> bool {
        self.available() < self.safety_stock
    }

    /// What is missing to reserve `qty`, if anything.
    pub fn shortage(&self, qty: Quantity) -> Option<Shortage> {
        (self.available() < qty.get()).then(|| Shortage {
            sku: self.sku.clone(),
            requested: qty.get(),
            available: self.available(),
        })
    }

    pub fn reserve(
        &mut self,
        qty: Quantity,
        order_id: &OrderId,
    ) -> Result<Movement, InventoryError> {
        if let Some(shortage) = self.shortage(qty) {
            return Err(InventoryError::InsufficientStock(vec![shortage]));
        }
        let was_below = self.is_below_safety_stock();
        self.reserved += qty.get();
        self.version += 1;
        let crossed = !was_below && self.is_below_safety_stock();
        Ok(self.movement(MovementKind::Reserved, qty.get(), Some(order_id), crossed))
    }

    /// Takes back the units a hold gave back; the movement says why (released or
    /// expired).
    pub(super) fn unreserve(&mut self, given: GivenBack, order_id: &OrderId) -> Movement {
        debug_assert!(0 < given.qty && given.qty <= self.reserved);
        self.reserved -= given.qty;
        self.version += 1;
        self.movement(
            given.cause.movement_kind(),
            given.qty,
            Some(order_id),
            false,
        )
    }

    /// The held units leave the building: on hand and reserved both drop.
    pub(super) fn commit(&mut self, qty: i64, order_id: &OrderId) -> Movement {
        debug_assert!(0 < qty && qty <= self.reserved);
        self.on_hand -= qty;
        self.reserved -= qty;
        self.version += 1;
        self.movement(MovementKind::Committed, qty, Some(order_id), false)
    }

    /// Committed units come back on sale (their order was cancelled before it was
    /// confirmed): on hand rises, reserved does not change.
    pub(super) fn restock(&mut self, qty: i64, order_id: &OrderId) -> Movement {
        debug_assert!(0 < qty);
        self.on_hand = (self.on_hand + qty).min(Self::MAX_ON_HAND);
        self.version += 1;
        self.movement(MovementKind::Returned, qty, Some(order_id), false)
    }

    pub fn replenish(&mut self, qty: Quantity) -> Result<Movement, InventoryError> {
        if self.on_hand + qty.get() > Self::MAX_ON_HAND {
            return Err(InventoryError::StockLimit {
                sku: self.sku.clone(),
                max: Self::MAX_ON_HAND,
            });
        }
        self.on_hand += qty.get();
        self.version += 1;
        Ok(self.movement(MovementKind::Replenished, qty.get(), None, false))
    }

    /// Sets the price of one unit, and answers the event that announces it; the price it
    /// has already changes nothing and announces nothing.
    pub fn set_price(&mut self, price: Price) -> Option<InventoryEvent> {
        if self.unit_price == Some(price) {
            return None;
        }
        self.unit_price = Some(price);
        self.version += 1;
        Some(InventoryEvent::PriceChanged {
            location: self.location.clone(),
            sku: self.sku.clone(),
            unit_price: price,
        })
    }

    /// Units leave for another location: on hand drops, never under what is reserved.
    pub(super) fn transfer_out(&mut self, qty: Quantity) -> Result<Movement, InventoryError> {
        if let Some(shortage) = self.shortage(qty) {
            return Err(InventoryError::InsufficientStock(vec![shortage]));
        }
        let was_below = self.is_below_safety_stock();
        self.on_hand -= qty.get();
        self.version += 1;
        let crossed = !was_below && self.is_below_safety_stock();
        Ok(self.movement(MovementKind::TransferredOut, qty.get(), None, crossed))
    }

    /// Units arrive from another location.
    pub(super) fn transfer_in(&mut self, qty: Quantity) -> Result<Movement, InventoryError> {
        if self.on_hand + qty.get() > Self::MAX_ON_HAND {
            return Err(InventoryError::StockLimit {
                sku: self.sku.clone(),
                max: Self::MAX_ON_HAND,
            });
        }
        self.on_hand += qty.get();
        self.version += 1;
        Ok(self.movement(MovementKind::TransferredIn, qty.get(), None, false))
    }

    /// The threshold events a movement that lowered available stock triggers: the
    /// safety-stock crossing it flagged, and depletion when nothing is left.
    pub fn threshold_events(&self, movement: &Movement) -> Vec<InventoryEvent> {
        let mut events = Vec::new();
        if movement.crossed_below_safety_stock {
            events.push(InventoryEvent::BelowSafetyStock {
                location: self.location.clone(),
                sku: self.sku.clone(),
                available: self.available(),
                safety_stock: self.safety_stock,
            });
        }
        let took_stock = matches!(
            movement.kind,
            MovementKind::Reserved | MovementKind::TransferredOut
        );
        if took_stock && self.available() == 0 {
            events.push(InventoryEvent::Depleted {
                location: self.location.clone(),
                sku: self.sku.clone(),
                on_hand: self.on_hand,
                reserved: self.reserved,
            });
        }
        events
    }

    /// The events of a newly created product.
    pub fn created_events(&self, created: &Movement) -> Vec<InventoryEvent> {
        let mut events = vec![InventoryEvent::Created {
            location: self.location.clone(),
            sku: self.sku.clone(),
            on_hand: self.on_hand,
            safety_stock: self.safety_stock,
        }];
        events.extend(self.threshold_events(created));
        events
    }

    fn movement(
        &self,
        kind: MovementKind,
        qty: i64,
        order_id: Option<&OrderId>,
        crossed_below_safety_stock: bool,
    ) -> Movement {
        Movement {
            location: self.location.clone(),
            sku: self.sku.clone(),
            kind,
            qty,
            order_id: order_id.cloned(),
            on_hand_after: self.on_hand,
            reserved_after: self.reserved,
            crossed_below_safety_stock,
            actor: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn product(on_hand: i64, safety: i64) -> ProductInventory {
        ProductInventory::create(
            LocationId::central(),
            Sku::parse("ABC-1234-AB").unwrap(),
            StockLevel::parse("qty", on_hand).unwrap(),
            StockLevel::parse("safetyStock", safety).unwrap(),
            None,
        )
        .0
    }
    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }
    fn order() -> OrderId {
        OrderId::parse("order-001").unwrap()
    }

    #[test]
    fn reserving_more_than_available_is_refused_and_changes_nothing() {
        let mut p = product(3, 0);
        let before = p.clone();
        let err = p.reserve(qty(4), &order()).unwrap_err();
        assert_eq!(
            err,
            InventoryError::InsufficientStock(vec![Shortage {
                sku: p.sku().clone(),
                requested: 4,
                available: 3
            }])
        );
        assert_eq!(p, before);
    }

    #[test]
    fn a_reservation_moves_units_from_available_to_reserved() {
        let mut p = product(10, 0);
        let m = p.reserve(qty(4), &order()).unwrap();
        assert_eq!(
            (p.on_hand(), p.reserved(), p.available(), p.version()),
            (10, 4, 6, 2)
        );
        assert_eq!(
            (m.kind, m.qty, m.on_hand_after, m.reserved_after),
            (MovementKind::Reserved, 4, 10, 4)
        );
    }

    #[test]
    fn crossing_under_the_safety_stock_is_flagged_once() {
        let mut p = product(10, 5);
        assert!(
            !p.reserve(qty(5), &order())
                .unwrap()
                .crossed_below_safety_stock
        );
        assert!(
            p.reserve(qty(1), &order())
                .unwrap()
                .crossed_below_safety_stock
        );
        assert!(
            !p.reserve(qty(1), &order())
                .unwrap()
                .crossed_below_safety_stock
        );
        assert!(p.is_below_safety_stock());
    }

    #[test]
    fn a_product_created_under_its_safety_stock_is_due_for_reorder_at_once() {
        let (_, created) = ProductInventory::create(
            LocationId::central(),
            Sku::parse("ABC-1234-AB").unwrap(),
            StockLevel::parse("qty", 2).unwrap(),
            StockLevel::parse("safetyStock", 5).unwrap(),
            None,
        );
        assert!(created.crossed_below_safety_stock);
    }

    #[test]
    fn commit_takes_units_out_of_on_hand_and_reserved() {
        let mut p = product(10, 0);
        p.reserve(qty(4), &order()).unwrap();
        let m = p.commit(4, &order());
        assert_eq!((p.on_hand(), p.reserved(), p.available()), (6, 0, 6));
        assert_eq!(m.kind, MovementKind::Committed);
    }

    #[test]
    fn replenishing_past_the_limit_is_refused() {
        let mut p = ProductInventory::restore(
            LocationId::central(),
            Sku::parse("ABC-1234-AB").unwrap(),
            ProductInventory::MAX_ON_HAND,
            0,
            0,
            None,
            1,
        )
        .unwrap();
        assert!(matches!(
            p.replenish(qty(1)),
            Err(InventoryError::StockLimit { .. })
        ));
    }

    #[test]
    fn restore_refuses_a_state_that_breaks_the_invariants() {
        let sku = Sku::parse("ABC-1234-AB").unwrap();
        assert!(matches!(
            ProductInventory::restore(LocationId::central(), sku.clone(), 1, 2, 0, None, 1),
            Err(CorruptState::Stock { .. })
        ));
        assert!(
            ProductInventory::restore(LocationId::central(), sku.clone(), 1, -1, 0, None, 1)
                .is_err()
        );
        assert_eq!(
            ProductInventory::restore(LocationId::central(), sku.clone(), 1, 0, -1, None, 1),
            Err(CorruptState::SafetyStock {
                sku,
                safety_stock: -1
            })
        );
    }

    fn eur(amount: i64) -> Price {
        Price::parse(amount, "EUR").unwrap()
    }

    #[test]
    fn a_new_sku_may_be_priced_from_the_start() {
        let (p, created) = ProductInventory::create(
            LocationId::central(),
            Sku::parse("ABC-1234-AB").unwrap(),
            StockLevel::parse("qty", 3).unwrap(),
            StockLevel::default(),
            Some(eur(250)),
        );
        assert_eq!((p.unit_price(), p.version()), (Some(eur(250)), 1));
        assert_eq!(created.kind, MovementKind::Created);
        assert_eq!(product(3, 0).unit_price(), None);
    }

    #[test]
    fn setting_a_price_moves_the_version_on_and_announces_it_but_leaves_the_stock() {
        let mut p = product(10, 0);
        p.reserve(qty(4), &order()).unwrap();
        let before = p.clone();
        let event = p.set_price(eur(1999));
        assert_eq!(
            event,
            Some(InventoryEvent::PriceChanged {
                location: LocationId::central(),
                sku: p.sku().clone(),
                unit_price: eur(1999),
            })
        );
        assert_eq!(p.unit_price(), Some(eur(1999)));
        assert_eq!(p.version(), before.version() + 1);
        assert_eq!(
            (p.on_hand(), p.reserved(), p.safety_stock()),
            (before.on_hand(), before.reserved(), before.safety_stock())
        );
        let other_currency = p.set_price(Price::parse(1999, "USD").unwrap());
        assert!(other_currency.is_some());
        assert_eq!(p.version(), before.version() + 2);
    }

    #[test]
    fn setting_the_price_a_row_has_changes_nothing() {
        let mut p = product(10, 0);
        p.set_price(eur(500)).unwrap();
        let before = p.clone();
        assert_eq!(p.set_price(eur(500)), None);
        assert_eq!(p, before);
    }

    proptest! {
        /// Whatever sequence of reservations arrives, available never goes negative and
        /// the movements replay to the final state.
        #[test]
        fn available_is_never_negative(start in 0i64..50, asks in proptest::collection::vec(1i64..20, 0..40)) {
            let mut p = product(start, 10);
            let mut reserved = 0;
            for a in asks {
                if let Ok(m) = p.reserve(qty(a), &order()) {
                    reserved += m.qty;
                    prop_assert_eq!(m.reserved_after, reserved);
                }
                prop_assert!(p.available() >= 0);
            }
            prop_assert_eq!(p.reserved(), reserved);
        }
    }
}
