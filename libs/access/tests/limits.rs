//! Rate limits and load shedding through a real router: 429 with `Retry-After` per
//! caller, 503 at once when every slot is taken, 504 when a request runs too long.

mod support;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use access::{Access, Caller, LoadLimits};
use axum::{
    Router,
    extract::ConnectInfo,
    http::StatusCode,
    routing::{get, post},
};
use support::*;
use tokio::sync::{Notify, Semaphore};

fn rate_limited(access: &Access) -> Router {
    Router::new()
        .route(
            "/checkout",
            post(|caller: Caller| async move { caller.name().to_string() }),
        )
        .route("/inventory/{sku}", get(|| async { "public" }))
        .layer(access.layer())
}

fn retry_after(headers: &axum::http::HeaderMap) -> u64 {
    headers["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_caller_over_its_rate_is_told_when_to_retry() {
    let app = rate_limited(&keyed(&[("RATE_LIMIT_PER_SEC", "1")]));
    let (status, _, _) = send(&app, request("POST", "/checkout", Some(SHOP_KEY))).await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, body) = send(&app, request("POST", "/checkout", Some(SHOP_KEY))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_problem(&headers, &body, "rate_limited");
    assert!(retry_after(&headers) >= 1);
    assert!(body["detail"].as_str().unwrap().contains("shop"), "{body}");
}

#[tokio::test]
async fn one_callers_rate_does_not_spend_anothers() {
    let app = rate_limited(&keyed(&[("RATE_LIMIT_PER_SEC", "1")]));
    send(&app, request("POST", "/checkout", Some(SHOP_KEY))).await;
    let (status, _, _) = send(&app, request("POST", "/checkout", Some(SHOP_KEY))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, body) = send(&app, request("POST", "/checkout", Some(OPS_KEY))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("ops")));
}

#[tokio::test]
async fn keyless_callers_are_limited_by_client_address() {
    let app = rate_limited(&access([127, 0, 0, 1], &[("RATE_LIMIT_PER_SEC", "1")]));
    let from = |address: &str| {
        let mut request = request("GET", "/inventory/A", None);
        let client: SocketAddr = address.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(client));
        request
    };
    let (status, _, _) = send(&app, from("10.0.0.1:5000")).await;
    assert_eq!(status, StatusCode::OK);
    // Another port of the same machine is the same client.
    let (status, headers, body) = send(&app, from("10.0.0.1:5001")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_problem(&headers, &body, "rate_limited");
    assert!(retry_after(&headers) >= 1);
    let (status, _, _) = send(&app, from("10.0.0.2:5000")).await;
    assert_eq!(status, StatusCode::OK);
}

/// A router whose `/slow` route holds its slot until `release` is notified, announcing on
/// `entered` that it has started.
fn held_open(limits: LoadLimits, entered: Arc<Semaphore>, release: Arc<Notify>) -> Router {
    Router::new()
        .route(
            "/slow",
            post(move || async move {
                entered.add_permits(1);
                release.notified().await;
                "done"
            }),
        )
        .route("/fast", get(|| async { "fast" }))
        .layer(limits.layer())
}

#[tokio::test]
async fn a_request_over_the_concurrency_limit_is_shed_at_once_on_any_route() {
    let entered = Arc::new(Semaphore::new(0));
    let release = Arc::new(Notify::new());
    let limits = LoadLimits::new(1, Duration::from_secs(30)).unwrap();
    let app = held_open(limits, entered.clone(), release.clone());

    let first = tokio::spawn({
        let app = app.clone();
        async move { send(&app, request("POST", "/slow", None)).await }
    });
    entered.acquire().await.unwrap().forget();

    let started = std::time::Instant::now();
    let (status, headers, body) = send(&app, request("GET", "/fast", None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_problem(&headers, &body, "overloaded");
    assert_eq!(headers["retry-after"], "1");
    assert!(started.elapsed() < Duration::from_secs(1), "it queued");

    release.notify_one();
    let (status, _, body) = first.await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("done")));
    let (status, _, _) = send(&app, request("GET", "/fast", None)).await;
    assert_eq!(status, StatusCode::OK, "the slot was given back");
}

#[tokio::test]
async fn a_request_past_the_timeout_is_cut_off_and_gives_its_slot_back() {
    let entered = Arc::new(Semaphore::new(0));
    let never = Arc::new(Notify::new());
    let limits = LoadLimits::new(1, Duration::from_millis(50)).unwrap();
    let app = held_open(limits, entered, never);

    let (status, headers, body) = send(&app, request("POST", "/slow", None)).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_problem(&headers, &body, "request_timeout");

    let (status, _, _) = send(&app, request("GET", "/fast", None)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn both_layers_stack_on_one_router() {
    let access = keyed(&[("RATE_LIMIT_PER_SEC", "100")]);
    let app = rate_limited(&access).layer(LoadLimits::default().layer());
    let (status, _, body) = send(&app, request("POST", "/checkout", Some(SHOP_KEY))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("shop")));
    let (status, headers, body) = send(&app, request("POST", "/checkout", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_problem(&headers, &body, "unauthorized");
}
