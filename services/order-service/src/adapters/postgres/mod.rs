//! The PostgreSQL store of orders: pool, embedded migrations, and `OrderStore`.

mod rows;
mod store;

pub use store::PgOrderStore;

use std::time::Duration;

use anyhow::Context;
use sqlx::{
    PgPool, Postgres,
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// Creates the database if missing, connects, and runs the migrations.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    if !Postgres::database_exists(url).await.unwrap_or(true)
        && let Err(e) = Postgres::create_database(url).await
    {
        tracing::warn!(error = %e, "create database (another instance may have won)");
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
