//! Order events consumed with exactly-once effect: duplicates, reordering, a reservation
//! already made over HTTP, malformed messages, and two instances on one queue.

use std::time::Duration;

use contracts::events::{
    Envelope, EventLine, EventType, OrderCancelled, OrderCommitRequested, OrderCreated, RawEnvelope,
};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;
use testkit::broker::{EventTap, RawPublisher, queue_depth, wait_for_consumer};

use crate::helpers::{TestApp, spawn_app, spawn_on};

const LIMIT: Duration = Duration::from_secs(15);

fn created(order_id: &str, items: &[(&str, i64)]) -> Envelope<OrderCreated> {
    Envelope::new(
        "order-service",
        chrono::Utc::now(),
        Some(order_id),
        order_id,
        OrderCreated {
            location_id: None,
            order_id: order_id.into(),
            customer_id: None,
            items: items
                .iter()
                .map(|(sku, qty)| EventLine {
                    sku: (*sku).into(),
                    qty: *qty,
                })
                .collect(),
            ttl_seconds: None,
        },
    )
}

async fn publish<T: EventType>(app: &TestApp, publisher: &RawPublisher, event: &Envelope<T>) {
    publisher
        .publish(
            &app.broker_name(T::EXCHANGE),
            T::ROUTING_KEY,
            &event.id.to_string(),
            &serde_json::to_vec(event).unwrap(),
        )
        .await;
}

async fn ready(app: &TestApp) -> (RawPublisher, EventTap) {
    wait_for_consumer(&app.broker_name("inventory-service.order_events")).await;
    let tap = EventTap::start(&app.broker_name("inventory_events")).await;
    (RawPublisher::connect().await, tap)
}

fn answers_for(seen: &[testkit::broker::Tapped], order_id: &str) -> Vec<String> {
    seen.iter()
        .filter(|m| m.body["orderId"] == order_id)
        .filter(|m| {
            m.routing_key.ends_with(".reserved") || m.routing_key.ends_with(".reservation_failed")
        })
        .map(|m| m.routing_key.clone())
        .collect()
}

#[tokio::test]
async fn the_same_order_created_delivered_twice_reserves_once_and_answers_once() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let (publisher, mut tap) = ready(&app).await;
    let event = created("o-1", &[("ABC-1234-AB", 3)]);
    publish(&app, &publisher, &event).await;
    publish(&app, &publisher, &event).await;

    let seen = tap.collect(Duration::from_secs(1), LIMIT).await;
    assert_eq!(
        answers_for(&seen, "o-1"),
        ["product.inventory.reserved"],
        "{seen:#?}"
    );
    let stock = app.stock("ABC-1234-AB").await;
    assert_eq!((stock.reserved, stock.version), (3, 2));
}

#[tokio::test]
async fn an_order_cancelled_before_its_creation_reserves_nothing() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let (publisher, mut tap) = ready(&app).await;
    let cancelled = Envelope::new(
        "order-service",
        chrono::Utc::now(),
        Some("o-late"),
        "o-late",
        OrderCancelled {
            order_id: "o-late".into(),
            reason: "customer".into(),
        },
    );
    publish(&app, &publisher, &cancelled).await;
    // Let the cancellation land before the late creation.
    tokio::time::sleep(Duration::from_millis(500)).await;
    publish(&app, &publisher, &created("o-late", &[("ABC-1234-AB", 3)])).await;

    let seen = tap
        .until(LIMIT, |m| m.routing_key.ends_with(".reservation_failed"))
        .await;
    let failed = seen.last().expect("an answer");
    assert_eq!(failed.body["data"]["reason"], "order_cancelled");
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 0);
    // And an HTTP reservation for the cancelled order is refused too.
    let r = app.reserve("ABC-1234-AB", "o-late", 1).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 0);
}

#[tokio::test]
async fn an_order_already_reserved_over_http_is_answered_without_reserving_again() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    assert_eq!(
        app.reserve("ABC-1234-AB", "o-http", 2).await.status(),
        StatusCode::NO_CONTENT
    );
    let (publisher, mut tap) = ready(&app).await;
    publish(&app, &publisher, &created("o-http", &[("ABC-1234-AB", 2)])).await;
    let seen = tap
        .until(LIMIT, |m| {
            m.body["orderId"] == "o-http" && m.routing_key.ends_with(".reserved")
        })
        .await;
    assert!(!seen.is_empty());
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 2);
}

#[tokio::test]
async fn a_commit_request_commits_exactly_the_lines_and_order_cancelled_releases_the_holds() {
    let app = spawn_app().await;
    app.create("AAA-0001-AA", 10).await;
    app.create("BBB-0001-BB", 10).await;
    let (publisher, mut tap) = ready(&app).await;
    publish(
        &app,
        &publisher,
        &created("o-keep", &[("AAA-0001-AA", 2), ("BBB-0001-BB", 3)]),
    )
    .await;
    publish(&app, &publisher, &created("o-drop", &[("AAA-0001-AA", 1)])).await;
    tap.until(LIMIT, |m| {
        m.body["orderId"] == "o-drop" && m.routing_key.ends_with(".reserved")
    })
    .await;
    let confirm = Envelope::new(
        "order-service",
        chrono::Utc::now(),
        Some("o-keep"),
        "o-keep",
        OrderCommitRequested {
            order_id: "o-keep".into(),
            items: vec![line("AAA-0001-AA", 2), line("BBB-0001-BB", 3)],
        },
    );
    let cancel = Envelope::new(
        "order-service",
        chrono::Utc::now(),
        Some("o-drop"),
        "o-drop",
        OrderCancelled {
            order_id: "o-drop".into(),
            reason: "test".into(),
        },
    );
    publish(&app, &publisher, &confirm).await;
    publish(&app, &publisher, &cancel).await;
    // Delivered again: nothing changes twice.
    publish(&app, &publisher, &confirm).await;
    publish(&app, &publisher, &cancel).await;
    let mut seen = tap
        .until(LIMIT, |m| m.routing_key.ends_with(".released"))
        .await;
    seen.extend(tap.collect(Duration::from_secs(1), LIMIT).await);
    assert_eq!(
        seen.iter()
            .filter(|m| m.routing_key.ends_with(".committed"))
            .count(),
        1,
        "{seen:#?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|m| m.routing_key.ends_with(".released"))
            .count(),
        1
    );
    let a = app.stock("AAA-0001-AA").await;
    let b = app.stock("BBB-0001-BB").await;
    assert_eq!((a.on_hand, a.reserved), (8, 0));
    assert_eq!((b.on_hand, b.reserved), (7, 0));
}

#[tokio::test]
async fn a_malformed_message_goes_to_the_dead_letter_queue_and_the_next_is_handled() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let (publisher, mut tap) = ready(&app).await;
    let exchange = app.broker_name("order_events");
    publisher
        .publish(&exchange, "order.created", "poison-1", b"{not json")
        .await;
    let unknown_version = {
        let mut raw: Value = serde_json::to_value(created("o-v9", &[("ABC-1234-AB", 1)])).unwrap();
        raw["version"] = 9.into();
        raw
    };
    publisher
        .publish(
            &exchange,
            "order.created",
            "poison-2",
            &serde_json::to_vec(&unknown_version).unwrap(),
        )
        .await;
    publish(&app, &publisher, &created("o-fine", &[("ABC-1234-AB", 1)])).await;
    tap.until(LIMIT, |m| m.body["orderId"] == "o-fine").await;
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 1);

    let dlq = app.broker_name("inventory-service.order_events.dlq");
    for _ in 0..50 {
        if queue_depth(&dlq).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = app.get("/admin/dlq").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let listed: Value = app
        .client
        .get(format!("{}/admin/dlq", app.address))
        .header("x-api-key", "test-admin-key-0123456789")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(items[0]["id"], "poison-1");
    assert!(
        items[0]["reason"].as_str().unwrap().contains("malformed"),
        "{listed}"
    );
    assert_eq!(items[0]["originalRoutingKey"], "order.created");
    assert!(
        items[1]["reason"].as_str().unwrap().contains("version 9"),
        "{listed}"
    );
    // Listing leaves them in place.
    assert_eq!(queue_depth(&dlq).await, 2);
}

#[tokio::test]
async fn two_instances_on_one_queue_double_no_effect_and_no_event() {
    let one = spawn_app().await;
    let two = spawn_on(&one.db).await;
    one.create("ABC-1234-AB", 20).await;
    let (publisher, mut tap) = ready(&one).await;
    let events: Vec<_> = (0..30)
        .map(|i| created(&format!("o-{i}"), &[("ABC-1234-AB", 1)]))
        .collect();
    join_all(events.iter().map(|e| publish(&one, &publisher, e))).await;
    join_all(events.iter().map(|e| publish(&one, &publisher, e))).await;

    let seen = tap.collect(Duration::from_secs(2), LIMIT).await;
    let answers: Vec<_> = seen
        .iter()
        .filter(|m| {
            m.routing_key.ends_with(".reserved") || m.routing_key.ends_with(".reservation_failed")
        })
        .collect();
    assert_eq!(answers.len(), 30, "one answer per order: {answers:#?}");
    let mut ids: Vec<_> = seen.iter().map(|m| m.message_id.clone().unwrap()).collect();
    let published = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), published, "no event published twice");
    assert_eq!(
        answers
            .iter()
            .filter(|m| m.routing_key.ends_with(".reserved"))
            .count(),
        20
    );
    let stock = two.stock("ABC-1234-AB").await;
    assert_eq!((stock.reserved, stock.available), (20, 0));
    let envelope: RawEnvelope = serde_json::from_value(answers[0].body.clone()).unwrap();
    assert_eq!(envelope.source, "inventory-service");
}

fn line(sku: &str, qty: i64) -> EventLine {
    EventLine {
        sku: sku.into(),
        qty,
    }
}

fn commit_request(order: &str, lines: &[(&str, i64)]) -> Envelope<OrderCommitRequested> {
    Envelope::new(
        "order-service",
        chrono::Utc::now(),
        Some(order),
        order,
        OrderCommitRequested {
            order_id: order.into(),
            items: lines.iter().map(|(s, q)| line(s, *q)).collect(),
        },
    )
}

#[tokio::test]
async fn a_commit_after_the_hold_expired_takes_the_units_again_or_answers_stock_lost() {
    let app = spawn_app().await;
    app.create("AAA-0001-AA", 5).await;
    let (publisher, mut tap) = ready(&app).await;
    for order in ["o-late", "o-lost"] {
        let mut event = created(order, &[("AAA-0001-AA", 2)]);
        event.data.ttl_seconds = Some(1);
        publish(&app, &publisher, &event).await;
        tap.until(LIMIT, |m| {
            m.body["orderId"] == order && m.routing_key.ends_with(".reserved")
        })
        .await;
    }
    for order in ["o-late", "o-lost"] {
        tap.until(LIMIT, |m| {
            m.body["orderId"] == order && m.routing_key.ends_with(".expired")
        })
        .await;
    }
    // Someone else takes 2 of the 5 units the expired holds gave back.
    assert_eq!(
        app.reserve("AAA-0001-AA", "o-other", 2).await.status(),
        StatusCode::NO_CONTENT
    );
    publish(
        &app,
        &publisher,
        &commit_request("o-late", &[("AAA-0001-AA", 2)]),
    )
    .await;
    let committed = tap
        .until(LIMIT, |m| {
            m.body["orderId"] == "o-late" && m.routing_key.ends_with(".committed")
        })
        .await;
    assert_eq!(committed.last().unwrap().body["data"]["items"][0]["qty"], 2);
    publish(
        &app,
        &publisher,
        &commit_request("o-lost", &[("AAA-0001-AA", 2)]),
    )
    .await;
    let failed = tap
        .until(LIMIT, |m| {
            m.body["orderId"] == "o-lost" && m.routing_key.ends_with(".commit_failed")
        })
        .await;
    assert_eq!(failed.last().unwrap().body["data"]["reason"], "stock_lost");
    let stock = app.stock("AAA-0001-AA").await;
    // 5 on hand: 2 committed for o-late, 2 held by o-other, 1 left; o-lost got nothing.
    assert_eq!((stock.on_hand, stock.reserved, stock.available), (3, 2, 1));
}

#[tokio::test]
async fn cancelling_an_order_whose_lines_were_committed_puts_them_back_on_sale() {
    let app = spawn_app().await;
    app.create("AAA-0001-AA", 5).await;
    let (publisher, mut tap) = ready(&app).await;
    publish(&app, &publisher, &created("o-back", &[("AAA-0001-AA", 3)])).await;
    publish(
        &app,
        &publisher,
        &commit_request("o-back", &[("AAA-0001-AA", 3)]),
    )
    .await;
    tap.until(LIMIT, |m| m.routing_key.ends_with(".committed"))
        .await;
    assert_eq!(app.stock("AAA-0001-AA").await.on_hand, 2);
    let cancel = Envelope::new(
        "order-service",
        chrono::Utc::now(),
        Some("o-back"),
        "o-back",
        OrderCancelled {
            order_id: "o-back".into(),
            reason: "saga timed out".into(),
        },
    );
    publish(&app, &publisher, &cancel).await;
    tap.until(LIMIT, |m| m.routing_key.ends_with(".released"))
        .await;
    let stock = app.stock("AAA-0001-AA").await;
    assert_eq!((stock.on_hand, stock.reserved), (5, 0));
    // A late commit request of the cancelled order commits nothing.
    publish(
        &app,
        &publisher,
        &commit_request("o-back", &[("AAA-0001-AA", 3)]),
    )
    .await;
    let failed = tap
        .until(LIMIT, |m| m.routing_key.ends_with(".commit_failed"))
        .await;
    assert_eq!(
        failed.last().unwrap().body["data"]["reason"],
        "order_cancelled"
    );
    assert_eq!(app.stock("AAA-0001-AA").await.on_hand, 5);
}
