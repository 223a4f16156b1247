//! JSON log lines that lead to their trace: each line logged inside a traced span
//! carries that span's `trace_id` and `span_id`, the fields Grafana uses to jump from a
//! log line to its trace in Tempo.
//!
//! The line itself is tracing-subscriber's JSON format; the two ids are spliced in before
//! its closing brace, which keeps this a few lines instead of a JSON writer of our own.

use std::fmt;

use opentelemetry::trace::TraceContextExt as _;
use tracing::{Event, Subscriber};
use tracing_subscriber::{
    fmt::{
        FmtContext, FormatEvent, FormatFields,
        format::{Format, Json, Writer},
    },
    registry::LookupSpan,
};

/// tracing-subscriber's flattened JSON event, with the current span, plus the ids of the
/// OpenTelemetry span active when the event is logged.
#[derive(Debug)]
pub(crate) struct JsonWithTraceIds {
    json: Format<Json>,
}

impl JsonWithTraceIds {
    pub(crate) fn new() -> Self {
        Self {
            json: tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_current_span(true),
        }
    }
}

impl<S, N> FormatEvent<S, N> for JsonWithTraceIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // The OpenTelemetry layer makes a span's context current when the span is
        // entered, so this is the innermost traced span around the event: no lookup in
        // the span registry needed.
        let context = opentelemetry::Context::current();
        let span = context.span();
        let ids = span.span_context();
        if !ids.is_valid() {
            return self.json.format_event(ctx, writer, event);
        }
        let mut line = String::with_capacity(256);
        self.json.format_event(ctx, Writer::new(&mut line), event)?;
        let Some(end) = line.rfind('}') else {
            return writer.write_str(&line);
        };
        let (object, rest) = line.split_at(end);
        write!(
            writer,
            r#"{object},"trace_id":"{}","span_id":"{}"{rest}"#,
            ids.trace_id(),
            ids.span_id()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::{
        io,
        sync::{Arc, Mutex},
    };

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::{fmt, prelude::*};

    use super::JsonWithTraceIds;

    /// Log output kept in memory, one `Vec` shared by every writer the layer makes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self.0.lock().expect("not poisoned").clone();
            String::from_utf8(bytes)
                .expect("utf-8")
                .lines()
                .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
                .collect()
        }
    }

    #[test]
    fn a_json_line_logged_in_a_traced_span_carries_its_trace_and_span_ids() {
        let provider = SdkTracerProvider::builder().build();
        let output = Captured::default();
        let writer = output.clone();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(
                fmt::layer()
                    .json()
                    .event_format(JsonWithTraceIds::new())
                    .with_writer(move || writer.clone()),
            );

        let traceparent = tracing::subscriber::with_default(subscriber, || {
            tracing::info!("before any span");
            let span = tracing::info_span!("reserve", sku = "ABC-1234-AB");
            let _entered = span.enter();
            tracing::info!(quantity = 2, "reserved");
            crate::current_traceparent().expect("the span is traced")
        });

        let lines = output.lines();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].get("trace_id").is_none(), "{}", lines[0]);
        let inside = &lines[1];
        let mut ids = traceparent.split('-').skip(1);
        assert_eq!(inside["trace_id"], ids.next().expect("trace id"));
        assert_eq!(inside["span_id"], ids.next().expect("span id"));
        assert_eq!(inside["message"], "reserved");
        assert_eq!(inside["quantity"], 2);
        assert_eq!(inside["span"]["sku"], "ABC-1234-AB");
    }
}
