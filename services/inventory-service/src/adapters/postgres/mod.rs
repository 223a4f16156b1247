//! The PostgreSQL store: embedded migrations and the `InventoryStore`
//! implementation, one module per way of changing stock. All SQL of the service lives
//! under this module; what it measures does not (see `measured_store`).
//!
//! - [`reserve_one`]: the hot path, one SKU for one order in one statement;
//! - [`locked_change`]: any command over the order's holds and the products they touch,
//!   decided by the domain under lock (also for an event, with its inbox record);
//! - [`expiry`]: the due holds of many orders expired in one transaction;
//! - [`create`] and [`reads`]: a new product, and what is read without a lock;
//! - [`locations`] and [`transfer`]: the places stock lives, and units moved between
//!   two of them in one transaction;
//! - [`price`]: the unit price of one row set, under its lock;
//! - [`change_set`]: locking products and writing what a change decided, shared by the
//!   locked change and the expiry;
//! - [`sampler`]: the database gauges, sampled periodically;
//! - [`retention`]: forgetting the settled orders' records once past their retention.

mod change_set;
mod create;
mod expiry;
mod locations;
mod locked_change;
mod price;
mod reads;
mod reserve_one;
pub mod retention;
mod rows;
mod sampler;
mod store;
mod transfer;

use sqlx::migrate::Migrator;

pub use sampler::StoreSampler;
pub use store::{PgInventoryStore, PgStore};

/// The service's own tables, embedded in the binary (the outbox and inbox are the
/// messaging library's, migrated first; see `service::Backbone::connect`). Its history
/// may name migrations that were gathered since into the current files: a database
/// created before is left as it is.
pub fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
}
