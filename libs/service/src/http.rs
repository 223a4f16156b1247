//! The HTTP shell every service's routes are served in.

use std::net::IpAddr;

use access::{Access, AccessSettings, LoadLimits};
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

/// Who may call a facade and how much at once: the callers of `settings` (`API_KEYS`
/// and the rest, checked against `bind_addr`: without keys only loopback is allowed),
/// and at most `max_concurrent` requests in flight unless `MAX_CONCURRENT_REQUESTS`
/// says otherwise. Says in the log, first, whether keys are needed and who holds one.
pub fn facade_admission(
    settings: &AccessSettings,
    bind_addr: IpAddr,
    max_concurrent: usize,
) -> anyhow::Result<(Access, LoadLimits)> {
    let access = settings.access(bind_addr)?;
    tracing::info!("{}", access.start_line());
    let limits = settings.load_limits_or(LoadLimits::new(
        max_concurrent,
        access::DEFAULT_REQUEST_TIMEOUT,
    )?)?;
    Ok((access, limits))
}
