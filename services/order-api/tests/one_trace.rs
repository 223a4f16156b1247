//! One checkout is one trace: across order-api, order-service, inventory-api and
//! inventory-service, over HTTP and through RabbitMQ (the outbox relay continues the
//! trace of the request that wrote the event), with every parent link resolvable.
//!
//! Its own test binary: the span capture must be the process's first telemetry set-up.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::{collections::HashSet, time::Duration};

use opentelemetry::trace::SpanId;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn one_checkout_is_one_trace_across_every_service_and_the_broker() {
    let captured = telemetry::capture_spans_for_tests();
    let system = helpers::spawn_system().await;
    system.create_stock("ABC-1234-AB", 10).await;

    let r = system
        .checkout(json!([{"sku": "ABC-1234-AB", "qty": 2}]), None)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let order: Value = r.json().await.unwrap();
    // OrderConfirmed reaches the inventory, which commits the hold.
    system
        .stock_until("ABC-1234-AB", |s| s.on_hand == 8 && s.reserved == 0)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let spans = captured.get_finished_spans().unwrap();
    let root = spans
        .iter()
        .find(|s| s.name == "POST /checkout")
        .expect("the checkout's server span");
    let trace_id = root.span_context.trace_id();
    let trace: Vec<_> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace_id)
        .collect();
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_ref()).collect();

    for expected in [
        "POST /checkout",
        "POST /orders",
        "POST /orders/{id}/confirm",
        "publish",
        "consume",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from the trace: {names:?}"
        );
    }
    // inventory-api and inventory-service both serve the reservation.
    assert!(
        names.iter().filter(|n| **n == "POST /reservations").count() >= 2,
        "{names:?}"
    );

    let ids: HashSet<SpanId> = trace.iter().map(|s| s.span_context.span_id()).collect();
    for span in &trace {
        if span.span_context.span_id() != root.span_context.span_id() {
            assert!(
                ids.contains(&span.parent_span_id),
                "span {} has a parent outside the trace",
                span.name
            );
        }
    }
    assert_eq!(
        root.parent_span_id,
        SpanId::INVALID,
        "the checkout starts the trace"
    );
    assert!(order["orderId"].is_string());
}
