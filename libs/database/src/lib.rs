//! PostgreSQL plumbing the domain services share.
//!
//! - [`connect`]: create the service's database if it is missing, open the pool, run the
//!   service's migrations (under the migrator's advisory lock, so instances starting
//!   together are safe).
//! - [`begin`]: start a transaction in a way a cancelled caller cannot break. An HTTP
//!   handler is dropped wherever it stands when its client hangs up or times out; sqlx
//!   0.9 cannot tell when that happens while `BEGIN` is in flight, and returns the
//!   connection to the pool inside a transaction nobody will end, where the next
//!   borrower's writes land and may never commit (transact-rs/sqlx#4393). Here `BEGIN`
//!   runs in a task of its own: if the caller is gone when it completes, the transaction
//!   is dropped as a whole and rolled back as sqlx does for any dropped transaction.
//!   Handlers stay cancellable everywhere else, so an overloaded service still sheds
//!   the work its callers abandoned.

use std::time::Duration;

use anyhow::Context;
use sqlx::{
    PgPool, Postgres, Transaction,
    migrate::{MigrateDatabase, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// How long a request may wait for a pooled connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates the database if it does not exist yet, connects, and runs `migrator`.
pub async fn connect(
    url: &str,
    max_connections: u32,
    migrator: &Migrator,
) -> anyhow::Result<PgPool> {
    if !Postgres::database_exists(url).await.unwrap_or(true)
        && let Err(e) = Postgres::create_database(url).await
    {
        // Two instances may race to create it: the loser's error is harmless.
        tracing::warn!(error = %e, "create database (another instance may have won)");
    }
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a PostgreSQL URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .context("connect to PostgreSQL")?;
    migrator.run(&pool).await.context("run migrations")?;
    Ok(pool)
}

/// `pool.begin()`, safe to cancel (see the module's documentation).
pub async fn begin(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin().await }).await {
        Ok(begun) => begun,
        Err(join) => Err(sqlx::Error::Io(std::io::Error::other(join))),
    }
}
