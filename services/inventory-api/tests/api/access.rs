//! Who may call what through inventory-api: keys and scopes (checked before anything is
//! forwarded), the caller's name on the movements and holds of a real inventory-service,
//! holds only their owner may touch, the rate limit, load shedding, and a facade that
//! will not start keyless on a reachable address.

use std::time::{Duration, Instant};

use access::AccessSettings;
use inventory_api::{config::Settings, startup};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, method},
};

use crate::helpers::{
    TestApp, assert_problem, settings, spawn_app_with, upstream_expecting_no_call,
};

// Test keys only, each at least the 16 characters a key needs.
const SHOP: &str = "shop-key-0123456789abcdef";
const RIVAL: &str = "rival-key-0123456789abcdef";
const OPS: &str = "ops-key-0123456789abcdef";
const SAGA: &str = "saga-key-0123456789abcdef";
const WEB: &str = "web-key-0123456789abcdef";

const SKU: &str = "ACC-0001-AA";

/// shop and rival reserve for themselves, ops keeps the stock, order-api runs the saga,
/// web may only check out (which this facade never serves).
fn api_keys() -> String {
    format!(
        "shop:{SHOP}:reserve;rival:{RIVAL}:reserve;ops:{OPS}:stock;\
         order-api:{SAGA}:saga;web:{WEB}:checkout"
    )
}

fn keyed(upstream: &str, extra: &[(&str, &str)]) -> Settings {
    let mut settings = settings(upstream);
    let mut access = AccessSettings::default().with("API_KEYS", api_keys());
    for (name, value) in extra {
        access = access.with(name, *value);
    }
    settings.access = access;
    settings
}

/// Every route that changes stock, with a valid body.
fn changing_routes() -> Vec<(String, Value)> {
    vec![
        ("/inventory".into(), json!({"sku": SKU, "qty": 5})),
        (format!("/inventory/{SKU}/replenish"), json!({"qty": 5})),
        (
            format!("/inventory/{SKU}/reserve"),
            json!({"qty": 1, "orderId": "order-1"}),
        ),
        (
            format!("/inventory/{SKU}/release"),
            json!({"orderId": "order-1"}),
        ),
        (
            format!("/inventory/{SKU}/confirm"),
            json!({"orderId": "order-1"}),
        ),
        (
            "/reservations".into(),
            json!({"orderId": "order-1", "items": [{"sku": SKU, "qty": 1}]}),
        ),
        (
            "/reservations/order-1/commit".into(),
            json!({"items": [{"sku": SKU, "qty": 1}]}),
        ),
    ]
}

async fn post(app: &TestApp, path: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).json(body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.expect("request to inventory-api")
}

/// inventory-api with keys in front of a real inventory-service on a fresh database.
struct Stack {
    app: TestApp,
    _service: service::Spawned,
}

async fn spawn_stack() -> Stack {
    let db = testkit::fresh_database("inventory_api_access").await;
    let service = inventory_service::startup::build(
        inventory_service::config::Settings::for_tests(&db.url, &format!("{}.", db.name)),
    )
    .await
    .expect("build inventory-service")
    .spawn();
    let app = spawn_app_with(keyed(&service.address, &[])).await;
    let stack = Stack {
        app,
        _service: service,
    };
    let created = post(
        &stack.app,
        "/inventory",
        Some(OPS),
        &json!({"sku": SKU, "qty": 10}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    stack
}

impl Stack {
    async fn stock(&self) -> Value {
        let answer = self.app.get(&format!("/inventory/{SKU}")).await;
        assert_eq!(answer.status(), StatusCode::OK, "reads need no key");
        answer.json().await.unwrap()
    }

    async fn movements(&self) -> Vec<Value> {
        let answer = self.app.get(&format!("/inventory/{SKU}/movements")).await;
        assert_eq!(answer.status(), StatusCode::OK, "reads need no key");
        let page: Value = answer.json().await.unwrap();
        page["items"].as_array().unwrap().clone()
    }

    async fn reserve(&self, key: &str, order_id: &str) -> reqwest::Response {
        post(
            &self.app,
            &format!("/inventory/{SKU}/reserve"),
            Some(key),
            &json!({"qty": 2, "orderId": order_id}),
        )
        .await
    }

    async fn release(&self, key: &str, order_id: &str) -> reqwest::Response {
        post(
            &self.app,
            &format!("/inventory/{SKU}/release"),
            Some(key),
            &json!({"orderId": order_id}),
        )
        .await
    }

    async fn confirm(&self, key: &str, order_id: &str) -> reqwest::Response {
        post(
            &self.app,
            &format!("/inventory/{SKU}/confirm"),
            Some(key),
            &json!({"orderId": order_id}),
        )
        .await
    }
}

#[tokio::test]
async fn without_a_known_key_every_route_that_changes_stock_is_a_401_and_nothing_is_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app_with(keyed(&upstream.uri(), &[])).await;
    for (path, body) in changing_routes() {
        for key in [None, Some("not-a-key-0123456789abcdef")] {
            let refused = post(&app, &path, key, &body).await;
            assert_eq!(
                refused.headers().get("www-authenticate").unwrap(),
                "ApiKey header=\"x-api-key\""
            );
            let problem = assert_problem(refused, 401, "unauthorized").await;
            assert!(
                !problem.to_string().contains("not-a-key"),
                "a key is never echoed: {problem}"
            );
        }
    }
    // Unchecked here: the upstream verifies on drop that it received nothing.
}

#[tokio::test]
async fn a_key_without_the_routes_scope_is_a_403_and_nothing_is_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app_with(keyed(&upstream.uri(), &[])).await;
    let wrong_key_and_scope = [
        (SHOP, "stock"),  // create
        (SHOP, "stock"),  // replenish
        (OPS, "reserve"), // reserve
        (OPS, "reserve"), // release
        (WEB, "reserve"), // confirm
        (OPS, "reserve"), // reservations: neither saga nor reserve
        (SHOP, "saga"),   // commit: the saga's only
    ];
    for ((path, body), (key, scope)) in changing_routes().into_iter().zip(wrong_key_and_scope) {
        let problem =
            assert_problem(post(&app, &path, Some(key), &body).await, 403, "forbidden").await;
        assert_eq!(problem["scope"], scope, "{path}: {problem}");
    }
}

#[tokio::test]
async fn the_right_key_changes_stock_and_its_callers_name_is_on_the_movements() {
    let stack = spawn_stack().await;
    let replenished = post(
        &stack.app,
        &format!("/inventory/{SKU}/replenish"),
        Some(OPS),
        &json!({"qty": 5}),
    )
    .await;
    assert_eq!(replenished.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stack.reserve(SHOP, "order-1").await.status(),
        StatusCode::NO_CONTENT
    );

    let stock = stack.stock().await;
    assert_eq!(
        (stock["onHand"].as_i64(), stock["reserved"].as_i64()),
        (Some(15), Some(2))
    );
    // Newest first: the reservation, the replenishment, the creation.
    let movements = stack.movements().await;
    let actors: Vec<&str> = movements
        .iter()
        .map(|m| m["actor"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(actors, ["shop", "ops", "ops"]);
}

#[tokio::test]
async fn a_caller_cannot_release_or_confirm_another_callers_hold() {
    let stack = spawn_stack().await;
    assert_eq!(
        stack.reserve(SHOP, "order-1").await.status(),
        StatusCode::NO_CONTENT
    );

    assert_problem(
        stack.release(RIVAL, "order-1").await,
        409,
        "hold_owned_by_another_caller",
    )
    .await;
    assert_problem(
        stack.confirm(RIVAL, "order-1").await,
        409,
        "hold_owned_by_another_caller",
    )
    .await;
    assert_eq!(stack.stock().await["reserved"], 2, "the hold is untouched");

    assert_eq!(
        stack.release(SHOP, "order-1").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(stack.stock().await["reserved"], 0, "its owner released it");
}

#[tokio::test]
async fn only_the_saga_touches_a_saga_hold() {
    let stack = spawn_stack().await;
    let held = post(
        &stack.app,
        "/reservations",
        Some(SAGA),
        &json!({"orderId": "order-2", "items": [{"sku": SKU, "qty": 3}]}),
    )
    .await;
    assert_eq!(held.status(), StatusCode::CREATED);

    assert_problem(
        stack.release(SHOP, "order-2").await,
        409,
        "hold_owned_by_order",
    )
    .await;
    assert_problem(
        stack.confirm(SHOP, "order-2").await,
        409,
        "hold_owned_by_order",
    )
    .await;
    assert_eq!(
        stack.stock().await["reserved"],
        3,
        "the saga's hold is untouched"
    );

    let committed = post(
        &stack.app,
        "/reservations/order-2/commit",
        Some(SAGA),
        &json!({"items": [{"sku": SKU, "qty": 3}]}),
    )
    .await;
    assert_eq!(committed.status(), StatusCode::OK);
    let stock = stack.stock().await;
    assert_eq!(
        (stock["onHand"].as_i64(), stock["reserved"].as_i64()),
        (Some(7), Some(0))
    );
    assert_eq!(stack.movements().await[0]["actor"], "order-api");
}

#[tokio::test]
async fn a_caller_with_reserve_holds_several_skus_for_itself() {
    let stack = spawn_stack().await;
    let held = post(
        &stack.app,
        "/reservations",
        Some(SHOP),
        &json!({"orderId": "order-3", "items": [{"sku": SKU, "qty": 1}]}),
    )
    .await;
    assert_eq!(held.status(), StatusCode::CREATED);
    // Its own hold, not the saga's: it may release it, and the rival may not.
    assert_problem(
        stack.release(RIVAL, "order-3").await,
        409,
        "hold_owned_by_another_caller",
    )
    .await;
    assert_eq!(
        stack.release(SHOP, "order-3").await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_facade_on_a_reachable_address_without_keys_refuses_to_build() {
    let mut settings = settings("http://127.0.0.1:1");
    settings.http.bind_addr = [0, 0, 0, 0].into();
    let err = startup::build(settings).await.unwrap_err().to_string();
    assert!(
        err.contains("API_KEYS is not set")
            && err.contains("0.0.0.0")
            && err.contains("set API_KEYS"),
        "{err}"
    );

    let mut with_keys = keyed("http://127.0.0.1:1", &[]);
    with_keys.http.bind_addr = [0, 0, 0, 0].into();
    assert!(startup::build(with_keys).await.is_ok());
}

#[tokio::test]
async fn invalid_access_settings_refuse_to_build_without_repeating_a_key() {
    for (name, value) in [
        ("API_KEYS", "shop:tiny:reserve"),
        ("RATE_LIMIT_PER_SEC", "lots"),
        ("MAX_CONCURRENT_REQUESTS", "0"),
    ] {
        let mut settings = settings("http://127.0.0.1:1");
        settings.access = AccessSettings::default().with(name, value);
        let err = startup::build(settings).await.unwrap_err().to_string();
        assert!(err.contains(name), "{name}: {err}");
        assert!(!err.contains("tiny"), "{err}");
    }
}

#[tokio::test]
async fn over_its_rate_a_caller_is_told_when_to_retry_and_others_are_not_slowed() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&upstream)
        .await;
    let app = spawn_app_with(keyed(&upstream.uri(), &[("RATE_LIMIT_PER_SEC", "2")])).await;
    let replenish = format!("/inventory/{SKU}/replenish");
    let body = json!({"qty": 1});
    for _ in 0..2 {
        assert_eq!(
            post(&app, &replenish, Some(OPS), &body).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let refused = post(&app, &replenish, Some(OPS), &body).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let problem = assert_problem(refused, 429, "rate_limited").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("ops"),
        "{problem}"
    );

    let other = post(
        &app,
        &format!("/inventory/{SKU}/reserve"),
        Some(SHOP),
        &json!({"qty": 1, "orderId": "o-1"}),
    )
    .await;
    assert_eq!(
        other.status(),
        StatusCode::NO_CONTENT,
        "shop has its own budget"
    );
}

#[tokio::test]
async fn keyless_readers_are_rate_limited_by_address() {
    let upstream = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&upstream)
        .await;
    let mut settings = settings(&upstream.uri());
    settings.access = AccessSettings::default().with("RATE_LIMIT_PER_SEC", "1");
    let app = spawn_app_with(settings).await;
    assert_eq!(
        app.get(&format!("/inventory/{SKU}")).await.status(),
        StatusCode::OK
    );
    let refused = app.get(&format!("/inventory/{SKU}")).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_request_over_the_concurrency_limit_is_shed_at_once_and_a_stuck_one_is_cut_off() {
    let upstream = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500)))
        .mount(&upstream)
        .await;
    let settings = keyed(
        &upstream.uri(),
        &[
            ("MAX_CONCURRENT_REQUESTS", "1"),
            ("REQUEST_TIMEOUT_MS", "500"),
        ],
    );
    let app = spawn_app_with(settings).await;
    let path = format!("/inventory/{SKU}");
    let slow = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url(&path));
        async move { client.get(url).send().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;

    let started = Instant::now();
    let shed = app.get(&path).await;
    assert!(started.elapsed() < Duration::from_millis(300), "it queued");
    assert_eq!(shed.headers()["retry-after"], "1");
    assert_problem(shed, 503, "overloaded").await;

    assert_problem(slow.await.unwrap(), 504, "request_timeout").await;
}

#[tokio::test]
async fn ids_with_control_characters_or_bytes_that_are_not_text_are_422_and_never_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app_with(settings(&upstream.uri())).await;
    let items = json!({"items": [{"sku": SKU, "qty": 1}]});
    for path in [
        "/reservations/order%00x/commit",
        "/reservations/order%0Ax/commit",
        "/reservations/%FF%FE/commit",
    ] {
        assert_problem(
            post(&app, path, None, &items).await,
            422,
            "invalid_order_id",
        )
        .await;
    }
    for sku in ["%FF%FE", "ABC-1234-A%00"] {
        let stock = app.get(&format!("/inventory/{sku}")).await;
        assert_problem(stock, 422, "invalid_sku").await;
    }
    for order_id in ["a\u{0}b", "a\nb", "a\u{7f}b"] {
        let reserve = json!({"qty": 1, "orderId": order_id});
        let path = format!("/inventory/{SKU}/reserve");
        assert_problem(
            post(&app, &path, None, &reserve).await,
            422,
            "invalid_order_id",
        )
        .await;
    }
}
