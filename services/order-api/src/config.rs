//! Settings, read once from the environment with defaults that work on one machine.

use std::{net::IpAddr, time::Duration};

use settings::{millis, secret, var};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [0.0.0.0]
    pub bind_addr: IpAddr,
    /// `PORT` [3000]
    pub port: u16,
    /// `ORDER_SERVICE_URL` [http://127.0.0.1:3002]
    pub order_service_url: String,
    /// `INVENTORY_API_URL` [http://127.0.0.1:3001]
    pub inventory_api_url: String,
    /// `ORDER_SERVICE_TIMEOUT_MS` [2000]: each call to order-service.
    pub order_service_timeout: Duration,
    /// `INVENTORY_TIMEOUT_MS` [800]: the reservation call; past it, the event path takes over.
    pub inventory_timeout: Duration,
    /// `CONNECT_TIMEOUT_MS` [300]
    pub connect_timeout: Duration,
    /// `BREAKER_FAILURES` [5]: consecutive inventory failures that open the breaker.
    pub breaker_failures: u32,
    /// `BREAKER_OPEN_MS` [5000]: how long the breaker stays open before trying again.
    pub breaker_open: Duration,
    /// `API_KEY` [unset: no key needed]: `x-api-key` required on mutating routes.
    pub api_key: Option<String>,
    /// `BODY_LIMIT_BYTES` [16384]
    pub body_limit_bytes: usize,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = Self {
            bind_addr: var("BIND_ADDR", "0.0.0.0".parse()?)?,
            port: var("PORT", 3000)?,
            order_service_url: var("ORDER_SERVICE_URL", "http://127.0.0.1:3002".to_owned())?,
            inventory_api_url: var("INVENTORY_API_URL", "http://127.0.0.1:3001".to_owned())?,
            order_service_timeout: millis("ORDER_SERVICE_TIMEOUT_MS", 2000)?,
            inventory_timeout: millis("INVENTORY_TIMEOUT_MS", 800)?,
            connect_timeout: millis("CONNECT_TIMEOUT_MS", 300)?,
            breaker_failures: var("BREAKER_FAILURES", 5)?,
            breaker_open: millis("BREAKER_OPEN_MS", 5000)?,
            api_key: secret("API_KEY")?,
            body_limit_bytes: var("BODY_LIMIT_BYTES", 16 * 1024)?,
        };
        anyhow::ensure!(
            settings.breaker_failures > 0,
            "BREAKER_FAILURES must be > 0"
        );
        Ok(settings)
    }

    /// A test instance on a free loopback port in front of the given services.
    pub fn for_tests(order_service_url: &str, inventory_api_url: &str) -> Self {
        Self {
            bind_addr: [127, 0, 0, 1].into(),
            port: 0,
            order_service_url: order_service_url.trim_end_matches('/').to_owned(),
            inventory_api_url: inventory_api_url.trim_end_matches('/').to_owned(),
            order_service_timeout: Duration::from_secs(5),
            inventory_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_millis(300),
            breaker_failures: 3,
            breaker_open: Duration::from_millis(500),
            api_key: None,
            body_limit_bytes: 16 * 1024,
        }
    }
}
