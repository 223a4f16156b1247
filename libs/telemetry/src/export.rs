//! Runs the OTLP exporter's HTTP calls on a small Tokio runtime of its own.
//!
//! The SDK's batch span processor exports from its own OS thread, which has no Tokio
//! runtime, while the OTLP/HTTP exporter sends with the async reqwest client, which needs
//! one (without it every export panics with "there is no reactor running" and no span
//! ever leaves the process). A single-threaded runtime owned by the exporter and driven
//! only while a batch is sent keeps export independent of the service's runtime: it works
//! during shutdown, whatever the flavour of the service's runtime, and uses no thread of
//! its own between batches.

use std::{future::Future, time::Duration};

use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    trace::{SpanData, SpanExporter},
};
use tokio::runtime::{Builder, Runtime};

/// `E`, with every export driven to completion on a private current-thread runtime.
///
/// Must only be used behind the SDK's `BatchSpanProcessor`, whose worker thread is the
/// only caller of `export`: blocking on a runtime from inside another one would panic.
#[derive(Debug)]
pub(crate) struct OnOwnRuntime<E> {
    inner: E,
    runtime: Runtime,
}

impl<E> OnOwnRuntime<E> {
    pub(crate) fn new(inner: E) -> std::io::Result<Self> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        Ok(Self { inner, runtime })
    }
}

impl<E: SpanExporter> SpanExporter for OnOwnRuntime<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let result = self.runtime.block_on(self.inner.export(batch));
        std::future::ready(result)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::{
        Router,
        body::Bytes,
        extract::State,
        http::{HeaderMap, header::CONTENT_TYPE},
        routing::post,
    };
    use opentelemetry::trace::{Tracer as _, TracerProvider as _};
    use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;

    use super::OnOwnRuntime;

    /// What the fake collector received: content type and body size of each request.
    type Received = Arc<Mutex<Vec<(String, usize)>>>;

    async fn collect(State(received): State<Received>, headers: HeaderMap, body: Bytes) {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        received
            .lock()
            .expect("not poisoned")
            .push((content_type, body.len()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn batched_spans_reach_an_otlp_http_collector_from_the_processor_thread() {
        let received = Received::default();
        let collector = Router::new()
            .route("/v1/traces", post(collect))
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, collector).await });

        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("http://{address}/v1/traces"))
            .build()
            .expect("an exporter");
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(OnOwnRuntime::new(exporter).expect("a runtime"))
            .build();
        provider.tracer("test").in_span("reserve", |_| {});
        // Shutdown flushes the batch and waits for the processor thread: blocking, so off
        // the runtime that serves the collector.
        tokio::task::spawn_blocking(move || provider.shutdown())
            .await
            .expect("joined")
            .expect("flushed and shut down");

        let received = received.lock().expect("not poisoned").clone();
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0].0, "application/x-protobuf");
        assert!(received[0].1 > 0);
    }
}
