//! order-service killed with orders in flight, then started again: every order reaches
//! a terminal state and the stock adds up.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_saga, start_orders};

#[tokio::test]
async fn orders_in_flight_when_order_service_dies_all_end_terminal_after_restart() {
    let mut saga = spawn_saga(|s| s.handover_grace = Duration::from_millis(200), |_| {}).await;
    saga.create_stock("ABC-1234-AB", 15).await;
    let placed =
        join_all((0..20).map(|_| saga.place(json!([{"sku": "ABC-1234-AB", "qty": 1}])))).await;
    // Some are being handed over, some answered, some not yet: kill it now.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let orders = std::mem::replace(
        &mut saga.orders,
        start_orders(saga.order_settings.clone()).await,
    );
    orders.kill();

    let mut confirmed = 0;
    for order in &placed {
        let decided = saga.decided(&order.order_id).await;
        match decided.status.as_str() {
            "CONFIRMED" => confirmed += 1,
            "CANCELLED" => {}
            other => panic!("not terminal: {other}"),
        }
    }
    assert_eq!(confirmed, 15, "exactly the stock was sold");
    saga.stock_until("ABC-1234-AB", |s| s.on_hand == 0 && s.reserved == 0)
        .await;
}
