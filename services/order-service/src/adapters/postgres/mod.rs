//! The PostgreSQL store of orders: embedded migrations and `OrderStore`.

mod rows;
mod store;

pub use store::PgOrderStore;

use sqlx::migrate::Migrator;

/// The service's own tables, embedded in the binary (the outbox and inbox are the
/// messaging library's, migrated first; see `service::Backbone::connect`). Its history
/// may name migrations that were gathered since into the current files: a database
/// created before is left as it is.
pub fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
}
