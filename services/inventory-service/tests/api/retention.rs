//! Retention: handled-event ids and settled order records older than the retention are
//! deleted; recent ones, and the record of an order still holding stock, are kept; a
//! record a change has locked is skipped without waiting; a running service prunes from
//! its start and counts what it removed.

use std::time::Duration;

use chrono::Utc;
use inventory_service::adapters::postgres::retention::prune_order_states;
use messaging::retention::Retention;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{connect, spawn_on};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

async fn migrated_pool() -> PgPool {
    let db = testkit::fresh_database("inventory_retention").await;
    connect(&db.url).await
}

/// Seven days' retention; batches of 2, so a few rows already take several statements.
/// As the service wires it: the inbox, then the order records.
fn retention(pool: &PgPool) -> Retention {
    let mut retention =
        Retention::new(pool.clone(), 7 * DAY).also("order_states", prune_order_states);
    retention.batch = 2;
    retention
}

async fn handled(pool: &PgPool, days_ago: i32) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO inbox (consumer, event_id, event_type, handled_at)
         VALUES ('inventory-service', $1, 'OrderCreated', now() - make_interval(days => $2))",
    )
    .bind(id)
    .bind(days_ago)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn order_record(pool: &PgPool, order_id: &str, days_ago: i32, cancelled: bool) {
    sqlx::query(
        "INSERT INTO order_states (order_id, cancelled, cancelled_at, updated_at)
         VALUES ($1, $2, CASE WHEN $2 THEN now() - make_interval(days => $3) END,
                 now() - make_interval(days => $3))",
    )
    .bind(order_id)
    .bind(cancelled)
    .bind(days_ago)
    .execute(pool)
    .await
    .unwrap();
}

async fn hold(pool: &PgPool, order_id: &str, status: &str) {
    sqlx::query(
        "INSERT INTO reservations (order_id, sku, requested, held, status, expires_at)
         VALUES ($1, 'RET-0001-AA', 1, 1, $2, now() + interval '15 minutes')",
    )
    .bind(order_id)
    .bind(status)
    .execute(pool)
    .await
    .unwrap();
}

async fn remaining_orders(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT order_id FROM order_states ORDER BY order_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn old_handled_event_ids_go_and_recent_ones_stay() {
    let pool = migrated_pool().await;
    for days_ago in [8, 9, 30, 365, 8] {
        handled(&pool, days_ago).await;
    }
    let recent = [handled(&pool, 6).await, handled(&pool, 0).await];

    let pruned = retention(&pool).prune(Utc::now()).await.unwrap();

    assert_eq!(pruned, [("inbox", 5), ("order_states", 0)]);
    let mut left: Vec<Uuid> = sqlx::query_scalar("SELECT event_id FROM inbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    left.sort();
    assert_eq!(left, recent.to_vec());
}

#[tokio::test]
async fn an_old_order_record_goes_unless_its_order_still_holds_stock() {
    let pool = migrated_pool().await;
    sqlx::query(
        "INSERT INTO product_inventory (sku, on_hand, reserved, safety_stock, version)
         VALUES ('RET-0001-AA', 10, 1, 0, 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Old, still holding stock: kept, however old.
    order_record(&pool, "holding", 30, false).await;
    hold(&pool, "holding", "active").await;
    // Old and settled: its cancellation, its committed hold, nothing at all.
    order_record(&pool, "cancelled", 8, true).await;
    order_record(&pool, "committed", 8, false).await;
    hold(&pool, "committed", "committed").await;
    order_record(&pool, "quiet", 100, false).await;
    // Recent: kept, whatever it holds.
    order_record(&pool, "recent-cancelled", 6, true).await;

    let pruned = retention(&pool).prune(Utc::now()).await.unwrap();

    assert_eq!(pruned, [("inbox", 0), ("order_states", 3)]);
    assert_eq!(
        remaining_orders(&pool).await,
        ["holding", "recent-cancelled"]
    );
    // The holds themselves are the inventory's record of stock: never pruned.
    let holds: i64 = sqlx::query_scalar("SELECT count(*) FROM reservations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(holds, 2);
}

#[tokio::test]
async fn a_record_locked_by_a_change_in_flight_is_skipped_not_waited_for() {
    let pool = migrated_pool().await;
    order_record(&pool, "busy", 30, false).await;
    // What every change of an order does first, left uncommitted.
    let mut change = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO order_states (order_id) VALUES ('busy')
         ON CONFLICT (order_id) DO UPDATE SET updated_at = now()",
    )
    .execute(&mut *change)
    .await
    .unwrap();

    let pruned = tokio::time::timeout(Duration::from_secs(5), retention(&pool).prune(Utc::now()))
        .await
        .expect("the pruner waited for the locked record")
        .unwrap();
    assert_eq!(pruned[1], ("order_states", 0));

    // Once the change commits, the record is fresh again and kept.
    change.commit().await.unwrap();
    let pruned = retention(&pool).prune(Utc::now()).await.unwrap();
    assert_eq!(pruned[1], ("order_states", 0));
    assert_eq!(remaining_orders(&pool).await, ["busy"]);
}

#[tokio::test]
async fn a_running_service_prunes_from_its_start_and_counts_what_it_removed() {
    let db = testkit::fresh_database("inventory_retention").await;
    let pool = connect(&db.url).await;
    handled(&pool, 8).await;
    order_record(&pool, "forgotten", 8, true).await;

    let app = spawn_on(&db).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        if inbox == 0 && remaining_orders(&pool).await.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old rows outlived the service's first round"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // One recorder per process, shared with the other tests' instances: the series are
    // there, their values are everyone's.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for table in ["inbox", "order_states"] {
        let series = format!(r#"retention_pruned_total{{table="{table}"}}"#);
        assert!(metrics.contains(&series), "{series} missing:\n{metrics}");
    }
}
