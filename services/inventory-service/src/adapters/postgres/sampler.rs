//! `StoreSampler`: the gauges only the database can tell, read periodically:
//! `db_pool_connections{state="idle"|"in_use"}` and `db_pool_max_connections` (the
//! pool), and `inventory_active_reservations` and `inventory_expiry_lag_seconds` (see
//! `inventory_metrics`). It only reads; a failed sample changes nothing.

use std::{sync::Once, time::Duration};

use chrono::{DateTime, Utc};
use metrics::{describe_gauge, gauge};
use service::{Pace, Periodic};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::adapters::inventory_metrics;

const POOL_CONNECTIONS: &str = "db_pool_connections";
const POOL_MAX_CONNECTIONS: &str = "db_pool_max_connections";

/// The worker that samples the pool, the number of active holds and the expiry lag
/// every few seconds (the first time at once), until stopped. A failed query is logged
/// at `DEBUG` and its gauge keeps its last value: the next sample will tell.
#[derive(Debug)]
pub struct StoreSampler {
    pub pool: PgPool,
    pub interval: Duration,
}

impl StoreSampler {
    /// Often enough for a 15 s scrape, rarely enough that the count costs nothing.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

    pub async fn run(self, stop: CancellationToken) {
        describe();
        Periodic::new("store sampler", self.interval)
            .abandoning_rounds_on_stop()
            .run(stop, || async {
                self.sample_pool();
                self.sample_active_reservations().await;
                self.sample_expiry_lag().await;
                Ok::<_, std::convert::Infallible>(Pace::Idle)
            })
            .await;
    }

    fn sample_pool(&self) {
        let size = self.pool.size();
        // `num_idle` is read a moment after `size`: clamp so a connection closing in
        // between cannot make `in_use` wrap around.
        let idle = u32::try_from(self.pool.num_idle())
            .unwrap_or(u32::MAX)
            .min(size);
        gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
        gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(size - idle));
        gauge!(POOL_MAX_CONNECTIONS).set(f64::from(self.pool.options().get_max_connections()));
    }

    async fn sample_active_reservations(&self) {
        let count: sqlx::Result<i64> =
            sqlx::query_scalar("SELECT count(*) FROM reservations WHERE status = 'active'")
                .fetch_one(&self.pool)
                .await;
        match count {
            Ok(count) => inventory_metrics::active_reservations(count),
            Err(e) => tracing::debug!(error = %e, "active reservations sample failed"),
        }
    }

    async fn sample_expiry_lag(&self) {
        match self.expiry_lag(Utc::now()).await {
            Ok(lag) => inventory_metrics::expiry_lag(lag),
            Err(e) => tracing::debug!(error = %e, "expiry lag sample failed"),
        }
    }

    /// How late expiry runs at `now`: seconds since the oldest hold still active fell
    /// due, 0 when none is overdue. A sweeper that keeps pace keeps it under its
    /// interval; a lag that grows means holds fall due faster than they are expired, and
    /// their units stay reserved for nobody. One read of the due-holds index.
    pub async fn expiry_lag(&self, now: DateTime<Utc>) -> sqlx::Result<f64> {
        // `EXTRACT` answers `numeric`; the cast keeps the driver to plain floats.
        let lag: f64 = sqlx::query_scalar(
            "SELECT COALESCE(EXTRACT(EPOCH FROM $1::timestamptz - min(expires_at)), 0)::float8
               FROM reservations
              WHERE status = 'active' AND expires_at <= $1",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(lag.max(0.0))
    }
}

/// Gives the metrics their help text, once per process.
fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_gauge!(
            POOL_CONNECTIONS,
            "Connections of the PostgreSQL pool, by state (idle, in_use)."
        );
        describe_gauge!(
            POOL_MAX_CONNECTIONS,
            "Most connections the PostgreSQL pool may open."
        );
    });
}
