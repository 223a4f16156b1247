//! The end-to-end suite's toolkit. A [`System`] runs the four real service binaries as
//! processes against the real PostgreSQL and RabbitMQ (fresh databases and a broker
//! virtual host of its own per scenario); scenarios drive it only through the public
//! HTTP APIs and the broker, break it ([`System::kill`], [`System::stop`],
//! [`broker::VirtualHost::close_connections`], [`broker::restart_broker`]), and end
//! with the [`auditor`], which checks the saga's invariants in both databases.
//!
//! The scenarios live in `tests/`; `docs/runbooks/e2e.md` says how to run them and
//! read a failure.

pub mod auditor;
pub mod broker;
mod process;
pub mod system;
pub mod traffic;

pub use auditor::Report;
pub use system::{Options, Service, System};

/// SKUs `EEE-0001-AA`, `EEE-0002-AA`, ... in the contract's `AAA-9999-AA` form.
pub fn skus(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("EEE-{i:04}-AA")).collect()
}
