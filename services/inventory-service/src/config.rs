//! Settings, read once from the environment (12-factor) with defaults that work on one
//! machine, and validated at start-up.

use std::{net::IpAddr, time::Duration};

use access::LoadLimits;
use settings::{millis, millis_list, optional_millis, secret, var};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [0.0.0.0]
    pub bind_addr: IpAddr,
    /// `PORT` [3003]; 0 picks a free port.
    pub port: u16,
    /// `DATABASE_URL` [postgres://postgres@127.0.0.1:5432/inventory]; created if missing.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` [16]
    pub database_max_connections: u32,
    /// `RESERVATION_TTL_SECS` [900]: lifetime of a hold whose request names none.
    pub reservation_ttl: Duration,
    /// `EXPIRY_SWEEP_INTERVAL_MS` [500]: how often due holds are looked for; a round
    /// that found a full batch is followed at once by the next. A hold is released at
    /// most about this long after it falls due, as long as the sweeper keeps pace.
    pub expiry_sweep_interval: Duration,
    /// `EXPIRY_SWEEP_BATCH` [500]: most holds expired per sweep round, all in one
    /// transaction that locks their products meanwhile (tens of milliseconds).
    pub expiry_sweep_batch: i64,
    /// `BODY_LIMIT_BYTES` [16384]
    pub body_limit_bytes: usize,
    /// `AMQP_URL` [amqp://guest:guest@127.0.0.1:5672/%2f]
    pub amqp_url: String,
    /// `AMQP_NAME_PREFIX` [empty]: prefix of every exchange and queue name, so several
    /// independent deployments (or test runs) can share one broker.
    pub amqp_name_prefix: String,
    /// `AMQP_QUEUE_EXPIRES_MS` [unset]: idle queues delete themselves (for tests).
    pub amqp_queue_expires: Option<Duration>,
    /// `CONSUMER_PREFETCH` [32]: unacked order events in flight.
    pub consumer_prefetch: u16,
    /// `RETRY_DELAYS_MS` [1000,2000,4000]: backoff of a failed event before it is
    /// dead-lettered.
    pub retry_delays: Vec<Duration>,
    /// `OUTBOX_POLL_INTERVAL_MS` [250]: the longest pause of the relay's adaptive poll
    /// (its own commits wake it at once; this bounds how long a row written by another
    /// instance waits).
    pub outbox_poll_interval: Duration,
    /// `OUTBOX_BATCH` [256]: most events per relay transaction.
    pub outbox_batch: i64,
    /// `ADMIN_API_KEY` [unset: admin routes refuse every request]
    pub admin_api_key: Option<String>,
    /// `RETENTION_DAYS` [7]: how long handled-event ids (the inbox) and the records of
    /// settled orders (`order_states`, cancellations included) are kept. An event
    /// redelivered later (a dead letter replayed) is handled again, and a reservation of
    /// an order cancelled longer ago is no longer refused: keep it well above both.
    pub retention: Duration,
    /// `PRUNE_INTERVAL_SECS` [3600]: how often what outlived the retention is deleted.
    pub prune_interval: Duration,
    /// `MAX_CONCURRENT_REQUESTS` [256] and `REQUEST_TIMEOUT_MS` [10000]: beyond them a
    /// request is answered 503 or 504 at once instead of queueing.
    pub load_limits: LoadLimits,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = Self {
            bind_addr: var("BIND_ADDR", "0.0.0.0".parse()?)?,
            port: var("PORT", 3003)?,
            database_url: var(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/inventory".to_owned(),
            )?,
            database_max_connections: var("DATABASE_MAX_CONNECTIONS", 16)?,
            reservation_ttl: Duration::from_secs(var("RESERVATION_TTL_SECS", 900)?),
            expiry_sweep_interval: millis("EXPIRY_SWEEP_INTERVAL_MS", 500)?,
            expiry_sweep_batch: var("EXPIRY_SWEEP_BATCH", 500)?,
            body_limit_bytes: var("BODY_LIMIT_BYTES", 16 * 1024)?,
            amqp_url: var(
                "AMQP_URL",
                "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            )?,
            amqp_name_prefix: var("AMQP_NAME_PREFIX", String::new())?,
            amqp_queue_expires: optional_millis("AMQP_QUEUE_EXPIRES_MS")?,
            consumer_prefetch: var("CONSUMER_PREFETCH", 32)?,
            retry_delays: millis_list("RETRY_DELAYS_MS", &[1000, 2000, 4000])?,
            outbox_poll_interval: millis("OUTBOX_POLL_INTERVAL_MS", 250)?,
            outbox_batch: var("OUTBOX_BATCH", 256)?,
            admin_api_key: secret("ADMIN_API_KEY")?,
            retention: days("RETENTION_DAYS", 7)?,
            prune_interval: Duration::from_secs(var("PRUNE_INTERVAL_SECS", 3600)?),
            load_limits: LoadLimits::from_env()?,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Settings for a test instance: a free port on loopback, the given database, a
    /// fast sweeper, broker names of its own (under `amqp_name_prefix`), short retries
    /// and an admin key `test-admin-key-0123456789`.
    pub fn for_tests(database_url: &str, amqp_name_prefix: &str) -> Self {
        Self {
            bind_addr: [127, 0, 0, 1].into(),
            port: 0,
            database_url: database_url.to_owned(),
            database_max_connections: 8,
            reservation_ttl: Duration::from_secs(900),
            expiry_sweep_interval: Duration::from_millis(100),
            expiry_sweep_batch: 100,
            body_limit_bytes: 16 * 1024,
            amqp_url: std::env::var("AMQP_URL")
                .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
            amqp_name_prefix: amqp_name_prefix.to_owned(),
            amqp_queue_expires: Some(Duration::from_secs(600)),
            consumer_prefetch: 32,
            retry_delays: vec![
                Duration::from_millis(100),
                Duration::from_millis(200),
                Duration::from_millis(400),
            ],
            outbox_poll_interval: Duration::from_millis(500),
            outbox_batch: 256,
            admin_api_key: Some("test-admin-key-0123456789".to_owned()),
            retention: Duration::from_secs(7 * SECS_PER_DAY),
            prune_interval: Duration::from_secs(3600),
            load_limits: LoadLimits::default(),
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.database_max_connections > 0,
            "DATABASE_MAX_CONNECTIONS must be > 0"
        );
        anyhow::ensure!(
            !self.reservation_ttl.is_zero(),
            "RESERVATION_TTL_SECS must be > 0"
        );
        anyhow::ensure!(
            !self.expiry_sweep_interval.is_zero(),
            "EXPIRY_SWEEP_INTERVAL_MS must be > 0"
        );
        anyhow::ensure!(
            self.expiry_sweep_batch > 0,
            "EXPIRY_SWEEP_BATCH must be > 0"
        );
        anyhow::ensure!(!self.retention.is_zero(), "RETENTION_DAYS must be > 0");
        anyhow::ensure!(
            !self.prune_interval.is_zero(),
            "PRUNE_INTERVAL_SECS must be > 0"
        );
        Ok(())
    }
}

const SECS_PER_DAY: u64 = 24 * 60 * 60;

/// `name` as a number of days.
fn days(name: &str, default_days: u64) -> anyhow::Result<Duration> {
    let days: u64 = var(name, default_days)?;
    days.checked_mul(SECS_PER_DAY)
        .map(Duration::from_secs)
        .ok_or_else(|| anyhow::anyhow!("{name}={days} is too large"))
}
