//! The PostgreSQL store of orders: pool, embedded migrations, and `OrderStore`.

mod rows;
mod store;

pub use store::PgOrderStore;

use sqlx::{PgPool, migrate::Migrator};

/// Creates the database if missing, connects, and runs the migrations.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    database::connect(url, max_connections, &MIGRATOR).await
}

/// The service's schema, embedded in the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");
