//! A transaction whose caller is cancelled at any instant leaves no connection of the
//! pool inside a transaction.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

#[tokio::test]
async fn a_begin_cancelled_at_any_instant_leaves_the_pooled_connection_clean() {
    let db = testkit::fresh_database("database_begin").await;
    // One connection: every attempt reuses the one a cancelled attempt gave back.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (n int)")
        .execute(&pool)
        .await
        .unwrap();
    // Watches the pool's connection from outside.
    let observer = PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    for step in 0..200u64 {
        let cut = Duration::from_micros(step * 25);
        let attempt = async {
            let mut tx = database::begin(&pool).await?;
            sqlx::query("INSERT INTO t VALUES (1)")
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        };
        let _ = tokio::time::timeout(cut, attempt).await;
        // Whatever the cut left running finishes (and gives the connection back).
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stuck: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&observer)
        .await
        .unwrap();
        assert_eq!(
            stuck, 0,
            "after a cut at {cut:?} a pooled connection sits in a transaction"
        );
    }
    // An autocommit write after all that is there for everyone.
    sqlx::query("INSERT INTO t VALUES (2)")
        .execute(&pool)
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM t WHERE n = 2")
        .fetch_one(&observer)
        .await
        .unwrap();
    assert_eq!(seen, 1);
}
