//! The OpenTelemetry side of [`crate::init`]: who emits (the resource), where spans go
//! (read once from the standard `OTEL_*` variables) and the tracer provider that the
//! tracing layer feeds. Never exports unless an OTLP endpoint is configured.

use std::env;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{ExporterBuildError, SpanExporter};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};

use crate::export::OnOwnRuntime;

/// The name spans are reported under: `OTEL_SERVICE_NAME` wins over the name the service
/// gives itself, so an operator can tell two deployments of one binary apart.
pub(crate) fn service_name(given: &'static str) -> String {
    env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| given.to_owned())
}

/// `service.name` and `service.version`, on top of what the SDK detects itself
/// (`OTEL_RESOURCE_ATTRIBUTES`, the SDK's own attributes). Every crate of the workspace
/// shares one version, so this crate's version is the service's.
pub(crate) fn resource(service_name: &str) -> Resource {
    Resource::builder()
        .with_service_name(service_name.to_owned())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Where finished spans go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Destination {
    /// Nowhere: spans still get ids, so context still propagates, but nothing is sent.
    Nowhere,
    /// An OTLP/HTTP collector (Tempo, an OpenTelemetry Collector) at the configured
    /// endpoint, which the exporter reads from the same variables.
    Otlp,
}

impl Destination {
    /// OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
    /// is set, unless `OTEL_TRACES_EXPORTER=none` turns export off.
    pub(crate) fn from_env() -> Self {
        let set = |name: &str| env::var(name).is_ok_and(|value| !value.trim().is_empty());
        let switched_off = env::var("OTEL_TRACES_EXPORTER")
            .is_ok_and(|value| value.trim().eq_ignore_ascii_case("none"));
        let endpoint =
            set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || set("OTEL_EXPORTER_OTLP_ENDPOINT");
        if endpoint && !switched_off {
            Self::Otlp
        } else {
            Self::Nowhere
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Nowhere => "none",
            Self::Otlp => "otlp",
        }
    }
}

/// The tracer provider for `destination`. An exporter that cannot be built does not stop
/// the service: the provider is returned without it, with the reason, for the caller to
/// log once the subscriber is installed.
pub(crate) fn tracer_provider(
    resource: Resource,
    destination: Destination,
) -> (SdkTracerProvider, Option<ExporterBuildError>) {
    let builder = SdkTracerProvider::builder().with_resource(resource);
    match destination {
        Destination::Nowhere => (builder.build(), None),
        Destination::Otlp => match otlp_exporter() {
            Ok(exporter) => (builder.with_batch_exporter(exporter).build(), None),
            Err(err) => (builder.build(), Some(err)),
        },
    }
}

fn otlp_exporter() -> Result<OnOwnRuntime<SpanExporter>, ExporterBuildError> {
    let exporter = SpanExporter::builder().with_http().build()?;
    OnOwnRuntime::new(exporter).map_err(|err| {
        ExporterBuildError::InternalFailure(format!("starting the export runtime: {err}"))
    })
}
