//! The HTTP shell every service's routes are served in.

use access::{Access, LoadLimits};
use axum::{Router, extract::DefaultBodyLimit, routing::get};

/// Wraps `routes` in what every service answers the same way, from the inside out:
///
/// 1. problem+json answers for unknown routes (404) and methods (405);
/// 2. the body limit, read by the JSON extractor, whose rejection is a 413 problem;
/// 3. with `access` (the facades): the callers' keys, scopes and rates, inside the
///    trace layer so the caller is named on the request's span;
/// 4. load shedding: 503 with `Retry-After` at once when full, 504 when a request
///    takes too long; outside the access layer, so a shed request costs no key digest;
/// 5. request metrics and traces, outside all of these so every refusal is counted and
///    traced too;
/// 6. `/metrics`, added after the layers, which wrap only the routes added before them:
///    a scrape is neither traced nor counted.
pub fn shell<S>(
    routes: Router<S>,
    state: S,
    body_limit_bytes: usize,
    access: Option<&Access>,
    limits: &LoadLimits,
) -> Router
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = problem::with_fallbacks(routes).layer(DefaultBodyLimit::max(body_limit_bytes));
    if let Some(access) = access {
        router = router.layer(access.layer());
    }
    router
        .layer(limits.layer())
        .layer(telemetry::metrics::http_metrics_layer())
        .layer(telemetry::http_trace_layer())
        .route("/metrics", get(telemetry::metrics::route))
        .with_state(state)
}
