//! The outbox as a bounded queue: while order-service's relay is behind its bound, a new
//! order is refused with 503 `events_backlogged` and nothing is written, while the orders
//! already placed go on to their end.

use std::time::Duration;

use contracts::orders::OrderView;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Saga, spawn_saga};

/// Places orders of `line` until one is not refused with 503 (or 20 s pass), and gives
/// that answer's status.
async fn first_answer_not_refused(saga: &Saga, line: &serde_json::Value) -> StatusCode {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let res = saga.post_order(line.clone(), None).await;
            if res.status() != StatusCode::SERVICE_UNAVAILABLE {
                return res.status();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("an order is taken within 20 s")
}

#[tokio::test]
async fn new_orders_are_refused_while_the_relay_is_behind_and_placed_ones_finish() {
    // A relay soon behind: one row per batch, and a bound of 1 ms.
    let saga = spawn_saga(
        |s| {
            s.backbone.outbox_batch = 1;
            s.backbone.outbox_max_lag = Duration::from_millis(1);
        },
        |_| {},
    )
    .await;
    saga.create_stock("BPO-0001-AA", 1_000).await;
    let line = json!([{"sku": "BPO-0001-AA", "qty": 1}]);
    // Placing an order on the HTTP path writes no event: the relay is idle.
    let mut placed: Vec<OrderView> = Vec::new();
    for _ in 0..150 {
        placed.push(saga.place(line.clone()).await);
    }

    // Handing them all over at once writes 150 `OrderCreated`, relayed one per batch;
    // a handover is a step of an order already placed, never refused.
    let handovers = join_all(placed.iter().map(|o| saga.act(&o.order_id, "handover"))).await;
    for res in handovers {
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let attempts = join_all((0..20).map(|_| saga.post_order(line.clone(), None))).await;
    let mut refused = 0;
    for res in attempts {
        match res.status() {
            StatusCode::CREATED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(res.headers()["retry-after"], "1");
                let body: serde_json::Value = res.json().await.unwrap();
                assert_eq!(body["code"], "events_backlogged", "{body}");
                refused += 1;
            }
            other => panic!("{other}: {}", res.text().await.unwrap()),
        }
    }
    assert!(
        refused > 0,
        "150 events relayed one per batch never put it 1 ms behind"
    );
    // A refused order was not written.
    let pool = sqlx::PgPool::connect(&saga.order_settings.backbone.database_url)
        .await
        .unwrap();
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(orders, 150 + 20 - refused);

    // Every order handed over is confirmed by events, refusals or not.
    for order in &placed {
        assert_eq!(saga.decided(&order.order_id).await.status, "CONFIRMED");
    }
    // And once the relay has caught up, orders are taken again.
    assert_eq!(
        first_answer_not_refused(&saga, &line).await,
        StatusCode::CREATED,
        "orders are taken again once the relay is not behind"
    );
}

#[tokio::test]
async fn new_orders_are_refused_while_their_events_wait_for_the_inventory() {
    let mut saga = spawn_saga(|s| s.backbone.consumers_max_queued = 5, |_| {}).await;
    saga.create_stock("BPO-0002-AA", 100).await;
    let line = json!([{"sku": "BPO-0002-AA", "qty": 1}]);
    let mut placed: Vec<OrderView> = Vec::new();
    for _ in 0..10 {
        placed.push(saga.place(line.clone()).await);
    }
    // With inventory-service away, the `OrderCreated` of every order handed over waits
    // in its queue.
    saga.stop_inventory().await;
    for order in &placed {
        assert_eq!(
            saga.act(&order.order_id, "handover").await.status(),
            StatusCode::ACCEPTED
        );
    }
    // Once the relay has looked at the queue (every 250 ms), a new order is refused.
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let res = saga.post_order(line.clone(), None).await;
            if res.status() == StatusCode::SERVICE_UNAVAILABLE {
                return res;
            }
            assert_eq!(res.status(), StatusCode::CREATED);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("ten events waiting for a bound of five refuse new orders");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "events_backlogged", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("wait for their consumers"),
        "{body}"
    );

    // The inventory back, the queue drains, the orders are confirmed, and new orders are
    // taken again.
    saga.start_inventory_again().await;
    for order in &placed {
        assert_eq!(saga.decided(&order.order_id).await.status, "CONFIRMED");
    }
    assert_eq!(
        first_answer_not_refused(&saga, &line).await,
        StatusCode::CREATED,
        "orders are taken again once the queue has drained"
    );
}
