//! The PostgreSQL store: connection pool, embedded migrations, the `InventoryStore`
//! implementation and what it measures. All SQL of the service lives under this module.

mod db_metrics;
mod rows;
mod store;

use std::time::Duration;

use anyhow::Context;
use sqlx::{
    PgPool, Postgres,
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
};

pub use db_metrics::StoreSampler;
pub use store::PgInventoryStore;

/// Creates the database if it does not exist yet, connects, and runs the migrations
/// (under the migrator's advisory lock, so instances starting together are safe).
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    if !Postgres::database_exists(url).await.unwrap_or(true) {
        // Two instances may race to create it: the loser's error is harmless.
        if let Err(e) = Postgres::create_database(url).await {
            tracing::warn!(error = %e, "create database (another instance may have won)");
        }
    }
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a PostgreSQL URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("connect to PostgreSQL")?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("run migrations")?;
    Ok(pool)
}
