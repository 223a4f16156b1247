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
        assert!(
            outside_a_transaction(&pool).await,
            "after a cut at {cut:?} the pooled connection is inside a transaction"
        );
    }
    // An autocommit write after all that is there for everyone.
    sqlx::query("INSERT INTO t VALUES (2)")
        .execute(&pool)
        .await
        .unwrap();
    let other = PgPoolOptions::new().connect(&db.url).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM t WHERE n = 2")
        .fetch_one(&other)
        .await
        .unwrap();
    assert_eq!(seen, 1);
}

/// Whether the pool's next connection runs a statement outside any transaction. A
/// rollback sqlx queued for a dropped transaction goes first, so only a transaction
/// nobody will end shows. Simple protocol: then a statement's start is its implicit
/// transaction's start, while inside an older transaction `now()` is earlier.
async fn outside_a_transaction(pool: &sqlx::PgPool) -> bool {
    use sqlx::Row;
    sqlx::raw_sql("SELECT now() = statement_timestamp()")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0)
}
