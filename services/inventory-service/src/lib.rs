//! inventory-service: the inventory domain service (port 3003, database `inventory`).
//!
//! It owns stock, reservations (holds) and the movement trail. Reservations are atomic
//! in PostgreSQL and never oversell, however many instances share the database.
//!
//! - [`domain`]: value objects, `ProductInventory`, `Reservation`, `Movement`; pure rules.
//! - [`application`]: use cases and the ports they need.
//! - [`adapters`]: PostgreSQL store (measured), HTTP API, consumer of order events.
//! - [`expiry_sweeper`]: the worker that releases expired holds.
//! - [`config`], [`startup`]: settings, and the wiring onto the shared runtime
//!   (`service`), which also runs the outbox relay, the consumer and the retention of
//!   handled events and settled order records.

pub mod adapters;
pub mod application;
pub mod config;
pub mod domain;
pub mod expiry_sweeper;
pub mod startup;
