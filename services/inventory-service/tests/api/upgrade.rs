//! A database created before the migrations were gathered into one file (and before the
//! messaging library owned the outbox and inbox) keeps working: the service starts on
//! it, keeps its history, records the migrations it runs beside it, and serves the
//! stock it holds.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{broker_prefix, spawn_with};

const EARLIER_SCHEMA: &str = include_str!("../fixtures/earlier_schema.sql");

#[tokio::test]
async fn a_database_created_by_the_earlier_migrations_keeps_working() {
    let db = testkit::fresh_database("inventory_upgrade").await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::raw_sql(EARLIER_SCHEMA).execute(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO product_inventory (sku, on_hand, reserved, safety_stock, version)
         VALUES ('OLD-0001-AA', 10, 0, 0, 1)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let settings =
        inventory_service::config::Settings::for_tests(&db.url, &broker_prefix(&db.name));
    let app = spawn_with(settings, &db).await;

    let reserved = app
        .post(
            "/inventory/OLD-0001-AA/reserve",
            json!({ "qty": 3, "orderId": "o-1" }),
        )
        .await;
    assert_eq!(reserved.status(), StatusCode::NO_CONTENT);
    let stock = app.stock("OLD-0001-AA").await;
    assert_eq!((stock.on_hand, stock.reserved), (10, 3));
    // The earlier history is kept; the gathered file and messaging's are recorded beside it.
    let history: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(history, [1, 2, 3, 4, 5, 6, 100, 200, 300]);
    let messaging: Vec<i64> = sqlx::query_scalar("SELECT version FROM _messaging_migrations")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(messaging, [1]);
}
