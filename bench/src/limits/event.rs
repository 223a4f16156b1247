//! The event both limits carry, shaped and sized as inventory-service's own: what the
//! reservation statement writes to the outbox, and what the raw broker publishes.

use chrono::{DateTime, Utc};
use contracts::events::{Envelope, ProductInventoryReserved, ReservedLine};

use crate::scenario::{HOLD_TTL_SECONDS, HOT_SKU};

/// The publisher of the events.
pub const SOURCE: &str = "inventory-service";
/// The trace context the events carry, as the service's do.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The event of a client's hold of one unit, as inventory-service publishes it.
pub fn reserved(occurred_at: DateTime<Utc>) -> Envelope<ProductInventoryReserved> {
    let order_id = uuid::Uuid::now_v7().to_string();
    let data = ProductInventoryReserved {
        store_id: "central".into(),
        order_id: order_id.clone(),
        items: vec![ReservedLine {
            sku: HOT_SKU.to_owned(),
            qty: 1,
            unit_price: None,
        }],
        expires_at: occurred_at + chrono::Duration::seconds(HOLD_TTL_SECONDS),
    };
    Envelope::new(SOURCE, occurred_at, Some(&order_id), &order_id, data)
}
