//! Readers tolerate older and newer producers: unknown fields are ignored, optional
//! fields may be missing.

use std::fmt::Debug;

use contracts::events::{
    CommitFailureReason, Envelope, EventLine, EventType, OrderCancelled, OrderConfirmed,
    OrderCreated, ProductInventoryCommitFailed, ProductInventoryPriceChanged,
    ProductInventoryReservationFailed, ProductInventoryReserved, ReservationFailureReason,
};
use serde_json::{Value, json};

use crate::samples::{
    envelope, lines, order_confirmed, order_created, price_changed, raw, reserved, wire,
    with_every_event,
};

#[test]
fn unknown_fields_in_the_envelope_and_in_data_are_ignored() {
    fn check<T: EventType + PartialEq + Debug + Clone>(data: T) {
        let sent = envelope(data);
        let mut message = serde_json::to_value(&sent).unwrap();
        message["schemaUrl"] = json!("https://example.test/schemas");
        message["tenant"] = json!({ "id": 7 });
        message["data"]["addedLater"] = json!([1, 2, 3]);
        let typed: Envelope<T> = serde_json::from_value(message.clone()).unwrap();
        assert_eq!(typed, sent, "{} as Envelope<T>", T::TYPE);
        assert_eq!(
            raw(message).decode::<T>(),
            Ok(sent),
            "{} through decode",
            T::TYPE
        );
    }
    with_every_event!(check);
}

#[test]
fn unknown_fields_in_nested_payload_items_are_ignored() {
    let mut message = wire(order_created());
    message["data"]["items"][0]["warehouse"] = json!("north");
    let decoded = raw(message).decode::<OrderCreated>().unwrap();
    assert_eq!(decoded.data.items, lines());
}

#[test]
fn an_envelope_without_order_id_still_reads() {
    let mut message = wire(order_confirmed());
    message.as_object_mut().unwrap().remove("orderId");
    let decoded = raw(message).decode::<OrderConfirmed>().unwrap();
    assert_eq!(decoded.order_id, None);
}

#[test]
fn an_order_created_without_customer_or_ttl_still_reads() {
    let mut message = wire(order_created());
    let data = message["data"].as_object_mut().unwrap();
    data.remove("customerId");
    data.remove("ttlSeconds");
    let decoded = raw(message).decode::<OrderCreated>().unwrap();
    assert_eq!(decoded.data.customer_id, None);
    assert_eq!(decoded.data.ttl_seconds, None);
    assert_eq!(decoded.data.items, lines());
}

#[test]
fn an_order_created_with_null_customer_and_ttl_still_reads() {
    let mut message = wire(order_created());
    message["data"]["customerId"] = Value::Null;
    message["data"]["ttlSeconds"] = Value::Null;
    let decoded = raw(message).decode::<OrderCreated>().unwrap();
    assert_eq!(
        (decoded.data.customer_id, decoded.data.ttl_seconds),
        (None, None)
    );
}

#[test]
fn a_reservation_failure_without_shortages_or_unknown_skus_still_reads() {
    let mut message = wire(ProductInventoryReservationFailed {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        reason: ReservationFailureReason::OrderCancelled,
        shortages: vec![],
        unknown_skus: vec![],
    });
    let data = message["data"].as_object_mut().unwrap();
    data.remove("shortages");
    data.remove("unknownSkus");
    let decoded = raw(message)
        .decode::<ProductInventoryReservationFailed>()
        .unwrap();
    assert_eq!(
        decoded.data.reason,
        ReservationFailureReason::OrderCancelled
    );
    assert!(decoded.data.shortages.is_empty());
    assert!(decoded.data.unknown_skus.is_empty());
}

#[test]
fn an_order_cancelled_without_a_reason_still_reads() {
    let mut message = wire(OrderCancelled {
        order_id: "ord-42".into(),
        reason: "late".into(),
    });
    message["data"].as_object_mut().unwrap().remove("reason");
    let decoded = raw(message).decode::<OrderCancelled>().unwrap();
    assert_eq!(decoded.data.reason, "");
}

#[test]
fn an_order_confirmed_without_items_still_reads() {
    // Written before the confirmation carried its lines.
    let mut message = wire(order_confirmed());
    message["data"].as_object_mut().unwrap().remove("items");
    let decoded = raw(message).decode::<OrderConfirmed>().unwrap();
    assert_eq!(decoded.data.order_id, "ord-42");
    assert!(decoded.data.items.is_empty());
}

#[test]
fn a_commit_failure_without_shortages_still_reads() {
    let mut message = wire(ProductInventoryCommitFailed {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        reason: CommitFailureReason::OrderCancelled,
        shortages: vec![],
    });
    message["data"].as_object_mut().unwrap().remove("shortages");
    let decoded = raw(message)
        .decode::<ProductInventoryCommitFailed>()
        .unwrap();
    assert_eq!(decoded.data.reason, CommitFailureReason::OrderCancelled);
    assert!(decoded.data.shortages.is_empty());
}

#[test]
fn a_reservation_without_unit_prices_still_reads() {
    // Published before stock had prices.
    let mut message = wire(reserved());
    for item in message["data"]["items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("unitPrice");
    }
    let decoded = raw(message).decode::<ProductInventoryReserved>().unwrap();
    assert!(decoded.data.items.iter().all(|l| l.unit_price.is_none()));
    let units: Vec<EventLine> = decoded.data.items.into_iter().map(Into::into).collect();
    assert_eq!(units, lines());
}

#[test]
fn a_price_change_without_a_store_is_central() {
    let mut message = wire(price_changed());
    message["data"].as_object_mut().unwrap().remove("storeId");
    let decoded = raw(message)
        .decode::<ProductInventoryPriceChanged>()
        .unwrap();
    assert_eq!(decoded.data.store_id, "central");
}
