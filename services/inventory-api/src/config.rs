//! Typed settings, read once from the environment at start-up, with defaults that work
//! on one machine. The only place in the crate that looks at environment variables.

use std::time::Duration;

use access::AccessSettings;
use anyhow::{Context, bail};
use reqwest::Url;
use service::settings::Http;
use settings::read;

/// Everything inventory-api needs to start. Fields are public so tests can build one
/// directly (port 0 binds a free port).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR` [127.0.0.1]: loopback unless told otherwise, because without
    /// `API_KEYS` the facade serves anyone who reaches it (and refuses to start on any
    /// other address); `PORT` [3001]; `BODY_LIMIT_BYTES` [16384]: larger request bodies
    /// are refused with 413.
    pub http: Http,
    /// `INVENTORY_SERVICE_URL` [http://127.0.0.1:3003]: base URL of inventory-service.
    pub inventory_service_url: Url,
    /// `UPSTREAM_TIMEOUT_MS` [2000]: whole call to inventory-service, body included.
    pub upstream_timeout: Duration,
    /// `UPSTREAM_CONNECT_TIMEOUT_MS` [500]: establishing a connection to inventory-service.
    pub upstream_connect_timeout: Duration,
    /// `API_KEYS`, `ADMIN_API_KEY`, `RATE_LIMIT_PER_SEC`, `MAX_CONCURRENT_REQUESTS`,
    /// `REQUEST_TIMEOUT_MS`: who may call what, and how much at once (libs/access). Checked
    /// when the application is built, against `bind_addr`.
    pub access: AccessSettings,
    /// `STOCK_VIEW_ENABLED` [true]: the stock view serves reads and the change streams;
    /// off, every read is forwarded and `/locations/:storeId/changes` answers 503.
    pub stock_view: Option<StockViewSettings>,
}

/// The broker the stock view follows, named as the domain services name theirs.
#[derive(Debug, Clone)]
pub struct StockViewSettings {
    /// `AMQP_URL` [amqp://guest:guest@127.0.0.1:5672/%2f]
    pub amqp_url: String,
    /// `AMQP_NAME_PREFIX` [empty]: prefix of every exchange and queue name, the same as
    /// inventory-service's, so the view reads the exchange that service publishes to.
    pub amqp_name_prefix: String,
    /// `STOCK_VIEW_MAX_LAG_SECS` [2]: past this lag, reads go to inventory-service.
    pub max_lag: Duration,
}

const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

impl StockViewSettings {
    /// Reads the view's variables through `lookup`.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let max_lag: f64 = read(lookup, "STOCK_VIEW_MAX_LAG_SECS", 2.0)?;
        if !(0.0..=86_400.0).contains(&max_lag) {
            bail!("STOCK_VIEW_MAX_LAG_SECS must be from 0 to 86400 seconds");
        }
        Ok(Self {
            amqp_url: read(lookup, "AMQP_URL", DEFAULT_AMQP_URL.to_owned())?,
            amqp_name_prefix: read(lookup, "AMQP_NAME_PREFIX", String::new())?,
            max_lag: Duration::from_secs_f64(max_lag),
        })
    }

    /// A test view: the broker of `AMQP_URL` (else the local default), names under
    /// `amqp_name_prefix`, the default lag.
    pub fn for_tests(amqp_name_prefix: &str) -> Self {
        Self {
            amqp_url: std::env::var("AMQP_URL")
                .ok()
                .filter(|url| !url.is_empty())
                .unwrap_or_else(|| DEFAULT_AMQP_URL.to_owned()),
            amqp_name_prefix: amqp_name_prefix.to_owned(),
            max_lag: Duration::from_secs(2),
        }
    }
}

impl Settings {
    /// Reads the process environment; a variable that is set but does not parse is an
    /// error, so a typo in deployment stops the service instead of silently defaulting.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`Settings::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let settings = Self {
            http: Http::from_lookup(&lookup, [127, 0, 0, 1].into(), 3001)?,
            inventory_service_url: read(
                &lookup,
                "INVENTORY_SERVICE_URL",
                Url::parse("http://127.0.0.1:3003").context("default inventory-service URL")?,
            )?,
            upstream_timeout: Duration::from_millis(read(&lookup, "UPSTREAM_TIMEOUT_MS", 2000)?),
            upstream_connect_timeout: Duration::from_millis(read(
                &lookup,
                "UPSTREAM_CONNECT_TIMEOUT_MS",
                500,
            )?),
            access: AccessSettings::from_lookup(&lookup),
            stock_view: if read(&lookup, "STOCK_VIEW_ENABLED", true)? {
                Some(StockViewSettings::from_lookup(&lookup)?)
            } else {
                None
            },
        };
        settings.check()?;
        Ok(settings)
    }

    /// A test instance: a free loopback port in front of `upstream`, generous timeouts,
    /// no keys (so every caller is `anonymous`), no stock view (every read is forwarded;
    /// a test of the view sets [`StockViewSettings::for_tests`]).
    pub fn for_tests(upstream: &str) -> Self {
        Self {
            http: Http::for_tests(),
            inventory_service_url: Url::parse(upstream).expect("upstream URL"),
            upstream_timeout: Duration::from_secs(2),
            upstream_connect_timeout: Duration::from_millis(500),
            access: AccessSettings::default(),
            stock_view: None,
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if !matches!(self.inventory_service_url.scheme(), "http" | "https") {
            bail!("INVENTORY_SERVICE_URL must be an http(s) URL");
        }
        if self.upstream_timeout.is_zero() || self.upstream_connect_timeout.is_zero() {
            bail!("UPSTREAM_TIMEOUT_MS and UPSTREAM_CONNECT_TIMEOUT_MS must be positive");
        }
        if self.http.body_limit_bytes == 0 {
            bail!("BODY_LIMIT_BYTES must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_work_on_one_machine() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.http.port, 3001);
        assert_eq!(s.http.bind_addr.to_string(), "127.0.0.1");
        assert_eq!(s.inventory_service_url.as_str(), "http://127.0.0.1:3003/");
        assert_eq!(s.upstream_timeout, Duration::from_millis(2000));
        assert_eq!(s.upstream_connect_timeout, Duration::from_millis(500));
        assert_eq!(s.http.body_limit_bytes, 16384);
        let view = s.stock_view.unwrap();
        assert_eq!(view.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(view.amqp_name_prefix, "");
        assert_eq!(view.max_lag, Duration::from_secs(2));
    }

    #[test]
    fn the_stock_view_follows_the_broker_settings_and_can_be_turned_off() {
        let s = settings(&[
            ("AMQP_URL", "amqp://broker:5672/%2f"),
            ("AMQP_NAME_PREFIX", "t1."),
            ("STOCK_VIEW_MAX_LAG_SECS", "0.5"),
        ])
        .unwrap();
        let view = s.stock_view.unwrap();
        assert_eq!(view.amqp_url, "amqp://broker:5672/%2f");
        assert_eq!(view.amqp_name_prefix, "t1.");
        assert_eq!(view.max_lag, Duration::from_millis(500));
        let off = settings(&[("STOCK_VIEW_ENABLED", "false")]).unwrap();
        assert!(off.stock_view.is_none());
    }

    #[test]
    fn environment_overrides_the_defaults() {
        let s = settings(&[
            ("PORT", "4001"),
            ("INVENTORY_SERVICE_URL", "http://inventory-service:3003"),
            ("UPSTREAM_TIMEOUT_MS", "750"),
            ("BODY_LIMIT_BYTES", "1024"),
            ("RATE_LIMIT_PER_SEC", "5"),
        ])
        .unwrap();
        assert_eq!(s.http.port, 4001);
        assert_eq!(
            s.inventory_service_url.host_str(),
            Some("inventory-service")
        );
        assert_eq!(s.upstream_timeout, Duration::from_millis(750));
        assert_eq!(s.http.body_limit_bytes, 1024);
        assert_eq!(s.access.get("RATE_LIMIT_PER_SEC").as_deref(), Some("5"));
    }

    #[test]
    fn a_malformed_value_stops_start_up_and_names_the_variable() {
        for vars in [
            [("PORT", "http")],
            [("UPSTREAM_TIMEOUT_MS", "0")],
            [("INVENTORY_SERVICE_URL", "ftp://x")],
            [("BIND_ADDR", "localhost:3001")],
            [("STOCK_VIEW_MAX_LAG_SECS", "-1")],
            [("STOCK_VIEW_MAX_LAG_SECS", "soon")],
            [("STOCK_VIEW_ENABLED", "maybe")],
        ] {
            assert!(settings(&vars).is_err(), "{vars:?}");
        }
        let err = settings(&[("PORT", "http")]).unwrap_err();
        assert!(err.to_string().contains("PORT"));
    }
}
