//! inventory-service: the inventory domain service (port 3003, database `inventory`).
//!
//! It owns stock, reservations (holds) and the movement trail. Reservations are atomic
//! in PostgreSQL and never oversell, however many instances share the database.
//!
//! - [`domain`]: value objects, `ProductInventory`, `Reservation`, `Movement`; pure rules.
//! - [`application`]: use cases and the ports they need.
//! - [`adapters`]: PostgreSQL store and HTTP API.
//! - [`expiry_sweeper`]: the worker that releases expired holds.
//! - [`retention`]: the worker that deletes handled-event ids and settled order records
//!   once past their retention.
//! - [`config`], [`startup`]: settings and wiring.

pub mod adapters;
pub mod application;
pub mod config;
pub mod domain;
pub mod expiry_sweeper;
pub mod retention;
pub mod startup;
