//! Reference limits: what PostgreSQL and RabbitMQ alone sustain on this machine, measured
//! in the same run as the services so that each figure of the services can be read as a
//! share of what the machine allows.
//!
//! - `pgbench` runs the service's single-SKU reservation statement (hot SKU and spread
//!   SKUs, at each reservation concurrency) and a point read of one SKU (at each of the
//!   reads' concurrencies) against a throwaway database built from the service's own
//!   migrations.
//! - `raw_broker` publishes persistent events with publisher confirms to a throwaway
//!   exchange and queue and consumes them in-process, at the event hop's rate and flat
//!   out.
//!
//! A limit that cannot be measured (no pgbench, no broker) is kept as a row with no
//! figures and a note: the run goes on and the report says `n/a`.

mod event;
mod pgbench;
mod pgbench_scripts;
mod raw_broker;
mod scratch_database;

use crate::{figures::LimitFigures, options::Options};

/// The limits of a run, and what is worth knowing about how they were taken.
#[derive(Debug, Default)]
pub struct Limits {
    pub figures: Vec<LimitFigures>,
    pub notes: Vec<String>,
}

/// Measures every reference limit; never fails: what cannot be measured is noted.
pub async fn measure(options: &Options) -> Limits {
    let mut limits = Limits::default();
    pgbench::measure(options, &mut limits).await;
    raw_broker::measure(options, &mut limits).await;
    limits
}
