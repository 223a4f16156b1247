//! Domain values rendered as the contract's response DTOs.

use contracts::inventory::{HoldView, MovementView, StockView};

use crate::application::{MovementRecord, StockRecord};
use crate::domain::Reservation;

pub(super) fn stock(record: StockRecord) -> StockView {
    let p = &record.product;
    StockView {
        store_id: "central".into(),
        sku: p.sku().to_string(),
        on_hand: p.on_hand(),
        reserved: p.reserved(),
        available: p.available(),
        safety_stock: p.safety_stock(),
        below_safety_stock: p.is_below_safety_stock(),
        version: p.version(),
        updated_at: record.updated_at,
    }
}

pub(super) fn movement(record: MovementRecord) -> MovementView {
    let m = record.movement;
    MovementView {
        store_id: "central".into(),
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

pub(super) fn hold(hold: Reservation) -> HoldView {
    HoldView {
        sku: hold.sku().to_string(),
        qty: hold.held(),
        status: hold.status().to_string(),
        expires_at: hold.expires_at(),
    }
}
