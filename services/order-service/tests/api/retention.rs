//! Retention: the ids of events handled longer ago than the retention are deleted, the
//! recent ones kept; a running service prunes from its start and counts what it removed.

use std::time::Duration;

use chrono::Utc;
use messaging::retention::Retention;
use order_service::adapters::postgres::migrator;
use order_service::config::Settings;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::start_orders;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The service's database, migrated as the service does.
async fn connect(url: &str) -> PgPool {
    service::Backbone::for_tests(url, "")
        .connect(&migrator())
        .await
        .unwrap()
        .pool()
        .clone()
}

async fn handled(pool: &PgPool, days_ago: i32) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO inbox (consumer, event_id, event_type, handled_at)
         VALUES ('order-service', $1, 'ProductInventoryReserved',
                 now() - make_interval(days => $2))",
    )
    .bind(id)
    .bind(days_ago)
    .execute(pool)
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn old_handled_event_ids_go_and_recent_ones_stay() {
    let db = testkit::fresh_database("orders_retention").await;
    let pool = connect(&db.url).await;
    for days_ago in [8, 9, 30, 365, 8] {
        handled(&pool, days_ago).await;
    }
    let recent = [handled(&pool, 6).await, handled(&pool, 0).await];
    // Batches of 2: the old rows take several statements.
    let mut retention = Retention::new(pool.clone(), 7 * DAY);
    retention.batch = 2;

    assert_eq!(retention.prune(Utc::now()).await.unwrap(), [("inbox", 5)]);

    let mut left: Vec<Uuid> = sqlx::query_scalar("SELECT event_id FROM inbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    left.sort();
    assert_eq!(left, recent.to_vec());
    // Nothing left that old: the next round removes nothing.
    assert_eq!(retention.prune(Utc::now()).await.unwrap(), [("inbox", 0)]);
}

#[tokio::test]
async fn a_running_service_prunes_from_its_start_and_counts_what_it_removed() {
    telemetry::init_for_tests();
    let db = testkit::fresh_database("orders_retention").await;
    let pool = connect(&db.url).await;
    handled(&pool, 8).await;

    let orders = start_orders(Settings::for_tests(&db.url, &format!("{}.", db.name))).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        if inbox == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old row outlived the service's first round"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // One recorder per process, shared with the other tests' instances: the series is
    // there, its value is everyone's.
    let metrics = reqwest::get(format!("{}/metrics", orders.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"retention_pruned_total{table="inbox"}"#),
        "{metrics}"
    );
}
