//! Settings, read once from the environment (12-factor) with defaults that work on one
//! machine, and validated at start-up: what every service reads ([`Http`]), what every
//! domain service reads ([`Backbone`]), and the inventory's own.

use std::time::Duration;

use service::{Backbone, settings::Http};
use settings::{millis, var};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [0.0.0.0], `PORT` [3003], `BODY_LIMIT_BYTES` [16384].
    pub http: Http,
    /// Database `inventory`, broker, outbox, retention, admin key, load limits.
    pub backbone: Backbone,
    /// `RESERVATION_TTL_SECS` [900]: lifetime of a hold whose request names none.
    pub reservation_ttl: Duration,
    /// `EXPIRY_SWEEP_INTERVAL_MS` [500]: how often due holds are looked for; a round
    /// that found a full batch is followed at once by the next. A hold is released at
    /// most about this long after it falls due, as long as the sweeper keeps pace.
    pub expiry_sweep_interval: Duration,
    /// `EXPIRY_SWEEP_BATCH` [500]: most holds expired per sweep round, all in one
    /// transaction that locks their products meanwhile (tens of milliseconds).
    pub expiry_sweep_batch: i64,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = Self {
            http: Http::from_env([0, 0, 0, 0].into(), 3003)?,
            backbone: Backbone::from_env("inventory")?,
            reservation_ttl: Duration::from_secs(var("RESERVATION_TTL_SECS", 900)?),
            expiry_sweep_interval: millis("EXPIRY_SWEEP_INTERVAL_MS", 500)?,
            expiry_sweep_batch: var("EXPIRY_SWEEP_BATCH", 500)?,
        };
        anyhow::ensure!(
            !settings.reservation_ttl.is_zero(),
            "RESERVATION_TTL_SECS must be > 0"
        );
        anyhow::ensure!(
            !settings.expiry_sweep_interval.is_zero(),
            "EXPIRY_SWEEP_INTERVAL_MS must be > 0"
        );
        anyhow::ensure!(
            settings.expiry_sweep_batch > 0,
            "EXPIRY_SWEEP_BATCH must be > 0"
        );
        Ok(settings)
    }

    /// A test instance: a free port on loopback, the given database, broker names of its
    /// own (under `amqp_name_prefix`), a fast sweeper, short retries and the admin key
    /// [`service::settings::TEST_ADMIN_KEY`].
    pub fn for_tests(database_url: &str, amqp_name_prefix: &str) -> Self {
        Self {
            http: Http::for_tests(),
            backbone: Backbone::for_tests(database_url, amqp_name_prefix),
            reservation_ttl: Duration::from_secs(900),
            expiry_sweep_interval: Duration::from_millis(100),
            expiry_sweep_batch: 100,
        }
    }
}
