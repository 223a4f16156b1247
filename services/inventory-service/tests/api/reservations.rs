use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, replay, spawn_app};

#[tokio::test]
async fn a_retried_reservation_answers_the_same_and_changes_nothing() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    for _ in 0..3 {
        assert_eq!(
            app.reserve("ABC-1234-AB", "order-001", 4).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let stock = app.stock("ABC-1234-AB").await;
    assert_eq!((stock.reserved, stock.version), (4, 2));
    assert_eq!(app.movements("ABC-1234-AB").await.items.len(), 2);
}

#[tokio::test]
async fn a_retry_with_another_quantity_is_refused() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    app.reserve("ABC-1234-AB", "order-001", 4).await;
    let r = app.reserve("ABC-1234-AB", "order-001", 5).await;
    assert_problem(r, StatusCode::CONFLICT, "reservation_conflict").await;
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 4);
}

#[tokio::test]
async fn a_retry_still_succeeds_when_stock_has_run_out_since() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 4).await;
    app.reserve("ABC-1234-AB", "order-001", 4).await;
    assert_eq!(
        app.reserve("ABC-1234-AB", "order-001", 4).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 4);
}

#[tokio::test]
async fn reserving_more_than_available_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 3).await;
    let body = assert_problem(
        app.reserve("ABC-1234-AB", "o-1", 4).await,
        StatusCode::CONFLICT,
        "insufficient_stock",
    )
    .await;
    assert_eq!(
        body["shortages"][0],
        json!({"sku": "ABC-1234-AB", "requested": 4, "available": 3})
    );
    let stock = app.stock("ABC-1234-AB").await;
    assert_eq!((stock.reserved, stock.version), (0, 1));
}

#[tokio::test]
async fn partial_release_then_release_of_the_rest() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    app.reserve("ABC-1234-AB", "o-1", 5).await;
    let release = |qty: Option<i64>| {
        let body = match qty {
            Some(q) => json!({"orderId": "o-1", "qty": q}),
            None => json!({"orderId": "o-1"}),
        };
        app.post("/inventory/ABC-1234-AB/release", body)
    };
    assert_eq!(release(Some(2)).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 3);
    assert_eq!(release(None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stock("ABC-1234-AB").await.reserved, 0);
    // Nothing left to release: a no-op success, no movement.
    assert_eq!(release(Some(1)).await.status(), StatusCode::NO_CONTENT);
    let trail = app.movements("ABC-1234-AB").await;
    assert_eq!(trail.items.len(), 4);
    assert_eq!(replay(&trail), (10, 0));
}

#[tokio::test]
async fn releasing_for_an_order_that_holds_nothing_is_a_no_op_success() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let r = app
        .post(
            "/inventory/ABC-1234-AB/release",
            json!({"orderId": "ghost"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.movements("ABC-1234-AB").await.items.len(), 1);
}

#[tokio::test]
async fn confirm_commits_the_hold_once() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    app.reserve("ABC-1234-AB", "o-1", 4).await;
    for _ in 0..2 {
        let r = app
            .post("/inventory/ABC-1234-AB/confirm", json!({"orderId": "o-1"}))
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let stock = app.stock("ABC-1234-AB").await;
    assert_eq!((stock.on_hand, stock.reserved, stock.available), (6, 0, 6));
    // A committed hold cannot be released any more.
    app.post("/inventory/ABC-1234-AB/release", json!({"orderId": "o-1"}))
        .await;
    assert_eq!(app.stock("ABC-1234-AB").await.on_hand, 6);
    assert_eq!(replay(&app.movements("ABC-1234-AB").await), (6, 0));
}

#[tokio::test]
async fn confirming_without_a_hold_or_after_release_is_refused() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let r = app
        .post("/inventory/ABC-1234-AB/confirm", json!({"orderId": "o-1"}))
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "reservation_not_found").await;
    app.reserve("ABC-1234-AB", "o-1", 4).await;
    app.post("/inventory/ABC-1234-AB/release", json!({"orderId": "o-1"}))
        .await;
    let r = app
        .post("/inventory/ABC-1234-AB/confirm", json!({"orderId": "o-1"}))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "reservation_not_active").await;
    assert_eq!(app.stock("ABC-1234-AB").await.on_hand, 10);
}

#[tokio::test]
async fn a_multi_sku_reservation_takes_all_lines() {
    let app = spawn_app().await;
    app.create("AAA-0001-AA", 5).await;
    app.create("BBB-0001-BB", 5).await;
    let body = json!({"orderId": "o-1", "items": [{"sku": "BBB-0001-BB", "qty": 2}, {"sku": "AAA-0001-AA", "qty": 3}]});
    let r = app.post("/reservations", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let view: contracts::inventory::ReservationView = r.json().await.unwrap();
    assert_eq!(view.items.len(), 2);
    // Idempotent: the same request again answers the same holds.
    let again: contracts::inventory::ReservationView =
        app.post("/reservations", body).await.json().await.unwrap();
    assert_eq!(again, view);
    assert_eq!(app.stock("AAA-0001-AA").await.reserved, 3);
    assert_eq!(app.stock("BBB-0001-BB").await.reserved, 2);
}

#[tokio::test]
async fn a_multi_sku_reservation_short_on_one_line_reserves_nothing() {
    let app = spawn_app().await;
    app.create("AAA-0001-AA", 5).await;
    app.create("BBB-0001-BB", 1).await;
    let body = json!({"orderId": "o-1", "items": [{"sku": "AAA-0001-AA", "qty": 3}, {"sku": "BBB-0001-BB", "qty": 2}]});
    let problem = assert_problem(
        app.post("/reservations", body).await,
        StatusCode::CONFLICT,
        "insufficient_stock",
    )
    .await;
    assert_eq!(
        problem["shortages"],
        json!([{"sku": "BBB-0001-BB", "requested": 2, "available": 1}])
    );
    assert_eq!(app.stock("AAA-0001-AA").await.reserved, 0);
    assert_eq!(app.stock("BBB-0001-BB").await.reserved, 0);
}

#[tokio::test]
async fn a_multi_sku_reservation_naming_an_unknown_sku_reserves_nothing() {
    let app = spawn_app().await;
    app.create("AAA-0001-AA", 5).await;
    let body = json!({"orderId": "o-1", "items": [{"sku": "AAA-0001-AA", "qty": 3}, {"sku": "ZZZ-0001-ZZ", "qty": 2}]});
    let problem = assert_problem(
        app.post("/reservations", body).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    assert_eq!(problem["skus"], json!(["ZZZ-0001-ZZ"]));
    assert_eq!(app.stock("AAA-0001-AA").await.reserved, 0);
}
