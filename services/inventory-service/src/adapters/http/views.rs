//! Domain values rendered as the contract's response DTOs.

use contracts::inventory::{HoldView, LocationView, MovementView, StockView};

use crate::adapters::events;
use crate::application::{LocationRecord, MovementRecord, PricedHold, StockRecord};

pub(super) fn stock(record: StockRecord) -> StockView {
    // The same shape the stock-changed event carries: one rendering for both.
    events::stock_view(&record.product, record.updated_at)
}

pub(super) fn location(record: LocationRecord) -> LocationView {
    LocationView {
        store_id: record.id.to_string(),
        name: record.name,
        created_at: record.created_at,
    }
}

pub(super) fn movement(record: MovementRecord) -> MovementView {
    let m = record.movement;
    MovementView {
        store_id: m.location.to_string(),
        id: record.id,
        sku: m.sku.to_string(),
        kind: m.kind.to_string(),
        qty: m.qty,
        order_id: m.order_id.map(|o| o.to_string()),
        on_hand_after: m.on_hand_after,
        reserved_after: m.reserved_after,
        crossed_below_safety_stock: m.crossed_below_safety_stock,
        actor: m.actor,
        occurred_at: record.occurred_at,
    }
}

pub(super) fn hold(priced: PricedHold) -> HoldView {
    let PricedHold { hold, unit_price } = priced;
    HoldView {
        sku: hold.sku().to_string(),
        qty: hold.held(),
        status: hold.status().to_string(),
        expires_at: hold.expires_at(),
        unit_price: unit_price.map(|p| p.to_money()),
    }
}
