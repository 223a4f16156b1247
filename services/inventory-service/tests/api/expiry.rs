use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{replay, spawn_app};

#[tokio::test]
async fn an_expired_hold_is_released_by_the_sweeper_with_a_movement() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let r = app
        .post(
            "/inventory/ABC-1234-AB/reserve",
            json!({"orderId": "o-1", "qty": 4, "ttlSeconds": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.reserve("ABC-1234-AB", "o-long", 2).await;
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 6);

    let mut reserved = 6;
    for _ in 0..100 {
        reserved = app.stock("ABC-1234-AB").await.reserved;
        if reserved == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        reserved, 2,
        "the short hold should have expired, the long one not"
    );
    let trail = app.movements("ABC-1234-AB").await;
    let expired: Vec<_> = trail.items.iter().filter(|m| m.kind == "expired").collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].order_id.as_deref(), Some("o-1"));
    assert_eq!(replay(&trail), (10, 2));

    // An expired hold can no longer be confirmed, and a retry does not re-reserve.
    let r = app
        .post("/inventory/ABC-1234-AB/confirm", json!({"orderId": "o-1"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.reserve("ABC-1234-AB", "o-1", 4).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 2);
}

#[tokio::test]
async fn two_sweepers_expire_each_hold_once() {
    let one = spawn_app().await;
    let _two = crate::helpers::spawn_on(&one.db).await;
    one.create("ABC-1234-AB", 100).await;
    for i in 0..20 {
        let r = one
            .post(
                "/inventory/ABC-1234-AB/reserve",
                json!({"orderId": format!("o-{i}"), "qty": 1, "ttlSeconds": 1}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    for _ in 0..100 {
        if one.stock("ABC-1234-AB").await.reserved == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let trail = one.movements("ABC-1234-AB").await;
    assert_eq!(
        trail.items.iter().filter(|m| m.kind == "expired").count(),
        20
    );
    assert_eq!(replay(&trail), (100, 0));
}
