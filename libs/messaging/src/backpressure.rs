//! The event path as a bounded queue: new work is refused while this service's events
//! are behind, in its outbox or in its consumers' queues.
//!
//! Every change a service accepts writes events to its outbox, its relay publishes them
//! as fast as the broker and the cores allow, and its consumers take them as fast as they
//! can handle them. Accepting changes faster than that only grows a queue, the outbox or
//! a consumer's: each event then waits longer (the event hop, the stock view's lag, the
//! event path of the saga), seconds after a short overload, while every request is still
//! answered as if all were well. So, as the HTTP layers answer 503 when too many requests
//! are in flight, a service answers 503 to *new work* while its events are too far
//! behind, and what was already written drains.
//!
//! - **How far behind, in the outbox.** The age of the oldest event the relay claimed in
//!   its last batch: how long that event waited. The relay writes it into [`RelayLag`]
//!   after every batch (zero when the batch found nothing due). While the relay is not
//!   connected, nothing is measured: a broker outage is what the outbox is there to
//!   absorb, and refusing would not shorten it. After a reconnect, the rows the outage
//!   left count as written at the reconnect, so the bound applies to how fast they drain,
//!   not to how long the outage was.
//! - **How far behind, at the consumers.** The ready messages, all told, in the consumer
//!   queues of the event path (every queue of the system's table: a saga's new work
//!   fills the queues its service publishes to and those that answer it), which the
//!   relay reads every [`crate::relay::QUEUES_SAMPLED_EVERY`] with a passive declare.
//! - **What is refused.** Only requests that start new work, on the routes a service
//!   puts behind [`refuse_while_behind`] (a new hold, a new order). The steps of work
//!   already accepted (a commit, a release, a confirm, an event from the broker) always
//!   run, so that what was accepted finishes and its holds come back.
//! - **The answer.** 503 `events_backlogged` with `Retry-After: 1` and which bound was
//!   passed, counted in `outbox_backpressure_refusals_total`; nothing is written.
//! - `OUTBOX_MAX_LAG_MS` and `CONSUMERS_MAX_QUEUED` set the bounds (see the service
//!   settings); 0 turns either off.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics::{counter, describe_counter};
use problem::Problem;

const REFUSALS: &str = "outbox_backpressure_refusals_total";

/// How far behind the events are, written by this service's relay: how long the oldest
/// event of its last batch had waited, and how many events wait, not yet delivered, in
/// the event path's consumer queues. Read by the routes that start new work.
#[derive(Debug, Clone, Default)]
pub struct RelayLag {
    age_micros: Arc<AtomicU64>,
    queued: Arc<AtomicU64>,
}

impl RelayLag {
    /// After a batch whose oldest row had waited `oldest` (zero: nothing was due).
    pub(crate) fn record(&self, oldest: Duration) {
        let micros = u64::try_from(oldest.as_micros()).unwrap_or(u64::MAX);
        self.age_micros.store(micros, Ordering::Relaxed);
    }

    /// After a look at the event path's consumer queues: `ready` messages wait in them,
    /// all told.
    pub(crate) fn record_queued(&self, ready: u64) {
        self.queued.store(ready, Ordering::Relaxed);
    }

    /// The relay lost the broker: it is not publishing, so nothing is measured.
    pub(crate) fn disconnected(&self) {
        self.record(Duration::ZERO);
        self.record_queued(0);
    }

    /// How far behind the relay is: zero when it is not.
    pub fn behind(&self) -> Duration {
        Duration::from_micros(self.age_micros.load(Ordering::Relaxed))
    }

    /// Events published and still waiting in their consumers' queues.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }
}

/// The bounds on a service's events beyond which new work is refused.
#[derive(Debug, Clone)]
pub struct Backpressure {
    lag: RelayLag,
    max_lag: Duration,
    max_queued: u64,
}

impl Backpressure {
    /// Refuses new work while the relay is more than `max_lag` behind, or while more than
    /// `max_queued` events wait in the event path's consumer queues; a zero bound is
    /// never exceeded.
    pub fn new(lag: RelayLag, max_lag: Duration, max_queued: u64) -> Self {
        describe_counter!(
            REFUSALS,
            "Requests for new work refused (503) because the service's events were behind"
        );
        counter!(REFUSALS).increment(0);
        Self {
            lag,
            max_lag,
            max_queued,
        }
    }

    /// Why new work is refused now, if it is.
    fn refusal(&self) -> Option<String> {
        let behind = self.lag.behind();
        if !self.max_lag.is_zero() && behind > self.max_lag {
            return Some(format!(
                "this service's events wait {} ms in its outbox (the bound is {} ms)",
                behind.as_millis(),
                self.max_lag.as_millis()
            ));
        }
        let queued = self.lag.queued();
        if self.max_queued > 0 && queued > self.max_queued {
            return Some(format!(
                "{queued} events of the event path wait for their consumers (the bound is {})",
                self.max_queued
            ));
        }
        None
    }
}

/// Middleware for the routes that start new work (`axum::middleware::from_fn_with_state`
/// with a [`Backpressure`]): 503 `events_backlogged` while the relay is behind.
pub async fn refuse_while_behind(
    State(backpressure): State<Backpressure>,
    request: Request,
    next: Next,
) -> Response {
    let Some(why) = backpressure.refusal() else {
        return next.run(request).await;
    };
    counter!(REFUSALS).increment(1);
    // A 503 problem carries `Retry-After: 1`.
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "events_backlogged",
        "Events are behind",
    )
    .with_detail(format!("{why}; nothing was done, retry shortly"))
    .into_response()
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

    /// Asserts a 503 `events_backlogged` whose detail contains `why`.
    async fn assert_refused(refused: Response, why: &str) {
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[axum::http::header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(refused.into_body(), 4096)
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "events_backlogged");
        assert!(
            problem["detail"].as_str().unwrap().contains(why),
            "{problem}"
        );
    }

    const BOUND: Duration = Duration::from_millis(250);

    #[tokio::test]
    async fn events_older_than_the_bound_refuse_new_work() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND, 0));

        lag.record(Duration::from_millis(250));
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);

        lag.record(Duration::from_millis(300));
        assert_refused(post_work(&app).await, "wait 300 ms in its outbox").await;
    }

    #[tokio::test]
    async fn a_relay_that_catches_up_takes_work_again() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND, 0));
        lag.record(Duration::from_secs(2));
        assert_eq!(
            post_work(&app).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );

        lag.record(Duration::from_millis(3));
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn events_waiting_in_their_consumers_queues_past_the_bound_refuse_new_work() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND, 100));
        lag.record_queued(100);
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);

        lag.record_queued(101);
        assert_refused(post_work(&app).await, "101 events of the event path wait").await;

        lag.record_queued(3);
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn a_relay_without_its_broker_measures_nothing() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), BOUND, 0));
        lag.record(Duration::from_secs(2));
        lag.record_queued(10_000);

        lag.disconnected();
        assert_eq!((lag.behind(), lag.queued()), (Duration::ZERO, 0));
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn zero_bounds_never_refuse() {
        let lag = RelayLag::default();
        let app = app(Backpressure::new(lag.clone(), Duration::ZERO, 0));
        lag.record(Duration::from_secs(60));
        lag.record_queued(1_000_000);
        assert_eq!(post_work(&app).await.status(), StatusCode::CREATED);
    }
}
