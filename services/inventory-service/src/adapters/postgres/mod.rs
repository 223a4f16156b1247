//! The PostgreSQL store: connection pool, embedded migrations, the `InventoryStore`
//! implementation and what it measures. All SQL of the service lives under this module.

mod db_metrics;
mod rows;
mod store;

use sqlx::{PgPool, migrate::Migrator};

pub use db_metrics::StoreSampler;
pub use store::PgInventoryStore;

/// Creates the database if it does not exist yet, connects, and runs the migrations
/// (under the migrator's advisory lock, so instances starting together are safe).
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    database::connect(url, max_connections, &MIGRATOR).await
}

/// The service's schema, embedded in the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");
