//! The location routes: `/locations`, the `/locations/:storeId/inventory/...` forms of
//! the stock routes, and `/transfers`. Who may call them, what is refused before
//! anything is forwarded, and that a valid request reaches the same route upstream.

use access::AccessSettings;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, method, path, query_param, query_param_is_missing},
};

use crate::helpers::{
    TestApp, assert_problem, settings, spawn_app, spawn_app_with, upstream_expecting_no_call,
};

const STOCK_KEEPER: &str = "ops-key-0123456789abcdef";
const SHOP: &str = "shop-key-0123456789abcdef";
const SKU: &str = "LOC-0001-AA";

/// Every POST of a location form or of the new resources, with a valid body and the
/// scope it needs.
fn changing_routes() -> Vec<(String, Value, &'static str)> {
    let at = "/locations/store-1/inventory";
    vec![
        (
            "/locations".into(),
            json!({"storeId": "store-1", "name": "Main Street"}),
            "stock",
        ),
        (at.into(), json!({"sku": SKU, "qty": 5}), "stock"),
        (format!("{at}/{SKU}/replenish"), json!({"qty": 5}), "stock"),
        (
            format!("{at}/{SKU}/reserve"),
            json!({"qty": 1, "orderId": "o-1"}),
            "reserve",
        ),
        (
            format!("{at}/{SKU}/release"),
            json!({"orderId": "o-1"}),
            "reserve",
        ),
        (
            format!("{at}/{SKU}/confirm"),
            json!({"orderId": "o-1"}),
            "reserve",
        ),
        (
            "/transfers".into(),
            json!({"sku": SKU, "from": "central", "to": "store-1", "qty": 2}),
            "stock",
        ),
    ]
}

/// Every GET that names a location, with a valid query.
fn reading_routes() -> Vec<String> {
    vec![
        "/locations/store-1/inventory".into(),
        "/locations/store-1/inventory?limit=10&cursor=AAA-0001-AA".into(),
        format!("/locations/store-1/inventory/{SKU}"),
        format!("/locations/store-1/inventory/{SKU}?minVersion=3"),
        format!("/locations/store-1/inventory/{SKU}/movements?limit=5"),
    ]
}

fn keyed(upstream: &str) -> inventory_api::config::Settings {
    let mut settings = settings(upstream);
    settings.access = AccessSettings::default().with(
        "API_KEYS",
        format!("ops:{STOCK_KEEPER}:stock;shop:{SHOP}:reserve"),
    );
    settings
}

async fn post(app: &TestApp, path: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).json(body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn every_new_route_that_changes_stock_needs_a_key_with_its_scope() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app_with(keyed(&upstream.uri())).await;
    for (path, body, scope) in changing_routes() {
        for key in [None, Some("not-a-key-0123456789abcdef")] {
            assert_problem(post(&app, &path, key, &body).await, 401, "unauthorized").await;
        }
        let wrong = if scope == "stock" { SHOP } else { STOCK_KEEPER };
        let problem = assert_problem(
            post(&app, &path, Some(wrong), &body).await,
            403,
            "forbidden",
        )
        .await;
        assert_eq!(problem["scope"], scope, "{path}");
    }
}

#[tokio::test]
async fn with_the_right_key_each_new_route_is_forwarded_to_the_same_route_with_the_same_body() {
    let upstream = MockServer::start().await;
    for (route, body, _) in changing_routes() {
        Mock::given(method("POST"))
            .and(path(route.as_str()))
            .and(body_json(&body))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ok": route})))
            .expect(1)
            .mount(&upstream)
            .await;
    }
    let app = spawn_app_with(keyed(&upstream.uri())).await;
    for (route, body, scope) in changing_routes() {
        let key = if scope == "stock" { STOCK_KEEPER } else { SHOP };
        let answer = post(&app, &route, Some(key), &body).await;
        assert_eq!(answer.status().as_u16(), 201, "{route}");
        assert_eq!(answer.json::<Value>().await.unwrap()["ok"], route);
    }
}

#[tokio::test]
async fn reads_need_no_key_and_are_forwarded_with_the_query_the_client_gave() {
    let upstream = MockServer::start().await;
    let page = json!({"items": [], "nextCursor": null});
    Mock::given(method("GET"))
        .and(path("/locations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/locations/store-1/inventory"))
        .and(query_param("limit", "10"))
        .and(query_param("cursor", "AAA-0001-AA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/locations/store-1/inventory"))
        .and(query_param_is_missing("limit"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/locations/store-1/inventory/{SKU}")))
        .and(query_param_is_missing("minVersion"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": 1})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/locations/store-1/inventory/{SKU}")))
        .and(query_param("minVersion", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": 3})))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/locations/store-1/inventory/{SKU}/movements"
        )))
        .and(query_param("limit", "5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app_with(keyed(&upstream.uri())).await;
    for route in std::iter::once("/locations".to_owned()).chain(reading_routes()) {
        assert_eq!(app.get(&route).await.status().as_u16(), 200, "{route}");
    }
}

#[tokio::test]
async fn the_central_read_forwards_min_version() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/inventory/{SKU}")))
        .and(query_param("minVersion", "4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": 4})))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_app(&upstream.uri()).await;
    let read = app.get(&format!("/inventory/{SKU}?minVersion=4")).await;
    assert_eq!(read.json::<Value>().await.unwrap()["version"], 4);
}

#[tokio::test]
async fn a_malformed_store_id_in_the_path_is_a_422_on_every_route_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;
    let too_long = "x".repeat(33);
    for store in [
        "store%201",
        "st.re",
        "%C3%A9toile",
        too_long.as_str(),
        "%FF",
    ] {
        let at = format!("/locations/{store}");
        for route in [
            format!("{at}/inventory"),
            format!("{at}/inventory/{SKU}"),
            format!("{at}/inventory/{SKU}/movements"),
            format!("{at}/changes"),
        ] {
            assert_problem(app.get(&route).await, 422, "invalid_store_id").await;
        }
        for (route, body) in [
            (format!("{at}/inventory"), json!({"sku": SKU, "qty": 1})),
            (
                format!("{at}/inventory/{SKU}/reserve"),
                json!({"qty": 1, "orderId": "o-1"}),
            ),
            (
                format!("{at}/inventory/{SKU}/release"),
                json!({"orderId": "o-1"}),
            ),
            (
                format!("{at}/inventory/{SKU}/confirm"),
                json!({"orderId": "o-1"}),
            ),
            (format!("{at}/inventory/{SKU}/replenish"), json!({"qty": 1})),
        ] {
            let answer = app.post_raw(&route, body.to_string()).await;
            assert_problem(answer, 422, "invalid_store_id").await;
        }
    }
    // A valid store with a malformed SKU: the SKU's own code.
    for route in [
        "/locations/store-1/inventory/abc-1234-ab",
        "/locations/store-1/inventory/%FF/movements",
    ] {
        assert_problem(app.get(route).await, 422, "invalid_sku").await;
    }
}

#[tokio::test]
async fn invalid_bodies_and_queries_of_the_new_routes_are_refused_and_not_forwarded() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;
    let cases = [
        (
            "/locations",
            json!({"storeId": "no such/store"}),
            422,
            "invalid_store_id",
        ),
        (
            "/locations",
            json!({"storeId": ""}),
            422,
            "invalid_store_id",
        ),
        (
            "/locations",
            json!({"storeId": "store-1", "name": " "}),
            422,
            "invalid_name",
        ),
        ("/locations", json!({"name": "x"}), 422, "invalid_body"),
        (
            "/transfers",
            json!({"sku": SKU, "from": "central", "to": "central", "qty": 1}),
            422,
            "invalid_transfer",
        ),
        (
            "/transfers",
            json!({"sku": SKU, "from": "central", "to": "a b", "qty": 1}),
            422,
            "invalid_store_id",
        ),
        (
            "/transfers",
            json!({"sku": SKU, "from": "central", "to": "store-1", "qty": 0}),
            422,
            "invalid_quantity",
        ),
        (
            "/transfers",
            json!({"sku": "abc", "from": "central", "to": "store-1", "qty": 1}),
            422,
            "invalid_sku",
        ),
        (
            "/transfers",
            json!({"sku": SKU, "qty": 1}),
            422,
            "invalid_body",
        ),
        (
            "/locations/store-1/inventory",
            json!({"sku": SKU, "qty": -1}),
            422,
            "invalid_quantity",
        ),
        (
            "/locations/store-1/inventory/LOC-0001-AA/reserve",
            json!({"qty": 0, "orderId": "o-1"}),
            422,
            "invalid_quantity",
        ),
        (
            "/reservations",
            json!({"orderId": "o-1", "items": [{"sku": SKU, "qty": 1}], "storeId": "a/b"}),
            422,
            "invalid_store_id",
        ),
    ];
    for (route, body, status, code) in cases {
        assert_problem(app.post_raw(route, body.to_string()).await, status, code).await;
    }
    assert_problem(
        app.post_raw("/transfers", "nope").await,
        400,
        "malformed_json",
    )
    .await;
    for (query, status) in [
        ("limit=0", 422),
        ("limit=1001", 422),
        ("limit=ten", 400),
        ("cursor=not-a-sku", 422),
    ] {
        let answer = app
            .get(&format!("/locations/store-1/inventory?{query}"))
            .await;
        assert_problem(answer, status, "invalid_query").await;
    }
    for (query, status) in [
        ("minVersion=0", 422),
        ("minVersion=-2", 422),
        ("minVersion=x", 400),
    ] {
        for route in [
            format!("/inventory/{SKU}"),
            format!("/locations/store-1/inventory/{SKU}"),
        ] {
            let answer = app.get(&format!("{route}?{query}")).await;
            assert_problem(answer, status, "invalid_query").await;
        }
    }
}

#[tokio::test]
async fn without_the_stock_view_the_change_stream_is_unavailable() {
    let upstream = upstream_expecting_no_call().await;
    let app = spawn_app(&upstream.uri()).await;
    assert_problem(
        app.get("/locations/store-1/changes").await,
        503,
        "stock_view_disabled",
    )
    .await;
}
