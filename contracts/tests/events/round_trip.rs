//! Every event reads back equal from its JSON, and the JSON has the agreed shape.

use std::fmt::Debug;

use contracts::events::{
    CommitFailureReason, Envelope, EventType, ProductInventoryDepleted, RawEnvelope,
    ReservationFailureReason,
};
use serde_json::{Value, json};

use crate::samples::{
    at, commit_failed, envelope, order_commit_requested, order_confirmed, order_created,
    price_changed, reserved, wire, with_every_event,
};

#[test]
fn every_event_reads_back_equal_from_its_json() {
    fn check<T: EventType + PartialEq + Debug + Clone>(data: T) {
        let sent = envelope(data);
        let text = serde_json::to_string(&sent).unwrap();
        let typed: Envelope<T> = serde_json::from_str(&text).unwrap();
        assert_eq!(typed, sent, "{} as Envelope<T>", T::TYPE);
        let decoded = serde_json::from_str::<RawEnvelope>(&text)
            .unwrap()
            .decode::<T>();
        assert_eq!(decoded, Ok(sent), "{} through RawEnvelope::decode", T::TYPE);
    }
    with_every_event!(check);
}

#[test]
fn a_new_envelope_carries_its_event_type_version_and_a_fresh_id() {
    fn check<T: EventType + Clone>(data: T) {
        let first = envelope(data.clone());
        let second = envelope(data);
        assert_eq!(first.event_type, T::TYPE);
        assert_eq!(first.version, T::VERSION);
        assert_ne!(
            first.id,
            second.id,
            "{}: every event has its own id",
            T::TYPE
        );
    }
    with_every_event!(check);
}

#[test]
fn the_envelope_json_has_the_agreed_camel_case_keys() {
    fn check<T: EventType>(data: T) {
        let message = wire(data);
        let keys: Vec<&str> = message
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "correlationId",
                "data",
                "id",
                "occurredAt",
                "orderId",
                "source",
                "type",
                "version"
            ],
            "{}",
            T::TYPE
        );
        assert_eq!(message["type"], T::TYPE);
        assert_eq!(message["version"], T::VERSION);
        assert_eq!(message["occurredAt"], "2025-03-14T09:26:53.589Z");
        assert_no_snake_case_key(&message, T::TYPE);
    }
    with_every_event!(check);
}

fn assert_no_snake_case_key(value: &Value, event_type: &str) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                assert!(
                    !key.contains('_'),
                    "{event_type}: key `{key}` is not camelCase"
                );
                assert_no_snake_case_key(inner, event_type);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| assert_no_snake_case_key(item, event_type)),
        _ => {}
    }
}

#[test]
fn payload_fields_are_camel_case_on_the_wire() {
    let message = wire(order_created());
    assert_eq!(
        message["data"],
        json!({
            "orderId": "ord-42",
            "customerId": "cus-7",
            "items": [{ "sku": "SKU-001", "qty": 2 }, { "sku": "SKU-002", "qty": 1 }],
            "ttlSeconds": 900
        })
    );
}

#[test]
fn an_envelope_without_an_order_omits_the_order_id() {
    let sent = Envelope::new(
        "inventory-service",
        at(),
        None,
        "SKU-001",
        ProductInventoryDepleted {
            store_id: "central".into(),
            sku: "SKU-001".into(),
            on_hand: 0,
            reserved: 0,
        },
    );
    let message = serde_json::to_value(&sent).unwrap();
    assert!(message.get("orderId").is_none());
    assert_eq!(message["correlationId"], "SKU-001");
}

#[test]
fn failure_reasons_are_snake_case_values() {
    let reasons = [
        (
            ReservationFailureReason::InsufficientStock,
            "insufficient_stock",
        ),
        (ReservationFailureReason::UnknownSku, "unknown_sku"),
        (ReservationFailureReason::OrderCancelled, "order_cancelled"),
        (
            ReservationFailureReason::ReservationConflict,
            "reservation_conflict",
        ),
    ];
    for (reason, wire) in reasons {
        assert_eq!(serde_json::to_value(reason).unwrap(), wire);
    }
}

#[test]
fn commit_failure_reasons_are_snake_case_values() {
    let reasons = [
        (CommitFailureReason::StockLost, "stock_lost"),
        (CommitFailureReason::OrderCancelled, "order_cancelled"),
        (
            CommitFailureReason::ReservationConflict,
            "reservation_conflict",
        ),
        (CommitFailureReason::UnknownSku, "unknown_sku"),
    ];
    for (reason, wire) in reasons {
        assert_eq!(serde_json::to_value(reason).unwrap(), wire);
    }
}

#[test]
fn a_commit_request_names_the_order_and_exactly_its_lines() {
    assert_eq!(
        wire(order_commit_requested())["data"],
        json!({
            "orderId": "ord-42",
            "items": [{ "sku": "SKU-001", "qty": 2 }, { "sku": "SKU-002", "qty": 1 }]
        })
    );
}

#[test]
fn a_failed_commit_says_why_and_what_was_short() {
    assert_eq!(
        wire(commit_failed())["data"],
        json!({
            "storeId": "central",
            "orderId": "ord-42",
            "reason": "stock_lost",
            "shortages": [{ "sku": "SKU-002", "requested": 1, "available": 0 }]
        })
    );
}

#[test]
fn a_confirmed_order_carries_its_committed_lines() {
    assert_eq!(
        wire(order_confirmed())["data"],
        json!({
            "orderId": "ord-42",
            "items": [{ "sku": "SKU-001", "qty": 2 }, { "sku": "SKU-002", "qty": 1 }]
        })
    );
}

#[test]
fn a_reservation_carries_the_unit_price_of_each_priced_line() {
    assert_eq!(
        wire(reserved())["data"]["items"],
        json!([
            { "sku": "SKU-001", "qty": 2, "unitPrice": { "amount": 1999, "currency": "EUR" } },
            { "sku": "SKU-002", "qty": 1 }
        ])
    );
}

#[test]
fn a_price_change_names_the_row_and_its_new_price() {
    assert_eq!(
        wire(price_changed())["data"],
        json!({
            "storeId": "central",
            "sku": "SKU-001",
            "unitPrice": { "amount": 1999, "currency": "EUR" }
        })
    );
}
