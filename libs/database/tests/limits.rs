//! The pool's connections are bounded by the server: a statement running past
//! `statement_timeout` is cancelled, a transaction idle past
//! `idle_in_transaction_session_timeout` loses its connection, and migrations, run outside
//! the pool, are bound by neither.

use std::time::Duration;

use database::PoolLimits;
use sqlx::{PgPool, migrate::Migrator};

/// One migration that sleeps 0.5 s, then creates table `migrated`.
static SLOW_MIGRATOR: Migrator = sqlx::migrate!("./tests/migrations");

/// Limits far below the migration's 0.5 s.
const TIGHT: PoolLimits = PoolLimits {
    statement_timeout: Duration::from_millis(100),
    idle_in_transaction_timeout: Duration::from_millis(200),
};

async fn tight_pool(label: &str) -> PgPool {
    let db = testkit::fresh_database(label).await;
    database::connect_with(&db.url, 2, &[&SLOW_MIGRATOR], &TIGHT)
        .await
        .expect("connect and migrate")
}

async fn show(pool: &PgPool, setting: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {setting}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn connect_bounds_every_connection_with_the_default_limits() {
    let db = testkit::fresh_database("database_defaults").await;
    // In a task of its own, as services start it: `connect` must stay `Send`.
    let pool = tokio::spawn(async move { database::connect(&db.url, 2, &[&SLOW_MIGRATOR]).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(show(&pool, "statement_timeout").await, "10s");
    assert_eq!(
        show(&pool, "idle_in_transaction_session_timeout").await,
        "30s"
    );
}

#[tokio::test]
async fn a_migration_slower_than_the_statement_timeout_still_runs() {
    let pool = tight_pool("database_slow_migration").await;
    // The migration slept past the limit and yet created its table.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM migrated")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(show(&pool, "statement_timeout").await, "100ms");
}

#[tokio::test]
async fn a_statement_running_past_the_statement_timeout_is_cancelled() {
    let pool = tight_pool("database_statement_timeout").await;
    let started = std::time::Instant::now();
    let err = sqlx::query("SELECT pg_sleep(5)")
        .execute(&pool)
        .await
        .expect_err("the sleep outlives the statement timeout");
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    // 57014: query_canceled, the code of a statement timeout.
    assert_eq!(code.as_deref(), Some("57014"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // The connection itself is fine: the next statement runs.
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[tokio::test]
async fn a_transaction_left_idle_past_its_limit_is_ended_by_the_server() {
    let pool = tight_pool("database_idle_in_transaction").await;
    let mut tx = database::begin(&pool).await.unwrap();
    sqlx::query("INSERT INTO migrated VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *tx)
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_secs(1)).await;

    // The server closed the connection: its backend is gone (seen from another one)...
    let alive: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
            .bind(pid)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!alive, "the idle transaction's backend is still there");
    // ...the transaction cannot go on...
    assert!(
        sqlx::query("SELECT 1").execute(&mut *tx).await.is_err(),
        "a statement ran in a transaction the server ended"
    );
    drop(tx);
    // ...its write never happened, and the pool replaces the connection it lost.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM migrated")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
