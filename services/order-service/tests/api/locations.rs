//! An order's location: where all its lines are reserved. It is stored with the order,
//! shown on every read (before and after a restart), announced in `OrderCreated`, and
//! part of what makes a request the same for an idempotency key.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::broker::EventTap;

use crate::helpers::{Saga, spawn_saga, start_orders};

/// The orders table as it was before orders named a location.
const SCHEMA_BEFORE_LOCATIONS: &str = include_str!("../../migrations/0100_orders.sql");

fn items() -> Value {
    json!([{"sku": "ABC-1234-AB", "qty": 1}, {"sku": "ABC-1234-AC", "qty": 2}])
}

async fn post(saga: &Saga, body: Value, key: Option<&str>) -> reqwest::Response {
    let mut request = saga
        .client
        .post(format!("{}/orders", saga.orders.address))
        .json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// The `OrderCreated` of `order_id` the tap saw, once the order is handed over.
async fn order_created(tap: &mut EventTap, order_id: &str) -> Value {
    let seen = tap
        .until(Duration::from_secs(10), |m| {
            m.routing_key == "order.created" && m.body["data"]["orderId"] == order_id
        })
        .await;
    let created = seen
        .into_iter()
        .find(|m| m.routing_key == "order.created" && m.body["data"]["orderId"] == order_id)
        .unwrap_or_else(|| panic!("no OrderCreated for {order_id}"));
    created.body["data"].clone()
}

#[tokio::test]
async fn an_order_keeps_its_location_across_reads_and_restarts_and_announces_it() {
    let mut saga = spawn_saga(|_| {}, |_| {}).await;
    let mut tap = EventTap::start(&format!("{}order_events", saga.prefix)).await;
    let r = post(
        &saga,
        json!({"customerId": "c-1", "locationId": "store-1", "items": items()}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let placed: Value = r.json().await.unwrap();
    assert_eq!(placed["locationId"], "store-1");
    let id = placed["orderId"].as_str().unwrap().to_owned();
    assert_eq!(saga.order(&id).await.location_id, "store-1");

    saga.restart_orders().await;
    assert_eq!(saga.order(&id).await.location_id, "store-1");

    assert_eq!(
        saga.act(&id, "handover").await.status(),
        StatusCode::ACCEPTED
    );
    let created = order_created(&mut tap, &id).await;
    assert_eq!(created["locationId"], "store-1", "{created}");
    assert_eq!(created["items"], items());
    assert_eq!(saga.order(&id).await.location_id, "store-1");
}

#[tokio::test]
async fn an_order_naming_no_location_is_at_the_central_warehouse_and_says_so() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let mut tap = EventTap::start(&format!("{}order_events", saga.prefix)).await;
    let order = saga.place(items()).await;
    assert_eq!(order.location_id, "central");
    assert_eq!(saga.order(&order.order_id).await.location_id, "central");
    saga.act(&order.order_id, "handover").await;
    let created = order_created(&mut tap, &order.order_id).await;
    assert_eq!(created["locationId"], "central", "{created}");
}

#[tokio::test]
async fn one_idempotency_key_at_another_location_is_another_request() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let at = |location: Option<&str>| {
        let mut body = json!({"customerId": "c-1", "items": items()});
        if let Some(location) = location {
            body["locationId"] = location.into();
        }
        body
    };
    let first = post(&saga, at(Some("store-1")), Some("k-1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post(&saga, at(Some("store-1")), Some("k-1")).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        again.json::<Value>().await.unwrap()["orderId"],
        first["orderId"]
    );
    for other in [Some("store-2"), None, Some("central")] {
        let r = post(&saga, at(other), Some("k-1")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{other:?}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["code"],
            "idempotency_key_reused"
        );
    }

    // Naming the central warehouse is the same request as naming no location.
    let central = post(&saga, at(None), Some("k-2")).await;
    assert_eq!(central.status(), StatusCode::CREATED);
    let named = post(&saga, at(Some("central")), Some("k-2")).await;
    assert_eq!(named.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_invalid_location_is_refused_and_places_nothing() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    for bad in ["", "store 1", "a/b", &"x".repeat(33)] {
        let r = post(
            &saga,
            json!({"locationId": bad, "items": items()}),
            Some("k-bad"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_store_id");
    }
    // The key was never taken: an order placed with it now is a new one.
    let r = post(&saga, json!({"items": items()}), Some("k-bad")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_order_stored_before_orders_named_a_location_is_at_the_central_warehouse() {
    telemetry::init_for_tests();
    let db = testkit::fresh_database("orders_before_locations").await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::raw_sql(SCHEMA_BEFORE_LOCATIONS)
        .execute(&pool)
        .await
        .unwrap();
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        r#"INSERT INTO orders (id, customer_id, status, lines, history, version,
                              idempotency_key, fingerprint, created_at, updated_at,
                              handover_at, handed_over_at, deadline_at)
           VALUES ($1, 'c-1', 'PENDING', '[{"sku": "ABC-1234-AB", "qty": 1}]',
                   jsonb_build_array(jsonb_build_object(
                       'from', null, 'to', 'PENDING', 'reason', 'placed', 'path', 'http',
                       'at', now())),
                   1, 'old-key', 'c-1|ABC-1234-AB:1', now(), now(),
                   now() + interval '1 hour', NULL, now() + interval '1 hour')"#,
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();

    let orders = start_orders(order_service::config::Settings::for_tests(
        &db.url,
        &format!("{}.", db.name),
    ))
    .await;
    let client = reqwest::Client::new();
    let order: Value = client
        .get(format!("{}/orders/{id}", orders.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["locationId"], "central", "{order}");

    // A retry of that order, naming no location, is still the same request.
    let post = |body: Value| {
        client
            .post(format!("{}/orders", orders.address))
            .header("Idempotency-Key", "old-key")
            .json(&body)
            .send()
    };
    let retried = post(json!({"customerId": "c-1", "items": [{"sku": "ABC-1234-AB", "qty": 1}]}))
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(
        retried.json::<Value>().await.unwrap()["orderId"],
        id.to_string()
    );
    let elsewhere = post(json!({"customerId": "c-1", "locationId": "store-1",
                                "items": [{"sku": "ABC-1234-AB", "qty": 1}]}))
    .await
    .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
