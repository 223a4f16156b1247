//! The event-driven saga: handover, the grace period, refusals, expiry, timeouts,
//! duplicated and reordered events.

use std::time::Duration;

use contracts::events::{
    CommitFailureReason, Envelope, EventLine, EventType, ProductInventoryCommitFailed,
    ProductInventoryCommitted, ProductInventoryReservationFailed, ProductInventoryReserved,
    ReservationFailureReason,
};
use reqwest::StatusCode;
use serde_json::json;
use testkit::broker::RawPublisher;

use crate::helpers::spawn_saga;

#[tokio::test]
async fn a_handed_over_order_is_confirmed_by_events_and_its_holds_committed() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("AAA-0001-AA", 10).await;
    saga.create_stock("BBB-0001-BB", 10).await;
    let order = saga
        .place(json!([{"sku": "AAA-0001-AA", "qty": 2}, {"sku": "BBB-0001-BB", "qty": 3}]))
        .await;
    assert_eq!(
        saga.act(&order.order_id, "handover").await.status(),
        StatusCode::ACCEPTED
    );

    let decided = saga.decided(&order.order_id).await;
    assert_eq!(decided.status, "CONFIRMED");
    assert!(decided.handed_over);
    assert_eq!(decided.history.last().unwrap().path, "event");
    // Reserved, then committed, then confirmed: each step in the history.
    let steps: Vec<&str> = decided.history.iter().map(|t| t.to.as_str()).collect();
    assert_eq!(steps, ["PENDING", "RESERVED", "CONFIRMED"]);
    assert_eq!(decided.history.last().unwrap().reason, "stock committed");
    saga.stock_until("AAA-0001-AA", |s| s.on_hand == 8 && s.reserved == 0)
        .await;
    saga.stock_until("BBB-0001-BB", |s| s.on_hand == 7 && s.reserved == 0)
        .await;
}

#[tokio::test]
async fn an_order_the_http_path_leaves_is_driven_by_events_after_the_grace_period() {
    let saga = spawn_saga(|s| s.handover_grace = Duration::from_millis(300), |_| {}).await;
    saga.create_stock("ABC-1234-AB", 5).await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 5}])).await;
    let decided = saga.decided(&order.order_id).await;
    assert_eq!(decided.status, "CONFIRMED");
    saga.stock_until("ABC-1234-AB", |s| s.on_hand == 0 && s.reserved == 0)
        .await;
}

#[tokio::test]
async fn insufficient_stock_cancels_the_order_and_reserves_nothing() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("AAA-0001-AA", 10).await;
    saga.create_stock("BBB-0001-BB", 1).await;
    let order = saga
        .place(json!([{"sku": "AAA-0001-AA", "qty": 2}, {"sku": "BBB-0001-BB", "qty": 3}]))
        .await;
    saga.act(&order.order_id, "handover").await;
    let decided = saga.decided(&order.order_id).await;
    assert_eq!(decided.status, "CANCELLED");
    assert!(
        decided
            .history
            .last()
            .unwrap()
            .reason
            .contains("insufficient_stock"),
        "{decided:?}"
    );
    assert_eq!(saga.stock("AAA-0001-AA").await.reserved, 0);
    assert_eq!(saga.stock("BBB-0001-BB").await.reserved, 0);
}

#[tokio::test]
async fn an_expired_hold_cancels_its_pending_order() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("ABC-1234-AB", 10).await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 2}])).await;
    saga.reserve(
        &order.order_id,
        json!([{"sku": "ABC-1234-AB", "qty": 2}]),
        Some(1),
    )
    .await;
    let decided = saga.decided(&order.order_id).await;
    assert_eq!(decided.status, "CANCELLED");
    assert_eq!(
        decided.history.last().unwrap().reason,
        "reservation expired"
    );
    saga.stock_until("ABC-1234-AB", |s| s.reserved == 0).await;
}

#[tokio::test]
async fn a_saga_that_hears_nothing_times_out_and_is_compensated() {
    let saga = spawn_saga(|s| s.saga_timeout = Duration::from_secs(1), |_| {}).await;
    saga.create_stock("ABC-1234-AB", 10).await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 3}])).await;
    // The HTTP path reserved, then went silent.
    saga.reserve(
        &order.order_id,
        json!([{"sku": "ABC-1234-AB", "qty": 3}]),
        None,
    )
    .await;
    let decided = saga.decided(&order.order_id).await;
    assert_eq!(decided.status, "CANCELLED");
    assert_eq!(decided.history.last().unwrap().reason, "saga timed out");
    assert_eq!(decided.history.last().unwrap().path, "timer");
    saga.stock_until("ABC-1234-AB", |s| s.reserved == 0 && s.on_hand == 10)
        .await;
}

#[tokio::test]
async fn duplicated_and_reordered_inventory_events_change_nothing_twice() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("ABC-1234-AB", 10).await;
    let confirmed = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 1}])).await;
    saga.act(&confirmed.order_id, "handover").await;
    let before = saga.decided(&confirmed.order_id).await;
    assert_eq!(before.status, "CONFIRMED");
    // More than the stock: refused by the inventory, so cancelled by events.
    let cancelled = saga
        .place(json!([{"sku": "ABC-1234-AB", "qty": 100}]))
        .await;
    saga.act(&cancelled.order_id, "handover").await;
    let cancelled_before = saga.decided(&cancelled.order_id).await;
    assert_eq!(cancelled_before.status, "CANCELLED");

    let publisher = RawPublisher::connect().await;
    let exchange = format!("{}inventory_events", saga.prefix);
    let reserved = |order_id: &str| {
        Envelope::new(
            "inventory-service",
            chrono::Utc::now(),
            Some(order_id),
            order_id,
            ProductInventoryReserved {
                store_id: "central".into(),
                order_id: order_id.into(),
                items: lines("ABC-1234-AB", 1),
                expires_at: chrono::Utc::now(),
            },
        )
    };
    let failed = Envelope::new(
        "inventory-service",
        chrono::Utc::now(),
        Some(&confirmed.order_id),
        &confirmed.order_id,
        ProductInventoryReservationFailed {
            store_id: "central".into(),
            order_id: confirmed.order_id.clone(),
            reason: ReservationFailureReason::InsufficientStock,
            shortages: vec![],
            unknown_skus: vec![],
        },
    );
    let twice = reserved(&confirmed.order_id);
    for event_bytes in [
        serde_json::to_vec(&twice).unwrap(),
        serde_json::to_vec(&twice).unwrap(),
        serde_json::to_vec(&failed).unwrap(),
        serde_json::to_vec(&reserved(&cancelled.order_id)).unwrap(),
    ] {
        let key = if event_bytes == serde_json::to_vec(&failed).unwrap() {
            ProductInventoryReservationFailed::ROUTING_KEY
        } else {
            ProductInventoryReserved::ROUTING_KEY
        };
        publisher
            .publish(&exchange, key, "copy", &event_bytes)
            .await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = saga.order(&confirmed.order_id).await;
    assert_eq!(
        (after.status.as_str(), after.version, after.history.len()),
        ("CONFIRMED", before.version, before.history.len())
    );
    let cancelled_after = saga.order(&cancelled.order_id).await;
    assert_eq!(
        (cancelled_after.status.as_str(), cancelled_after.version),
        ("CANCELLED", cancelled_before.version)
    );
    let stock = saga.stock("ABC-1234-AB").await;
    assert_eq!((stock.on_hand, stock.reserved), (9, 0));
}

/// Events the state machine leaves without effect are acknowledged with no write: an
/// order the HTTP path still drives hearing its own `Reserved`, a decided order hearing
/// `Committed` or `Reserved` again. One that moves an order is recorded in the inbox.
#[tokio::test]
async fn events_that_cannot_move_an_order_are_taken_without_a_write() {
    let saga = spawn_saga(|_| {}, |_| {}).await;
    saga.create_stock("ABC-1234-AB", 10).await;
    let db = sqlx::PgPool::connect(&saga.order_settings.backbone.database_url)
        .await
        .unwrap();
    let inbox = || async {
        sqlx::query_scalar::<_, String>("SELECT event_id::text FROM inbox")
            .fetch_all(&db)
            .await
            .unwrap()
    };

    // Driven by the HTTP path (not handed over): its Reserved is the HTTP path's business.
    let driven = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 1}])).await;
    let heard = publish(
        &saga,
        &driven.order_id,
        ProductInventoryReserved {
            store_id: "central".into(),
            order_id: driven.order_id.clone(),
            items: lines("ABC-1234-AB", 1),
            expires_at: chrono::Utc::now(),
        },
    )
    .await;
    let after = settled(&saga, &driven.order_id).await;
    assert_eq!(
        (after.status.as_str(), after.version),
        ("PENDING", driven.version)
    );
    assert!(
        !inbox().await.contains(&heard),
        "a no-op was written to the inbox"
    );

    // A decided order hears its Committed again.
    let decided = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 1}])).await;
    saga.act(&decided.order_id, "handover").await;
    let confirmed = saga.decided(&decided.order_id).await;
    assert_eq!(confirmed.status, "CONFIRMED");
    let moved = inbox().await;
    assert!(
        !moved.is_empty(),
        "the events that moved the order are in the inbox"
    );
    let late = publish(
        &saga,
        &decided.order_id,
        ProductInventoryCommitted {
            store_id: "central".into(),
            order_id: decided.order_id.clone(),
            items: lines("ABC-1234-AB", 1),
        },
    )
    .await;
    let after = settled(&saga, &decided.order_id).await;
    assert_eq!(after.version, confirmed.version);
    assert!(
        !inbox().await.contains(&late),
        "a no-op was written to the inbox"
    );
    assert_eq!(inbox().await.len(), moved.len());
}

/// One line of `qty` units of `sku`: an order's line, or a reserved one (unpriced).
fn lines<L: From<EventLine>>(sku: &str, qty: i64) -> Vec<L> {
    vec![L::from(EventLine {
        sku: sku.into(),
        qty,
    })]
}

/// Publishes an inventory event as inventory-service would.
async fn publish<T: EventType + serde::Serialize>(
    saga: &crate::helpers::Saga,
    order_id: &str,
    data: T,
) -> String {
    let event = Envelope::new(
        "inventory-service",
        chrono::Utc::now(),
        Some(order_id),
        order_id,
        data,
    );
    RawPublisher::connect()
        .await
        .publish(
            &format!("{}inventory_events", saga.prefix),
            T::ROUTING_KEY,
            &event.id.to_string(),
            &serde_json::to_vec(&event).unwrap(),
        )
        .await;
    event.id.to_string()
}

/// The order, once the events published before have had time to be handled.
async fn settled(saga: &crate::helpers::Saga, order_id: &str) -> contracts::orders::OrderView {
    tokio::time::sleep(Duration::from_millis(600)).await;
    saga.order(order_id).await
}

#[tokio::test]
async fn events_whose_lines_are_not_the_orders_move_nothing_and_the_right_ones_confirm() {
    let mut saga = spawn_saga(|_| {}, |_| {}).await;
    // The inventory is away: only the events this test publishes reach order-service.
    saga.stop_inventory().await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 5}])).await;
    saga.act(&order.order_id, "handover").await;
    let handed = saga.order(&order.order_id).await;

    // One unit held for the order's id (e.g. through the public single-SKU route).
    let partial = ProductInventoryReserved {
        store_id: "central".into(),
        order_id: order.order_id.clone(),
        items: lines("ABC-1234-AB", 1),
        expires_at: chrono::Utc::now(),
    };
    publish(&saga, &order.order_id, partial).await;
    let after = settled(&saga, &order.order_id).await;
    assert_eq!(
        (after.status.as_str(), after.version),
        ("PENDING", handed.version)
    );

    let whole = ProductInventoryReserved {
        store_id: "central".into(),
        order_id: order.order_id.clone(),
        items: lines("ABC-1234-AB", 5),
        expires_at: chrono::Utc::now(),
    };
    publish(&saga, &order.order_id, whole).await;
    let reserved = settled(&saga, &order.order_id).await;
    assert_eq!(reserved.status, "RESERVED");

    // A commit of other lines is no proof either.
    let wrong = ProductInventoryCommitted {
        store_id: "central".into(),
        order_id: order.order_id.clone(),
        items: lines("ABC-1234-AB", 1),
    };
    publish(&saga, &order.order_id, wrong).await;
    let still = settled(&saga, &order.order_id).await;
    assert_eq!(
        (still.status.as_str(), still.version),
        ("RESERVED", reserved.version)
    );

    let right = ProductInventoryCommitted {
        store_id: "central".into(),
        order_id: order.order_id.clone(),
        items: lines("ABC-1234-AB", 5),
    };
    publish(&saga, &order.order_id, right).await;
    assert_eq!(saga.decided(&order.order_id).await.status, "CONFIRMED");
    let metrics = saga.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("saga_events_refused_total") && l.ends_with(" 1")),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_commit_that_fails_for_lost_stock_cancels_the_order_and_is_counted() {
    let mut saga = spawn_saga(|_| {}, |_| {}).await;
    saga.stop_inventory().await;
    let order = saga.place(json!([{"sku": "ABC-1234-AB", "qty": 2}])).await;
    saga.act(&order.order_id, "handover").await;
    let whole = ProductInventoryReserved {
        store_id: "central".into(),
        order_id: order.order_id.clone(),
        items: lines("ABC-1234-AB", 2),
        expires_at: chrono::Utc::now(),
    };
    publish(&saga, &order.order_id, whole).await;
    assert_eq!(settled(&saga, &order.order_id).await.status, "RESERVED");
    let lost = ProductInventoryCommitFailed {
        store_id: "central".into(),
        order_id: order.order_id.clone(),
        reason: CommitFailureReason::StockLost,
        shortages: vec![],
    };
    publish(&saga, &order.order_id, lost).await;
    let decided = saga.decided(&order.order_id).await;
    assert_eq!(decided.status, "CANCELLED");
    assert_eq!(decided.history.last().unwrap().reason, "stock_lost");
    let metrics = saga.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("saga_stock_lost_total{path=\"event\"}") && l.ends_with(" 1")),
        "{metrics}"
    );
}

/// Inventory events about orders that are not this service's (a hold made straight on
/// the inventory under a client's own key, an id no order has) are acknowledged and
/// counted; one whose order id breaks the contract is dead-lettered with its reason.
#[tokio::test]
async fn events_about_other_orders_are_counted_and_a_malformed_order_id_is_dead_lettered() {
    let mut saga = spawn_saga(|_| {}, |_| {}).await;
    saga.stop_inventory().await;
    let reserved = |order_id: &str| ProductInventoryReserved {
        store_id: "central".into(),
        order_id: order_id.into(),
        items: lines("ABC-1234-AB", 1),
        expires_at: chrono::Utc::now(),
    };
    for other in ["order-001", "0192f1c3-7a1e-7c3e-9a0b-1f2e3d4c5b6a"] {
        publish(&saga, other, reserved(other)).await;
    }
    publish(&saga, "has space", reserved("has space")).await;

    let dlq = format!("{}order-service.inventory_events.dlq", saga.prefix);
    let mut counted = false;
    for _ in 0..100 {
        counted = saga.metrics().await.lines().any(|l| {
            l.starts_with("saga_events_not_ours_total{event_type=\"ProductInventoryReserved\"}")
                && l.ends_with(" 2")
        });
        if counted && testkit::broker::queue_depth(&dlq).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counted, "{}", saga.metrics().await);
    let listed: serde_json::Value = saga
        .client
        .get(format!("{}/admin/dlq", saga.orders.address))
        .header("x-api-key", order_service::config::TEST_ADMIN_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .contains("invalid_order_id"),
        "{listed}"
    );
}
