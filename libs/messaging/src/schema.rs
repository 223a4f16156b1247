//! The messaging tables (`outbox`, `inbox`), as migrations this library owns and each
//! service runs into its own database before its own (see `database::connect`).
//!
//! Their history is kept apart from the service's, in `_messaging_migrations`, so the
//! two sets of migrations never have to agree on version numbers.

use sqlx::migrate::Migrator;

/// The table that records which messaging migrations a database has had.
pub const MIGRATIONS_TABLE: &str = "_messaging_migrations";

/// The messaging migrations, embedded in every binary that links this library.
pub fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    migrator
}
