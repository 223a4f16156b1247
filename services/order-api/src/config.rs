//! Settings, read once from the environment with defaults that work on one machine.

use std::time::Duration;

use access::AccessSettings;
use anyhow::Context;
use axum::http::HeaderValue;
use service::settings::Http;
use settings::{millis, secret, var};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [127.0.0.1]: loopback unless told otherwise, because without
    /// `API_KEYS` the facade serves anyone who reaches it (and refuses to start on any
    /// other address); `PORT` [3000]; `BODY_LIMIT_BYTES` [16384].
    pub http: Http,
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
    /// `API_KEYS`, `ADMIN_API_KEY`, `RATE_LIMIT_PER_SEC`, `MAX_CONCURRENT_REQUESTS`,
    /// `REQUEST_TIMEOUT_MS`: who may call what, and how much at once (libs/access). Checked
    /// when the application is built, against `bind_addr`.
    pub access: AccessSettings,
    /// `INVENTORY_API_KEY` [unset: none sent]: order-api's own key at inventory-api (a
    /// `saga`-scoped entry of inventory-api's `API_KEYS`), sent as `x-api-key` on every
    /// call there.
    pub inventory_api_key: Option<HeaderValue>,
    /// `ORDER_SERVICE_API_KEY` [unset: none sent]: the key order-service asks for on the
    /// routes that change an order, sent as `x-api-key` on every call there.
    pub order_service_api_key: Option<HeaderValue>,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let settings = Self {
            http: Http::from_env([127, 0, 0, 1].into(), 3000)?,
            order_service_url: var("ORDER_SERVICE_URL", "http://127.0.0.1:3002".to_owned())?,
            inventory_api_url: var("INVENTORY_API_URL", "http://127.0.0.1:3001".to_owned())?,
            order_service_timeout: millis("ORDER_SERVICE_TIMEOUT_MS", 2000)?,
            inventory_timeout: millis("INVENTORY_TIMEOUT_MS", 800)?,
            connect_timeout: millis("CONNECT_TIMEOUT_MS", 300)?,
            breaker_failures: var("BREAKER_FAILURES", 5)?,
            breaker_open: millis("BREAKER_OPEN_MS", 5000)?,
            access: AccessSettings::from_env(),
            inventory_api_key: peer_key("INVENTORY_API_KEY")?,
            order_service_api_key: peer_key("ORDER_SERVICE_API_KEY")?,
        };
        anyhow::ensure!(
            settings.breaker_failures > 0,
            "BREAKER_FAILURES must be > 0"
        );
        Ok(settings)
    }

    /// A test instance on a free loopback port in front of the given services, with no
    /// keys either way (every caller is `anonymous`).
    pub fn for_tests(order_service_url: &str, inventory_api_url: &str) -> Self {
        Self {
            http: Http::for_tests(),
            order_service_url: order_service_url.trim_end_matches('/').to_owned(),
            inventory_api_url: inventory_api_url.trim_end_matches('/').to_owned(),
            order_service_timeout: Duration::from_secs(5),
            inventory_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_millis(300),
            breaker_failures: 3,
            breaker_open: Duration::from_millis(500),
            access: AccessSettings::default(),
            inventory_api_key: None,
            order_service_api_key: None,
        }
    }
}

/// A key order-api sends to a peer, ready to go in a header: marked sensitive, so that
/// neither `Debug` (of these settings, of a request) nor HTTP/2 header compression
/// tables ever show it.
pub fn peer_key_value(key: &str) -> anyhow::Result<HeaderValue> {
    let key = key.trim();
    let visible = !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic());
    anyhow::ensure!(
        visible,
        "the key may hold only visible ASCII characters (it travels in a header)"
    );
    let mut value = HeaderValue::from_str(key).context("the key cannot travel in a header")?;
    value.set_sensitive(true);
    Ok(value)
}

fn peer_key(name: &str) -> anyhow::Result<Option<HeaderValue>> {
    secret(name)?
        .map(|key| peer_key_value(&key).with_context(|| format!("{name} is not a valid key")))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_key_is_never_shown() {
        let settings = Settings {
            inventory_api_key: Some(peer_key_value("inv-0123456789abcdef").unwrap()),
            order_service_api_key: Some(peer_key_value(" ord-0123456789abcdef ").unwrap()),
            ..Settings::for_tests("http://127.0.0.1:3002", "http://127.0.0.1:3001")
        };
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("0123456789abcdef") && debug.contains("Sensitive"),
            "{debug}"
        );
        assert_eq!(
            settings.order_service_api_key.unwrap(),
            "ord-0123456789abcdef"
        );
    }

    #[test]
    fn a_peer_key_that_cannot_travel_in_a_header_is_refused_without_repeating_it() {
        for bad in [
            "with space-0123456789",
            "naïve-0123456789abcdef",
            "tab\there",
        ] {
            let err = peer_key_value(bad).unwrap_err().to_string();
            assert!(!err.contains(bad), "{err}");
        }
    }
}
