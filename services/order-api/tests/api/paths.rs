//! The same checkouts through the HTTP-first path and through the event path (the
//! inventory path unreachable for a second order-api) end in the same states.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{checkout_at, spawn_system, start_order_api};

#[tokio::test]
async fn both_paths_reach_the_same_end_state_for_the_same_inputs() {
    let system = spawn_system().await;
    // A second front door whose inventory path is dead: everything goes by events.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let by_events = start_order_api(order_api::config::Settings::for_tests(
        &system.order_service.address,
        &format!("http://127.0.0.1:{dead}"),
    ))
    .await;

    let mut outcomes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (front, prefix) in [
        (&system.order_api.address, "HTP"),
        (&by_events.address, "EVT"),
    ] {
        let a = format!("{prefix}-0001-AA");
        let b = format!("{prefix}-0002-BB");
        system.create_stock(&a, 5).await;
        system.create_stock(&b, 2).await;
        let mut statuses = Vec::new();
        for items in [
            json!([{"sku": a, "qty": 2}, {"sku": b, "qty": 1}]),
            json!([{"sku": a, "qty": 2}]),
            json!([{"sku": a, "qty": 2}, {"sku": b, "qty": 1}]), // short of a
            json!([{"sku": b, "qty": 1}]),
        ] {
            let r = checkout_at(&system.client, front, items, None).await;
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            let order_id = body["orderId"].as_str().unwrap().to_owned();
            if prefix == "EVT" {
                assert_eq!(status, StatusCode::ACCEPTED);
            }
            statuses.push(system.decided(&order_id).await.status);
        }
        let a_stock = system.stock_until(&a, |s| s.reserved == 0).await;
        let b_stock = system.stock_until(&b, |s| s.reserved == 0).await;
        statuses.push(format!("{}:{}", a_stock.on_hand, b_stock.on_hand));
        outcomes.insert(prefix, statuses);
    }
    assert_eq!(outcomes["HTP"], outcomes["EVT"], "{outcomes:?}");
    assert_eq!(
        outcomes["HTP"],
        ["CONFIRMED", "CONFIRMED", "CANCELLED", "CONFIRMED", "1:0"]
    );
}
