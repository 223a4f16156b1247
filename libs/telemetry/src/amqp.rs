//! W3C trace context over RabbitMQ. lapin carries no trace context of its own, so
//! `traceparent`/`tracestate` travel as AMQP message headers (long strings): a publisher
//! calls [`inject`] (or [`inject_traceparent`] with the one an outbox row kept), a
//! consumer calls [`set_parent_from`] on the span it handles the message in.

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use opentelemetry::{
    Context, global,
    propagation::{Extractor, Injector},
};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Writes the current span's context into a message's headers.
pub fn inject(headers: &mut FieldTable) {
    let context = crate::propagation::current_context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut FieldTableInjector(headers));
    });
}

/// Writes a `traceparent` kept earlier (by the transaction that wrote an outbox row)
/// into a message's headers as is, so the consumer continues the trace that produced
/// the event rather than the relay's.
pub fn inject_traceparent(headers: &mut FieldTable, traceparent: &str) {
    FieldTableInjector(headers).set("traceparent", traceparent.to_owned());
}

/// The context a message carries, or an empty one (a new trace) when it carries none,
/// never the context of whatever is current in the consumer. Give it to the span the
/// message is handled in with `OpenTelemetrySpanExt::set_parent`, before entering it.
pub fn extract(headers: Option<&FieldTable>) -> Context {
    let Some(headers) = headers else {
        return Context::new();
    };
    global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &FieldTableExtractor(headers))
    })
}

/// Makes `span` continue the trace the message carries (or start a new one). Call it
/// before the span is first entered: a started span keeps its parent.
pub fn set_parent_from(span: &tracing::Span, headers: Option<&FieldTable>) {
    // Fails only for a span that is not traced or already started; either way the
    // message is still handled, only without the link to its producer.
    let _ = span.set_parent(extract(headers));
}

struct FieldTableInjector<'a>(&'a mut FieldTable);

impl Injector for FieldTableInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // Propagation keys are short; a key too long for AMQP is dropped, not a panic.
        if let Ok(key) = ShortString::try_new(key) {
            self.0
                .insert(key, AMQPValue::LongString(LongString::from(value)));
        }
    }
}

struct FieldTableExtractor<'a>(&'a FieldTable);

impl Extractor for FieldTableExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match self.0.inner().get(key)? {
            AMQPValue::LongString(value) => std::str::from_utf8(value.as_bytes()).ok(),
            AMQPValue::ShortString(value) => Some(value.as_str()),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.0.inner().keys().map(ShortString::as_str).collect()
    }
}
