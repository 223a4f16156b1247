//! Reference limits: what PostgreSQL and RabbitMQ alone sustain on this machine, measured
//! in the same run as the services so that each figure of the services can be read as a
//! share of what the machine allows.
//!
//! - `pgbench` runs the service's single-SKU reservation statement (hot SKU and spread
//!   SKUs, at each reservation concurrency) and a point read of one SKU (at the reads'
//!   concurrency) against a throwaway database built from the service's own migrations.
//! - `raw_broker` publishes persistent messages with publisher confirms to a throwaway
//!   exchange and queue and consumes them in-process, at the event hop's rate and flat
//!   out.
//!
//! A limit that cannot be measured (no pgbench, no broker) is kept as a row with no
//! figures and a note: the run goes on and the report says `n/a`.

mod broker_message;
mod broker_route;
mod pgbench;
mod pgbench_output;
mod pgbench_scripts;
mod raw_broker;
mod scratch_database;

/// psql is found beside pgbench; the quiet start reads the services' databases with it.
pub use scratch_database::Tools;
pub(crate) use scratch_database::run_psql;

use serde::Serialize;

use crate::{
    options::Options,
    report::{Latency, Mode, duration_millis, per_second, round2},
    tally::Measurement,
};

/// Which reference a limit row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// pgbench, the reservation statement, every client on the one hot SKU.
    PgbenchHotReservation,
    /// pgbench, the reservation statement over 10,000 SKUs.
    PgbenchSpreadReservation,
    /// pgbench, `SELECT ... FROM product_inventory WHERE sku = $1`.
    PgbenchPointRead,
    /// lapin: persistent publish with confirms → consume, on a throwaway queue.
    BrokerPublishConsume,
}

impl LimitKind {
    /// The name of its table row.
    pub fn label(self) -> &'static str {
        match self {
            LimitKind::PgbenchHotReservation => "limit: pgbench hot-SKU reservation",
            LimitKind::PgbenchSpreadReservation => "limit: pgbench spread reservation",
            LimitKind::PgbenchPointRead => "limit: pgbench point read",
            LimitKind::BrokerPublishConsume => "limit: broker publish → consume",
        }
    }
}

/// One reference limit. Figures are `None` when it could not be measured (`note` says why).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitFigures {
    pub limit: LimitKind,
    pub mode: Mode,
    /// Transactions (pgbench) or messages consumed (broker) per second.
    pub throughput_per_sec: Option<f64>,
    /// pgbench: from its per-transaction log; broker: publish → consume.
    pub latency_ms: Option<Latency>,
    /// pgbench's own average, kept even when its log could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_latency_ms: Option<f64>,
    /// Transactions or messages done.
    pub done: u64,
    /// Failed transactions, or messages refused, lost or unconfirmed.
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_lag_max_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl LimitFigures {
    /// A row for a limit that could not be measured.
    pub fn unavailable(limit: LimitKind, mode: Mode, note: impl Into<String>) -> Self {
        let note = note.into();
        Self {
            limit,
            mode,
            throughput_per_sec: None,
            latency_ms: None,
            average_latency_ms: None,
            done: 0,
            errors: 0,
            schedule_lag_max_ms: None,
            note: (!note.is_empty()).then_some(note),
        }
    }

    /// A row from a measurement taken in this process.
    pub fn measured(limit: LimitKind, mode: Mode, measured: &Measurement) -> Self {
        let tally = &measured.tally;
        Self {
            limit,
            mode,
            throughput_per_sec: Some(per_second(tally.successes, measured.elapsed)),
            latency_ms: Some(Latency::of(&tally.latency_micros)),
            average_latency_ms: (!tally.latency_micros.is_empty())
                .then(|| round2(tally.latency_micros.mean() / 1000.0)),
            done: tally.successes,
            errors: tally.error_count(),
            schedule_lag_max_ms: measured.schedule_lag_max.map(duration_millis),
            note: None,
        }
    }
}

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
