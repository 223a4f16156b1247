//! The caller extractor through a real router: who gets 401, 403 or through, in the
//! keyed and the open mode, and what reaches the request's span.

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use access::{Access, Caller, Scope};
use axum::{
    Router,
    http::StatusCode,
    routing::{get, post},
};
use problem::Problem;
use support::*;

async fn replenish(caller: Caller) -> Result<String, Problem> {
    caller.require(Scope::Stock)?;
    Ok(caller.name().to_string())
}

async fn retry_dead_letter(caller: Caller) -> Result<String, Problem> {
    caller.require(Scope::Admin)?;
    Ok(caller.name().to_string())
}

fn router(access: &Access) -> Router {
    Router::new()
        .route("/inventory/{sku}", get(|| async { "public" }))
        .route("/inventory/{sku}/replenish", post(replenish))
        .route("/admin/dlq/{id}/retry", post(retry_dead_letter))
        .layer(access.layer())
}

#[tokio::test]
async fn a_request_without_a_key_is_unauthorized_with_a_challenge() {
    let app = router(&keyed(&[]));
    let (status, headers, body) = send(&app, request("POST", "/inventory/A/replenish", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_problem(&headers, &body, "unauthorized");
    assert_eq!(headers["www-authenticate"], "ApiKey header=\"x-api-key\"");
    assert!(
        body["detail"].as_str().unwrap().contains("x-api-key"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unknown_key_is_unauthorized_and_never_echoed() {
    let app = router(&keyed(&[]));
    let wrong = "shop-0123456789abcdeX";
    let (status, headers, body) =
        send(&app, request("POST", "/inventory/A/replenish", Some(wrong))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_problem(&headers, &body, "unauthorized");
    assert!(!body.to_string().contains(wrong));
}

#[tokio::test]
async fn a_key_without_the_scope_is_forbidden() {
    let app = router(&keyed(&[]));
    let (status, headers, body) = send(
        &app,
        request("POST", "/inventory/A/replenish", Some(SHOP_KEY)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_problem(&headers, &body, "forbidden");
    assert_eq!(body["scope"], "stock");
}

#[tokio::test]
async fn the_right_key_reaches_the_handler_as_its_caller() {
    let app = router(&keyed(&[]));
    let (status, _, body) = send(
        &app,
        request("POST", "/inventory/A/replenish", Some(OPS_KEY)),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("ops")));
}

#[tokio::test]
async fn get_routes_stay_public_in_the_keyed_mode() {
    let app = router(&keyed(&[]));
    let (status, _, body) = send(&app, request("GET", "/inventory/A", None)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("public")));
}

#[tokio::test]
async fn the_open_mode_serves_everyone_as_anonymous_but_admin() {
    let app = router(&access([127, 0, 0, 1], &[("ADMIN_API_KEY", ADMIN_KEY)]));
    let (status, _, body) = send(&app, request("POST", "/inventory/A/replenish", None)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("anonymous")));

    let (status, headers, body) = send(&app, request("POST", "/admin/dlq/1/retry", None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_problem(&headers, &body, "forbidden");

    let (status, _, body) =
        send(&app, request("POST", "/admin/dlq/1/retry", Some(ADMIN_KEY))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("admin")));
}

#[tokio::test]
async fn a_router_without_the_access_layer_refuses_rather_than_serves_unchecked() {
    let app = Router::new().route("/inventory/{sku}/replenish", post(replenish));
    let (status, headers, body) = send(&app, request("POST", "/inventory/A/replenish", None)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_problem(&headers, &body, "internal_error");
}

/// Log lines written by the subscriber of one test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_callers_name_is_recorded_on_the_request_span_and_its_key_is_not() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let app = Router::new()
        .route(
            "/inventory/{sku}/replenish",
            post(|caller: Caller| async move {
                tracing::info!("replenishing");
                caller.name().to_string()
            }),
        )
        .layer(keyed(&[]).layer())
        // Stands in for the facades' trace layer: a request span declaring `caller`.
        .layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| {
                let span = tracing::info_span!("http_request", caller = tracing::field::Empty);
                tracing::Instrument::instrument(next.run(request), span)
            },
        ));
    let (status, _, _) = send(
        &app,
        request("POST", "/inventory/A/replenish", Some(OPS_KEY)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("caller=\"ops\"") || logs.contains("caller=ops"),
        "{logs}"
    );
    assert!(!logs.contains(OPS_KEY), "{logs}");
}
