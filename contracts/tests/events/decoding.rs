//! What `RawEnvelope::decode` refuses, and the reason it gives, which becomes the
//! `x-dead-reason` of the dead letter.

use contracts::events::{
    OrderCancelled, OrderCommitRequested, OrderConfirmed, OrderCreated,
    ProductInventoryCommitFailed, ProductInventoryReservationFailed, RawEnvelope,
    ReservationFailureReason,
};
use serde_json::json;

use crate::samples::{
    commit_failed, order_commit_requested, order_confirmed, order_created, raw, wire,
};

#[test]
fn decode_accepts_its_own_type_and_version() {
    let decoded = raw(wire(order_confirmed())).decode::<OrderConfirmed>();
    assert_eq!(decoded.unwrap().data.order_id, "ord-42");
}

#[test]
fn decode_refuses_another_event_type_and_names_both() {
    let error = raw(wire(order_confirmed()))
        .decode::<OrderCancelled>()
        .unwrap_err();
    assert_eq!(error, "expected OrderCancelled, got OrderConfirmed");
}

#[test]
fn decode_refuses_an_unknown_major_version_and_says_which() {
    let mut message = wire(order_confirmed());
    message["version"] = json!(2);
    let error = raw(message).decode::<OrderConfirmed>().unwrap_err();
    assert_eq!(
        error,
        "OrderConfirmed version 2 is not supported (this reader knows version 1)"
    );
}

#[test]
fn decode_refuses_data_that_does_not_match_and_says_what_is_wrong() {
    let mut message = wire(order_created());
    message["data"] = json!({ "customerId": "cus-7", "items": [] });
    let error = raw(message).decode::<OrderCreated>().unwrap_err();
    assert!(
        error.starts_with("OrderCreated data does not match its schema"),
        "{error}"
    );
    assert!(error.contains("missing field `orderId`"), "{error}");

    let mut message = wire(order_created());
    message["data"]["items"][0]["qty"] = json!("two");
    let error = raw(message).decode::<OrderCreated>().unwrap_err();
    assert!(
        error.starts_with("OrderCreated data does not match its schema"),
        "{error}"
    );
    assert!(error.contains("invalid type"), "{error}");
}

#[test]
fn decode_refuses_a_failure_reason_it_does_not_know() {
    let mut message = wire(ProductInventoryReservationFailed {
        store_id: "central".into(),
        order_id: "ord-42".into(),
        reason: ReservationFailureReason::UnknownSku,
        shortages: vec![],
        unknown_skus: vec!["SKU-404".into()],
    });
    message["data"]["reason"] = json!("warehouse_on_fire");
    let error = raw(message)
        .decode::<ProductInventoryReservationFailed>()
        .unwrap_err();
    assert!(
        error.contains("unknown variant `warehouse_on_fire`"),
        "{error}"
    );
}

#[test]
fn decode_refuses_a_commit_failure_reason_it_does_not_know() {
    let mut message = wire(commit_failed());
    message["data"]["reason"] = json!("warehouse_on_fire");
    let error = raw(message)
        .decode::<ProductInventoryCommitFailed>()
        .unwrap_err();
    assert!(
        error.contains("unknown variant `warehouse_on_fire`"),
        "{error}"
    );
}

#[test]
fn decode_refuses_a_commit_request_without_its_lines() {
    let mut message = wire(order_commit_requested());
    message["data"].as_object_mut().unwrap().remove("items");
    let error = raw(message).decode::<OrderCommitRequested>().unwrap_err();
    assert!(error.contains("missing field `items`"), "{error}");
}

#[test]
fn a_message_missing_envelope_metadata_does_not_parse() {
    for key in [
        "id",
        "type",
        "version",
        "source",
        "occurredAt",
        "correlationId",
        "data",
    ] {
        let mut message = wire(order_confirmed());
        message.as_object_mut().unwrap().remove(key);
        let error = serde_json::from_value::<RawEnvelope>(message).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&format!("missing field `{key}`")),
            "{error}"
        );
    }
}
