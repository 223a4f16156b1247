//! One sample of every event type, and the envelope and wire forms the tests start from.

use chrono::{DateTime, Duration, TimeZone, Utc};
use contracts::Money;
use contracts::events::{
    CommitFailureReason, Envelope, EventLine, EventShortage, EventType, OrderCancelled,
    OrderCommitRequested, OrderConfirmed, OrderCreated, ProductInventoryBelowSafetyStock,
    ProductInventoryCommitFailed, ProductInventoryCommitted, ProductInventoryCreated,
    ProductInventoryDepleted, ProductInventoryPriceChanged, ProductInventoryReleased,
    ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, RawEnvelope,
    ReservationFailureReason, ReservedLine,
};
use serde_json::Value;

/// Calls the generic function `$check` once with a sample of every event type.
macro_rules! with_every_event {
    ($check:ident) => {{
        use $crate::samples as sample;
        $check(sample::created());
        $check(sample::reserved());
        $check(sample::reservation_failed());
        $check(sample::released());
        $check(sample::committed());
        $check(sample::commit_failed());
        $check(sample::replenished());
        $check(sample::reservation_expired());
        $check(sample::depleted());
        $check(sample::below_safety_stock());
        $check(sample::price_changed());
        $check(sample::order_created());
        $check(sample::order_commit_requested());
        $check(sample::order_confirmed());
        $check(sample::order_cancelled());
    }};
}
pub(crate) use with_every_event;

/// When the samples occurred: fixed, with milliseconds, so the wire form is known.
pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53).unwrap() + Duration::milliseconds(589)
}

pub fn lines() -> Vec<EventLine> {
    vec![
        EventLine {
            sku: "SKU-001".into(),
            qty: 2,
        },
        EventLine {
            sku: "SKU-002".into(),
            qty: 1,
        },
    ]
}

/// The price of one unit of `SKU-001`.
pub fn price() -> Money {
    Money {
        amount: 1999,
        currency: "EUR".into(),
    }
}

/// [`lines`] as reserved: `SKU-001` priced, `SKU-002` not.
pub fn reserved_lines() -> Vec<ReservedLine> {
    let mut lines: Vec<ReservedLine> = lines().into_iter().map(ReservedLine::from).collect();
    lines[0].unit_price = Some(price());
    lines
}

pub fn created() -> ProductInventoryCreated {
    ProductInventoryCreated {
        store_id: "central".into(),
        sku: "SKU-001".into(),
        on_hand: 10,
        safety_stock: 3,
    }
}

pub fn reserved() -> ProductInventoryReserved {
    ProductInventoryReserved {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        items: reserved_lines(),
        expires_at: at() + Duration::minutes(15),
    }
}

pub fn reservation_failed() -> ProductInventoryReservationFailed {
    ProductInventoryReservationFailed {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        reason: ReservationFailureReason::InsufficientStock,
        shortages: vec![EventShortage {
            sku: "SKU-001".into(),
            requested: 5,
            available: 2,
        }],
        unknown_skus: vec!["SKU-404".into()],
    }
}

pub fn released() -> ProductInventoryReleased {
    ProductInventoryReleased {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        items: lines(),
    }
}

pub fn committed() -> ProductInventoryCommitted {
    ProductInventoryCommitted {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        items: lines(),
    }
}

pub fn commit_failed() -> ProductInventoryCommitFailed {
    ProductInventoryCommitFailed {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        reason: CommitFailureReason::StockLost,
        shortages: vec![EventShortage {
            sku: "SKU-002".into(),
            requested: 1,
            available: 0,
        }],
    }
}

pub fn replenished() -> ProductInventoryReplenished {
    ProductInventoryReplenished {
        store_id: "central".into(),
        sku: "SKU-001".into(),
        qty: 20,
        on_hand: 30,
        available: 28,
    }
}

pub fn reservation_expired() -> ProductInventoryReservationExpired {
    ProductInventoryReservationExpired {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        items: lines(),
    }
}

pub fn depleted() -> ProductInventoryDepleted {
    ProductInventoryDepleted {
        store_id: "central".into(),
        sku: "SKU-001".into(),
        on_hand: 2,
        reserved: 2,
    }
}

pub fn below_safety_stock() -> ProductInventoryBelowSafetyStock {
    ProductInventoryBelowSafetyStock {
        store_id: "central".into(),
        sku: "SKU-001".into(),
        available: 2,
        safety_stock: 3,
    }
}

pub fn price_changed() -> ProductInventoryPriceChanged {
    ProductInventoryPriceChanged {
        store_id: "central".into(),
        sku: "SKU-001".into(),
        unit_price: price(),
    }
}

pub fn order_created() -> OrderCreated {
    OrderCreated {
        location_id: None,
        order_id: "ord-42".into(),
        customer_id: Some("cus-7".into()),
        items: lines(),
        ttl_seconds: Some(900),
    }
}

pub fn order_commit_requested() -> OrderCommitRequested {
    OrderCommitRequested {
        order_id: "ord-42".into(),
        items: lines(),
    }
}

pub fn order_confirmed() -> OrderConfirmed {
    OrderConfirmed {
        order_id: "ord-42".into(),
        items: lines(),
    }
}

pub fn order_cancelled() -> OrderCancelled {
    OrderCancelled {
        order_id: "ord-42".into(),
        reason: "customer asked".into(),
    }
}

/// `data` in an envelope, as its publisher would make it.
pub fn envelope<T: EventType>(data: T) -> Envelope<T> {
    Envelope::new("inventory-service", at(), Some("ord-42"), "ord-42", data)
}

/// A message of `T` as a producer would put it on the wire.
pub fn wire<T: EventType>(data: T) -> Value {
    serde_json::to_value(envelope(data)).expect("an envelope serializes")
}

/// What a consumer reads first: the envelope with `data` not read yet.
pub fn raw(message: Value) -> RawEnvelope {
    serde_json::from_value(message).expect("the envelope itself is well formed")
}
