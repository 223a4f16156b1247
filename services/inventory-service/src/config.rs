//! Settings, read once from the environment (12-factor) with defaults that work on one
//! machine, and validated at start-up.

use std::{net::IpAddr, str::FromStr, time::Duration};

use anyhow::Context;

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
    /// `EXPIRY_SWEEP_INTERVAL_MS` [1000]: how often due holds are looked for.
    pub expiry_sweep_interval: Duration,
    /// `EXPIRY_SWEEP_BATCH` [100]: most holds expired per sweep round.
    pub expiry_sweep_batch: i64,
    /// `BODY_LIMIT_BYTES` [16384]
    pub body_limit_bytes: usize,
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
            expiry_sweep_interval: Duration::from_millis(var("EXPIRY_SWEEP_INTERVAL_MS", 1000)?),
            expiry_sweep_batch: var("EXPIRY_SWEEP_BATCH", 100)?,
            body_limit_bytes: var("BODY_LIMIT_BYTES", 16 * 1024)?,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Settings for a test instance: a free port on loopback, the given database, a
    /// fast sweeper.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            bind_addr: [127, 0, 0, 1].into(),
            port: 0,
            database_url: database_url.to_owned(),
            database_max_connections: 8,
            reservation_ttl: Duration::from_secs(900),
            expiry_sweep_interval: Duration::from_millis(100),
            expiry_sweep_batch: 100,
            body_limit_bytes: 16 * 1024,
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
        Ok(())
    }
}

fn var<T>(name: &str, default: T) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => raw
            .trim()
            .parse()
            .with_context(|| format!("{name}={raw:?} is not valid")),
        _ => Ok(default),
    }
}
