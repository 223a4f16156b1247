//! The current span's trace context as a `traceparent` and in outgoing HTTP and AMQP
//! headers, and back out of AMQP headers on the consuming side.

use axum::http::HeaderMap;
use lapin::types::{AMQPValue, FieldTable};
use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// `00-<32 hex>-<16 hex>-<2 hex>`, the W3C version 00 layout.
fn is_w3c_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    parts.len() == 4
        && parts[0] == "00"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
}

fn trace_id_of(traceparent: &str) -> &str {
    traceparent
        .split('-')
        .nth(1)
        .expect("a traceparent has a trace id")
}

#[test]
fn inside_a_span_the_current_traceparent_is_a_valid_w3c_value() {
    telemetry::init_for_tests();
    let span = tracing::info_span!("work");
    let _entered = span.enter();

    let traceparent = telemetry::current_traceparent().expect("a traced span is current");

    assert!(is_w3c_traceparent(&traceparent), "{traceparent}");
}

#[test]
fn outside_any_span_there_is_no_current_traceparent() {
    telemetry::init_for_tests();

    assert_eq!(telemetry::current_traceparent(), None);
}

#[test]
fn a_child_span_inherits_the_trace_id_and_has_its_own_span_id() {
    telemetry::init_for_tests();
    let parent = tracing::info_span!("parent");
    let _in_parent = parent.enter();
    let parent_traceparent = telemetry::current_traceparent().expect("parent is traced");

    let child = tracing::info_span!("child");
    let _in_child = child.enter();
    let child_traceparent = telemetry::current_traceparent().expect("child is traced");

    assert_eq!(
        trace_id_of(&child_traceparent),
        trace_id_of(&parent_traceparent)
    );
    assert_ne!(child_traceparent, parent_traceparent);
}

#[test]
fn injected_http_headers_carry_the_current_traceparent() {
    telemetry::init_for_tests();
    let span = tracing::info_span!("outgoing_call");
    let _entered = span.enter();
    let mut headers = HeaderMap::new();

    telemetry::inject_http_headers(&mut headers);

    let injected = headers
        .get("traceparent")
        .expect("a traceparent header")
        .to_str()
        .expect("ascii");
    assert!(is_w3c_traceparent(injected), "{injected}");
    assert_eq!(Some(injected.to_owned()), telemetry::current_traceparent());
}

#[test]
fn a_context_injected_into_amqp_headers_is_extracted_with_the_same_trace_id() {
    telemetry::init_for_tests();
    let span = tracing::info_span!("publish");
    let _entered = span.enter();
    let sent = telemetry::current_traceparent().expect("publish is traced");
    let mut headers = FieldTable::default();

    telemetry::amqp::inject(&mut headers);

    assert!(matches!(
        headers.inner().get("traceparent"),
        Some(AMQPValue::LongString(_))
    ));
    let received = telemetry::amqp::extract(Some(&headers));
    let received = received.span().span_context().clone();
    assert!(received.is_remote());
    assert_eq!(received.trace_id().to_string(), trace_id_of(&sent));
}

#[test]
fn a_stored_traceparent_travels_as_is_and_the_consumer_span_continues_its_trace() {
    telemetry::init_for_tests();
    let stored = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut headers = FieldTable::default();
    telemetry::amqp::inject_traceparent(&mut headers, stored);

    let consume = tracing::info_span!("consume");
    telemetry::amqp::set_parent_from(&consume, Some(&headers));
    let _entered = consume.enter();

    let current = telemetry::current_traceparent().expect("consume is traced");
    assert_eq!(trace_id_of(&current), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_ne!(
        current, stored,
        "the consumer span is a child, not the producer"
    );
}

#[test]
fn a_message_without_headers_starts_a_new_trace_instead_of_joining_the_current_one() {
    telemetry::init_for_tests();
    let consumer_loop = tracing::info_span!("consumer_loop");
    let _in_loop = consumer_loop.enter();
    let loop_traceparent = telemetry::current_traceparent().expect("loop is traced");

    assert!(
        !telemetry::amqp::extract(None)
            .span()
            .span_context()
            .is_valid()
    );
    let consume = tracing::info_span!("consume");
    telemetry::amqp::set_parent_from(&consume, None);
    let _entered = consume.enter();

    let current = telemetry::current_traceparent().expect("consume is traced");
    assert_ne!(trace_id_of(&current), trace_id_of(&loop_traceparent));
    assert!(consume.context().span().span_context().is_valid());
}
