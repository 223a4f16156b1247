//! The outbox as a bounded queue: new work is refused while this process's relay is
//! behind.
//!
//! Every change a service accepts writes events to its outbox, and its relay publishes
//! them as fast as the broker and the cores allow. Accepting changes faster than that
//! only grows the outbox: each event then waits longer for its consumers (the event hop,
//! the stock view's lag, the event path of the saga), seconds after a short overload,
//! while every request is still answered as if all were well. So, as the HTTP layers
//! answer 503 when too many requests are in flight, a service answers 503 to *new work*
//! when its relay is too far behind, and the rows already written drain.
//!
//! - **How far behind.** The age of the oldest event the relay claimed in its last batch:
//!   how long that event waited in the outbox. [`RelayLag`] keeps it, the relay writes it
//!   after every batch (zero when the batch found nothing due). While the relay is not
//!   connected, nothing is measured: a broker outage is what the outbox is there to
//!   absorb, and refusing would not shorten it. After a reconnect, the rows the outage
//!   left count as written at the reconnect, so the bound applies to how fast they drain,
//!   not to how long the outage was.
//! - **What is refused.** Only requests that start new work, on the routes a service
//!   puts behind [`refuse_while_behind`] (a new hold, a new order). The steps of work
//!   already accepted (a commit, a release, a confirm, an event from the broker) always
//!   run, so that what was accepted finishes and its holds come back.
//! - **The answer.** 503 `outbox_backlogged` with `Retry-After: 1`, counted in
//!   `outbox_backpressure_refusals_total`; nothing is written.
//! - `OUTBOX_MAX_LAG_MS` sets the bound (see the service settings); 0 turns it off.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics::{counter, describe_counter};
use problem::Problem;

const REFUSALS: &str = "outbox_backpressure_refusals_total";

/// How long the oldest event of the relay's last batch had waited; written by the
/// relay, read by the routes that start new work.
#[derive(Debug, Clone, Default)]
pub struct RelayLag(Arc<AtomicU64>);

impl RelayLag {
    /// After a batch whose oldest row had waited `oldest` (zero: nothing was due).
    pub(crate) fn record(&self, oldest: Duration) {
        let micros = u64::try_from(oldest.as_micros()).unwrap_or(u64::MAX);
        self.0.store(micros, Ordering::Relaxed);
    }

    /// The relay lost the broker: it is not publishing, so nothing is measured.
    pub(crate) fn disconnected(&self) {
        self.record(Duration::ZERO);
    }

    /// How far behind the relay is: zero when it is not.
    pub fn behind(&self) -> Duration {
        Duration::from_micros(self.0.load(Ordering::Relaxed))
    }
}

/// The bound on the relay's lag beyond which new work is refused.
#[derive(Debug, Clone)]
pub struct Backpressure {
    lag: RelayLag,
    max_lag: Duration,
}

impl Backpressure {
    /// Refuses new work while `lag` is over `max_lag`; a zero `max_lag` never refuses.
    pub fn new(lag: RelayLag, max_lag: Duration) -> Self {
        describe_counter!(
            REFUSALS,
            "Requests for new work refused (503) because the outbox relay was behind"
        );
        counter!(REFUSALS).increment(0);
        Self { lag, max_lag }
    }

    /// How far behind the relay is, when that is over the bound.
    fn over_bound(&self) -> Option<Duration> {
        if self.max_lag.is_zero() {
            return None;
        }
        Some(self.lag.behind()).filter(|behind| *behind > self.max_lag)
    }
}

/// Middleware for the routes that start new work (`axum::middleware::from_fn_with_state`
/// with a [`Backpressure`]): 503 `outbox_backlogged` while the relay is behind.
pub async fn refuse_while_behind(
    State(backpressure): State<Backpressure>,
    request: Request,
    next: Next,
) -> Response {
    let Some(behind) = backpressure.over_bound() else {
        return next.run(request).await;
    };
    counter!(REFUSALS).increment(1);
    let mut response = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "outbox_backlogged",
        "Events are behind",
    )
    .with_detail(format!(
        "this service's events are {} ms behind (the bound is {} ms); nothing was done, retry shortly",
        behind.as_millis(),
        backpressure.max_lag.as_millis()
    ))
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, middleware, routing::post};
    use tower::ServiceExt as _;

    use super::*;

    fn app(backpressure: Backpressure) -> Router {
        Router::new()
            .route("/work", post(|| async { StatusCode::CREATED }))
            .route_layer(middleware::from_fn_with_state(
                backpressure,
                refuse_while_behind,
            ))
    }

    async fn post_work(app: &Router) -> Response {
        let request = Request::post("/work").body(Body::empty()).unwrap();
        app.clone().oneshot(request).await.unwrap()
    }

    const BOUND: Duration = Duration::from_millis(250);

    #[tokio::test]
    async fn events_older_than_the_bound_refuse_new_work() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND));

        lag.record(Duration::from_millis(250));
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);

        lag.record(Duration::from_millis(300));
        let refused = post_work(&app).await;
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(refused.into_body(), 4096)
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "outbox_backlogged");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("300 ms behind"),
            "{problem}"
        );
    }

    #[tokio::test]
    async fn a_relay_that_catches_up_takes_work_again() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND));
        lag.record(Duration::from_secs(2));
        assert_eq!(
            post_work(&app).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );

        lag.record(Duration::from_millis(3));
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn a_relay_without_its_broker_measures_nothing() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND));
        lag.record(Duration::from_secs(2));

        lag.disconnected();
        assert_eq!(lag.behind(), Duration::ZERO);
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn a_zero_bound_never_refuses() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), Duration::ZERO));
        lag.record(Duration::from_secs(60));
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }
}
