//! The checkout against the real services.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{spawn_system, start_inventory_service};

#[tokio::test]
async fn a_checkout_of_two_skus_is_confirmed_and_the_stock_moves() {
    let system = spawn_system().await;
    system.create_stock("AAA-0001-AA", 10).await;
    system.create_stock("BBB-0001-BB", 10).await;
    let r = system
        .checkout(
            json!([{"sku": "AAA-0001-AA", "qty": 2}, {"sku": "BBB-0001-BB", "qty": 3}]),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "CONFIRMED");
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    // OrderConfirmed commits the holds.
    system
        .stock_until("AAA-0001-AA", |s| s.on_hand == 8 && s.reserved == 0)
        .await;
    system
        .stock_until("BBB-0001-BB", |s| s.on_hand == 7 && s.reserved == 0)
        .await;
    let order = system.order(body["orderId"].as_str().unwrap()).await;
    // The HTTP path drove it, never handing it over. The confirmation itself may be the
    // HTTP confirm's or the commit event's, whichever order-service heard first: both
    // confirm exactly the committed lines.
    assert!(!order.handed_over, "{order:?}");
    assert_eq!(order.history.first().unwrap().path, "http", "{order:?}");
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_order_and_moves_stock_once() {
    let system = spawn_system().await;
    system.create_stock("ABC-1234-AB", 10).await;
    let items = json!([{"sku": "ABC-1234-AB", "qty": 4}]);
    let first: Value = system
        .checkout(items.clone(), Some("k-1"))
        .await
        .json()
        .await
        .unwrap();
    let again = system.checkout(items, Some("k-1")).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["orderId"], again["orderId"]);
    system
        .stock_until("ABC-1234-AB", |s| s.on_hand == 6 && s.reserved == 0)
        .await;
}

#[tokio::test]
async fn two_racing_checkouts_with_one_key_make_one_order() {
    let system = spawn_system().await;
    system.create_stock("ABC-1234-AB", 10).await;
    let items = json!([{"sku": "ABC-1234-AB", "qty": 1}]);
    let answers = join_all((0..6).map(|_| system.checkout(items.clone(), Some("race-key")))).await;
    let mut ids = Vec::new();
    for r in answers {
        assert!(r.status().is_success(), "{}", r.status());
        ids.push(
            r.json::<Value>().await.unwrap()["orderId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    system
        .stock_until("ABC-1234-AB", |s| s.on_hand == 9 && s.reserved == 0)
        .await;
}

#[tokio::test]
async fn insufficient_stock_on_one_sku_answers_409_and_holds_nothing() {
    let system = spawn_system().await;
    system.create_stock("AAA-0001-AA", 10).await;
    system.create_stock("BBB-0001-BB", 1).await;
    let r = system
        .checkout(
            json!([{"sku": "AAA-0001-AA", "qty": 2}, {"sku": "BBB-0001-BB", "qty": 3}]),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "insufficient_stock");
    assert_eq!(
        problem["shortages"],
        json!([{"sku": "BBB-0001-BB", "requested": 3, "available": 1}])
    );
    let order = system.order(problem["orderId"].as_str().unwrap()).await;
    assert_eq!(order.status, "CANCELLED");
    assert_eq!(system.stock("AAA-0001-AA").await.reserved, 0);
    assert_eq!(system.stock("BBB-0001-BB").await.reserved, 0);
}

#[tokio::test]
async fn invalid_bodies_are_refused_before_anything_is_placed() {
    let system = spawn_system().await;
    for (items, code) in [
        (json!([]), "invalid_items"),
        (
            json!([{"sku": "ABC-1234-AB", "qty": 1}, {"sku": "ABC-1234-AB", "qty": 2}]),
            "duplicate_sku",
        ),
        (json!([{"sku": "nope", "qty": 1}]), "invalid_sku"),
        (
            json!([{"sku": "ABC-1234-AB", "qty": 0}]),
            "invalid_quantity",
        ),
        (
            json!([{"sku": "ABC-1234-AB", "qty": 5_000_000}]),
            "invalid_quantity",
        ),
    ] {
        let r = system.checkout(items, None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], code);
    }
    let openapi: Value = system
        .client
        .get(format!("{}/openapi.json", system.order_api.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(openapi["paths"]["/checkout"]["post"].is_object());
}

#[tokio::test]
async fn with_inventory_service_down_the_checkout_is_pending_and_the_event_path_confirms_it_later()
{
    let mut system = spawn_system().await;
    system.create_stock("ABC-1234-AB", 10).await;
    system.inventory_service.take().unwrap().kill();

    let r = system
        .checkout(json!([{"sku": "ABC-1234-AB", "qty": 3}]), None)
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "PENDING");
    let order_id = body["orderId"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/orders/{order_id}"));

    system.inventory_service =
        Some(start_inventory_service(system.inventory_settings.clone()).await);
    let order = system.decided(&order_id).await;
    assert_eq!(order.status, "CONFIRMED");
    assert_eq!(order.history.last().unwrap().path, "event");
    system
        .stock_until("ABC-1234-AB", |s| s.on_hand == 7 && s.reserved == 0)
        .await;
}
