//! The settings every service reads, from the environment (12-factor) with defaults that
//! work on one machine, composed into each service's typed settings; those of the domain
//! services are [`crate::Backbone`]'s.

use std::{net::IpAddr, time::Duration};

use settings::var;

/// The admin key of test instances ([`crate::Backbone::for_tests`]): as long as any
/// configured key must be.
pub const TEST_ADMIN_KEY: &str = "test-admin-key-0123456789";

/// Where a service listens and how large a body it reads: every service.
#[derive(Debug, Clone)]
pub struct Http {
    /// `BIND_ADDR` [the service's default]
    pub bind_addr: IpAddr,
    /// `PORT` [the service's own]; 0 picks a free port.
    pub port: u16,
    /// `BODY_LIMIT_BYTES` [16384]: larger request bodies are refused with 413.
    pub body_limit_bytes: usize,
}

impl Http {
    pub const DEFAULT_BODY_LIMIT_BYTES: usize = 16 * 1024;

    /// Reads `BIND_ADDR`, `PORT` and `BODY_LIMIT_BYTES` through `lookup`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        bind_addr: IpAddr,
        port: u16,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            bind_addr: settings::read(&lookup, "BIND_ADDR", bind_addr)?,
            port: settings::read(&lookup, "PORT", port)?,
            body_limit_bytes: settings::read(
                &lookup,
                "BODY_LIMIT_BYTES",
                Self::DEFAULT_BODY_LIMIT_BYTES,
            )?,
        })
    }

    /// Reads the process environment.
    pub fn from_env(bind_addr: IpAddr, port: u16) -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok(), bind_addr, port)
    }

    /// A free port on loopback.
    pub fn for_tests() -> Self {
        Self {
            bind_addr: [127, 0, 0, 1].into(),
            port: 0,
            body_limit_bytes: Self::DEFAULT_BODY_LIMIT_BYTES,
        }
    }

    /// The address to bind.
    pub fn address(&self) -> std::net::SocketAddr {
        (self.bind_addr, self.port).into()
    }
}

pub(crate) const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

pub(crate) const SECS_PER_DAY: u64 = 24 * 60 * 60;

/// `name` as a number of days.
pub(crate) fn days(name: &str, default_days: u64) -> anyhow::Result<Duration> {
    let days: u64 = var(name, default_days)?;
    days.checked_mul(SECS_PER_DAY)
        .map(Duration::from_secs)
        .ok_or_else(|| anyhow::anyhow!("{name}={days} is too large"))
}
