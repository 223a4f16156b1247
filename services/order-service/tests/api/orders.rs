//! order-service's own API: placing with an idempotency key, transitions, problems.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_saga;

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_order_even_when_racing() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    let items = json!([{"sku": "ABC-1234-AB", "qty": 1}]);
    let answers = join_all((0..8).map(|_| saga.post_order(items.clone(), Some("key-1")))).await;
    let mut ids = Vec::new();
    let mut created = 0;
    for r in answers {
        if r.status() == StatusCode::CREATED {
            created += 1;
        } else {
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["idempotent-replayed"], "true");
        }
        let body: Value = r.json().await.unwrap();
        ids.push(body["orderId"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1), "{ids:?}");

    let other = saga
        .post_order(json!([{"sku": "ABC-1234-AB", "qty": 2}]), Some("key-1"))
        .await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = other.json().await.unwrap();
    assert_eq!(body["code"], "idempotency_key_reused");
}

#[tokio::test]
async fn bad_orders_and_unknown_ids_are_problems() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    for (items, code) in [
        (json!([]), "invalid_items"),
        (json!([{"sku": "bad", "qty": 1}]), "invalid_sku"),
        (
            json!([{"sku": "ABC-1234-AB", "qty": 0}]),
            "invalid_quantity",
        ),
        (
            json!([{"sku": "ABC-1234-AB", "qty": 1}, {"sku": "ABC-1234-AB", "qty": 1}]),
            "duplicate_sku",
        ),
    ] {
        let r = saga.post_order(items, None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], code);
    }
    for id in ["not-a-uuid", "0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a"] {
        let r = saga
            .client
            .get(format!("{}/orders/{id}", saga.orders.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "order_not_found");
    }
}

#[tokio::test]
async fn cancelling_a_pending_order_releases_its_holds_and_a_confirmed_one_cannot_be_cancelled() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("ABC-1234-AB", 10).await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 4}])).await;
    assert_eq!(
        saga.reserve(
            &order.order_id,
            json!([{"sku": "ABC-1234-AB", "qty": 4}]),
            None
        )
        .await,
        StatusCode::CREATED
    );
    assert_eq!(saga.stock("ABC-1234-AB").await.reserved, 4);

    let cancelled = saga.act(&order.order_id, "cancel").await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert_eq!(
        cancelled.json::<Value>().await.unwrap()["status"],
        "CANCELLED"
    );
    saga.stock_until("ABC-1234-AB", |s| s.reserved == 0 && s.on_hand == 10)
        .await;
    // Cancelling again changes nothing; confirming now is invalid.
    assert_eq!(
        saga.act(&order.order_id, "cancel").await.status(),
        StatusCode::OK
    );
    let confirm = saga
        .confirm(&order.order_id, json!([{"sku": "ABC-1234-AB", "qty": 4}]))
        .await;
    assert_eq!(confirm.status(), StatusCode::CONFLICT);
    assert_eq!(
        confirm.json::<Value>().await.unwrap()["code"],
        "invalid_transition"
    );

    let kept = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 3}])).await;
    let lines = json!([{"sku": "ABC-1234-AB", "qty": 3}]);
    saga.reserve(&kept.order_id, lines.clone(), None).await;
    assert_eq!(
        saga.commit(&kept.order_id, lines.clone()).await,
        StatusCode::OK
    );
    // Committed: out of stock for good before the order is confirmed.
    let stock = saga.stock("ABC-1234-AB").await;
    assert_eq!((stock.on_hand, stock.reserved), (7, 0));
    assert_eq!(
        saga.confirm(&kept.order_id, lines).await.status(),
        StatusCode::OK
    );
    let r = saga.act(&kept.order_id, "cancel").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "invalid_transition"
    );
    saga.stock_until("ABC-1234-AB", |s| s.on_hand == 7 && s.reserved == 0)
        .await;
    // Confirmed by the HTTP path's call or by the commit's event, whichever came first.
    let history = saga.order(&kept.order_id).await.history;
    assert_eq!(history.last().unwrap().to, "CONFIRMED");
}

#[tokio::test]
async fn a_confirmation_must_name_exactly_the_orders_committed_lines() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("ABC-1234-AB", 10).await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 5}])).await;
    for wrong in [
        json!([{"sku": "ABC-1234-AB", "qty": 1}]),
        json!([{"sku": "ABC-1234-AB", "qty": 5}, {"sku": "ABC-1234-AC", "qty": 1}]),
        json!([]),
    ] {
        let r = saga.confirm(&order.order_id, wrong).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "lines_mismatch");
    }
    // Without the committed lines there is nothing to confirm on.
    let bare = saga.act(&order.order_id, "confirm").await;
    assert!(bare.status().is_client_error(), "{}", bare.status());
    let still = saga.order(&order.order_id).await;
    assert_eq!(
        (still.status.as_str(), still.version),
        ("PENDING", order.version)
    );
}

/// The service bounds its work as the facades do: with every slot taken, a request is
/// refused at once (503 `overloaded`, `Retry-After`), and one that outlives
/// `REQUEST_TIMEOUT_MS` is cut off (504).
#[tokio::test]
async fn beyond_its_limits_a_request_is_refused_at_once_or_cut_off() {
    let saga = spawn_saga(
        |orders| {
            orders.backbone.load_limits =
                access::LoadLimits::new(1, std::time::Duration::from_millis(500)).unwrap();
        },
        |_| {},
    )
    .await;
    let stalled = testkit::StalledRequest::start(&saga.orders.address, "/orders").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let refused = saga
        .client
        .get(format!(
            "{}/orders/0190b6a4-8d3c-7aa0-8000-000000000000",
            saga.orders.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "overloaded");
    assert_eq!(stalled.status().await, 504);
}
