//! Black-box tests of inventory-service over HTTP, against a real PostgreSQL (a fresh
//! database per test, see `testkit`).

mod backpressure;
mod concurrency;
mod events;
mod expiry;
mod expiry_batch;
mod helpers;
mod invalid_input;
mod locations;
mod metrics;
mod order_events;
mod prices;
mod reservations;
mod retention;
mod stock;
mod store;
mod upgrade;
