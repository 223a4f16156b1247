//! Settings, read once from the environment with defaults that work on one machine.

use std::{net::IpAddr, time::Duration};

use access::{LoadLimits, ServiceKey};
use anyhow::Context;
use settings::{millis, millis_list, optional_millis, secret, var};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [0.0.0.0]
    pub bind_addr: IpAddr,
    /// `PORT` [3002]; 0 picks a free port.
    pub port: u16,
    /// `DATABASE_URL` [postgres://postgres@127.0.0.1:5432/orders]; created if missing.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` [16]
    pub database_max_connections: u32,
    /// `HANDOVER_GRACE_MS` [3000]: how long a pending order is left to the HTTP path.
    pub handover_grace: Duration,
    /// `SAGA_TIMEOUT_SECS` [300]: a pending order that hears nothing this long is
    /// cancelled and compensated.
    pub saga_timeout: Duration,
    /// `SAGA_TIMER_INTERVAL_MS` [250]: how often due timers are looked for.
    pub timer_interval: Duration,
    /// `SAGA_TIMER_BATCH` [100]
    pub timer_batch: i64,
    /// `BODY_LIMIT_BYTES` [16384]
    pub body_limit_bytes: usize,
    /// `AMQP_URL` [amqp://guest:guest@127.0.0.1:5672/%2f]
    pub amqp_url: String,
    /// `AMQP_NAME_PREFIX` [empty]
    pub amqp_name_prefix: String,
    /// `AMQP_QUEUE_EXPIRES_MS` [unset]
    pub amqp_queue_expires: Option<Duration>,
    /// `CONSUMER_PREFETCH` [32]
    pub consumer_prefetch: u16,
    /// `RETRY_DELAYS_MS` [1000,2000,4000]
    pub retry_delays: Vec<Duration>,
    /// `OUTBOX_POLL_INTERVAL_MS` [250]: the longest pause of the relay's adaptive poll
    /// (its own commits wake it at once; this bounds how long a row written by another
    /// instance waits).
    pub outbox_poll_interval: Duration,
    /// `OUTBOX_BATCH` [256]
    pub outbox_batch: i64,
    /// `ADMIN_API_KEY` [unset: admin routes refuse every request]
    pub admin_api_key: Option<String>,
    /// `ORDER_SERVICE_API_KEY` [unset: open]: the key order-api sends; when set, the
    /// routes that change an order need it in `x-api-key` (reads stay open).
    pub api_key: Option<ServiceKey>,
    /// `RETENTION_DAYS` [7]: how long the ids of handled events (the inbox) are kept.
    /// An event redelivered later (a dead letter replayed) is handled again: keep it
    /// well above the longest such delay.
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
            port: var("PORT", 3002)?,
            database_url: var(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/orders".to_owned(),
            )?,
            database_max_connections: var("DATABASE_MAX_CONNECTIONS", 16)?,
            handover_grace: millis("HANDOVER_GRACE_MS", 3000)?,
            saga_timeout: Duration::from_secs(var("SAGA_TIMEOUT_SECS", 300)?),
            timer_interval: millis("SAGA_TIMER_INTERVAL_MS", 250)?,
            timer_batch: var("SAGA_TIMER_BATCH", 100)?,
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
            api_key: secret("ORDER_SERVICE_API_KEY")?
                .map(|key| ServiceKey::parse(&key))
                .transpose()
                .context("ORDER_SERVICE_API_KEY")?,
            retention: days("RETENTION_DAYS", 7)?,
            prune_interval: Duration::from_secs(var("PRUNE_INTERVAL_SECS", 3600)?),
            load_limits: LoadLimits::from_env()?,
        };
        anyhow::ensure!(
            settings.database_max_connections > 0,
            "DATABASE_MAX_CONNECTIONS must be > 0"
        );
        anyhow::ensure!(
            !settings.saga_timeout.is_zero(),
            "SAGA_TIMEOUT_SECS must be > 0"
        );
        anyhow::ensure!(
            !settings.timer_interval.is_zero(),
            "SAGA_TIMER_INTERVAL_MS must be > 0"
        );
        anyhow::ensure!(
            settings.timer_batch > 0 && settings.outbox_batch > 0,
            "batches must be > 0"
        );
        anyhow::ensure!(
            settings.consumer_prefetch > 0,
            "CONSUMER_PREFETCH must be > 0"
        );
        anyhow::ensure!(!settings.retention.is_zero(), "RETENTION_DAYS must be > 0");
        anyhow::ensure!(
            !settings.prune_interval.is_zero(),
            "PRUNE_INTERVAL_SECS must be > 0"
        );
        Ok(settings)
    }

    /// A test instance: free port on loopback, the given database and broker names,
    /// fast timers and retries, admin key [`TEST_ADMIN_KEY`], no service key.
    pub fn for_tests(database_url: &str, amqp_name_prefix: &str) -> Self {
        Self {
            bind_addr: [127, 0, 0, 1].into(),
            port: 0,
            database_url: database_url.to_owned(),
            database_max_connections: 8,
            handover_grace: Duration::from_millis(3000),
            saga_timeout: Duration::from_secs(300),
            timer_interval: Duration::from_millis(50),
            timer_batch: 100,
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
            admin_api_key: Some(TEST_ADMIN_KEY.to_owned()),
            api_key: None,
            retention: Duration::from_secs(7 * SECS_PER_DAY),
            prune_interval: Duration::from_secs(3600),
            load_limits: LoadLimits::default(),
        }
    }
}

/// The admin key of [`Settings::for_tests`]: as long as any configured key must be.
pub const TEST_ADMIN_KEY: &str = "test-admin-key-0123456789";

const SECS_PER_DAY: u64 = 24 * 60 * 60;

/// `name` as a number of days.
fn days(name: &str, default_days: u64) -> anyhow::Result<Duration> {
    let days: u64 = var(name, default_days)?;
    days.checked_mul(SECS_PER_DAY)
        .map(Duration::from_secs)
        .ok_or_else(|| anyhow::anyhow!("{name}={days} is too large"))
}
