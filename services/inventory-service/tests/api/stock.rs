use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, replay, spawn_app};

#[tokio::test]
async fn the_seed_script_leaves_30_on_hand_2_reserved_28_available() {
    let app = spawn_app().await;
    let sku = "ABC-1234-AB";
    let r = app.post("/inventory", json!({"sku": sku, "qty": 10})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/inventory/ABC-1234-AB");
    assert_eq!(
        app.get(&format!("/inventory/{sku}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.reserve(sku, "order-001", 5).await.status(),
        StatusCode::NO_CONTENT
    );
    let r = app
        .post(
            &format!("/inventory/{sku}/release"),
            json!({"qty": 3, "orderId": "order-001"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .post(&format!("/inventory/{sku}/replenish"), json!({"qty": 20}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let stock = app.stock(sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved, stock.available),
        (30, 2, 28)
    );
    let trail = app.movements(sku).await;
    let kinds: Vec<_> = trail.items.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["replenished", "released", "reserved", "created"]);
    assert_eq!(replay(&trail), (30, 2));
}

#[tokio::test]
async fn creating_an_existing_sku_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 10).await;
    let r = app
        .post("/inventory", json!({"sku": "ABC-1234-AB", "qty": 99}))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "sku_exists").await;
    assert_eq!(app.stock("ABC-1234-AB").await.on_hand, 10);
    assert_eq!(app.movements("ABC-1234-AB").await.items.len(), 1);
}

#[tokio::test]
async fn an_unknown_sku_is_404_on_every_route() {
    let app = spawn_app().await;
    let sku = "NOP-0000-NO";
    assert_problem(
        app.get(&format!("/inventory/{sku}")).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    assert_problem(
        app.reserve(sku, "o-1", 1).await,
        StatusCode::NOT_FOUND,
        "unknown_sku",
    )
    .await;
    for (route, body) in [
        ("release", json!({"orderId": "o-1"})),
        ("confirm", json!({"orderId": "o-1"})),
        ("replenish", json!({"qty": 1})),
    ] {
        let r = app.post(&format!("/inventory/{sku}/{route}"), body).await;
        assert_problem(r, StatusCode::NOT_FOUND, "unknown_sku").await;
    }
    let r = app.get(&format!("/inventory/{sku}/movements")).await;
    assert_problem(r, StatusCode::NOT_FOUND, "unknown_sku").await;
}

#[tokio::test]
async fn replenish_adds_to_on_hand_with_a_movement() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 0).await;
    let r = app
        .post("/inventory/ABC-1234-AB/replenish", json!({"qty": 7}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let stock = app.stock("ABC-1234-AB").await;
    assert_eq!((stock.on_hand, stock.available, stock.version), (7, 7, 2));
    assert_eq!(
        app.movements("ABC-1234-AB").await.items[0].kind,
        "replenished"
    );
}

#[tokio::test]
async fn movements_are_paged_newest_first() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 100).await;
    for i in 0..5 {
        assert_eq!(
            app.reserve("ABC-1234-AB", &format!("o-{i}"), 1)
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
    }
    let first: contracts::inventory::MovementPageView = app
        .get("/inventory/ABC-1234-AB/movements?limit=4")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first.items.len(), 4);
    assert!(first.items.windows(2).all(|w| w[0].id > w[1].id));
    let cursor = first.next_cursor.expect("a next page");
    let second: contracts::inventory::MovementPageView = app
        .get(&format!(
            "/inventory/ABC-1234-AB/movements?limit=4&before={cursor}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second.items.len(), 2);
    assert_eq!(second.items.last().unwrap().kind, "created");
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn falling_under_the_safety_stock_is_recorded_once_per_crossing() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/inventory",
            json!({"sku": "ABC-1234-AB", "qty": 10, "safetyStock": 5}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    for (i, qty) in [4, 2, 1].into_iter().enumerate() {
        app.reserve("ABC-1234-AB", &format!("o-{i}"), qty).await;
    }
    let stock = app.stock("ABC-1234-AB").await;
    assert!(stock.below_safety_stock);
    let crossings: Vec<_> = app
        .movements("ABC-1234-AB")
        .await
        .items
        .into_iter()
        .filter(|m| m.crossed_below_safety_stock)
        .map(|m| m.order_id.unwrap())
        .collect();
    assert_eq!(crossings, ["o-1"]);
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    // Ready once the database answers and the broker connection is up.
    let mut ready = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        ready = app.get("/readyz").await.status();
        if ready == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ready, StatusCode::OK);
    assert_problem(
        app.get("/nope").await,
        StatusCode::NOT_FOUND,
        "route_not_found",
    )
    .await;
}

#[tokio::test]
async fn movements_cannot_be_rewritten() {
    let app = spawn_app().await;
    app.create("ABC-1234-AB", 1).await;
    let pool = app.pool().await;
    let update = sqlx::query("UPDATE movements SET qty = 99")
        .execute(&pool)
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM movements").execute(&pool).await;
    assert!(delete.is_err());
}
