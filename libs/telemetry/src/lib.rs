//! Telemetry set up once, in `main`, the same way for every service: structured logs
//! (JSON lines by default, human-readable with `LOG_FORMAT=pretty`) filtered by
//! `RUST_LOG`, an HTTP trace layer whose spans are named by route template, and the
//! shutdown signal every server and worker listens to.

use axum::{extract::MatchedPath, http::Request};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::{Level, Span};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init(service: &'static str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let pretty = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("pretty"));
    let registry = tracing_subscriber::registry().with(filter);
    if pretty {
        registry.with(fmt::layer()).init();
    } else {
        registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .init();
    }
    tracing::info!(
        service,
        version = env!("CARGO_PKG_VERSION"),
        "telemetry ready"
    );
}

/// A span per request, named after the matched route template (never the raw path, so
/// `/inventory/ABC-1234-AB` and `/inventory/XYZ-0000-AA` are one route).
pub fn http_trace_layer() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    impl Fn(&Request<axum::body::Body>) -> Span + Clone,
> {
    TraceLayer::new_for_http()
        .make_span_with(|req: &Request<axum::body::Body>| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("unmatched");
            tracing::info_span!(
                "http_request",
                http.request.method = %req.method(),
                http.route = route,
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
}

/// Resolves on Ctrl-C or SIGTERM: the moment to stop accepting work and drain.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, draining");
}
