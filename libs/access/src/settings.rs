//! [`AccessSettings`]: the access variables of a facade, read with its other settings and
//! turned into its [`Access`] and [`LoadLimits`] when it is built.
//!
//! Holding them apart from the process environment lets a test build a facade with keys
//! or a rate limit without touching the environment, and keeps a facade's config module
//! the one place that reads it. The values may be keys: `Debug` shows which variables
//! are set, never what they hold.

use std::{collections::BTreeMap, fmt, net::IpAddr};

use crate::{Access, AccessError, LimitsError, LoadLimits};

/// The raw values of [`AccessSettings::VARIABLES`]; unset ones are absent.
#[derive(Clone, Default)]
pub struct AccessSettings {
    vars: BTreeMap<&'static str, String>,
}

impl AccessSettings {
    /// Every variable the access layers read.
    pub const VARIABLES: [&'static str; 5] = [
        "API_KEYS",
        "ADMIN_API_KEY",
        "RATE_LIMIT_PER_SEC",
        "MAX_CONCURRENT_REQUESTS",
        "REQUEST_TIMEOUT_MS",
    ];

    /// Reads the [`VARIABLES`](Self::VARIABLES) from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the [`VARIABLES`](Self::VARIABLES) through `lookup`. Nothing is checked yet:
    /// [`AccessSettings::access`] and [`AccessSettings::load_limits`] do.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let vars = Self::VARIABLES
            .into_iter()
            .filter_map(|name| lookup(name).map(|value| (name, value)))
            .collect();
        Self { vars }
    }

    /// The same settings with `name` set to `value`.
    ///
    /// # Panics
    ///
    /// When `name` is not one of [`VARIABLES`](Self::VARIABLES): a misspelt name would
    /// silently set nothing.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        let Some(name) = Self::VARIABLES.into_iter().find(|known| *known == name) else {
            panic!("{name} is not an access variable");
        };
        self.vars.insert(name, value.into());
        self
    }

    /// The raw value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    /// The access policy of a facade listening on `bind_addr`: see
    /// [`Access::from_lookup`], including its refusal to run keyless on a reachable
    /// address.
    pub fn access(&self, bind_addr: IpAddr) -> Result<Access, AccessError> {
        Access::from_lookup(bind_addr, |name| self.get(name))
    }

    /// The load limits: see [`LoadLimits::from_lookup`].
    pub fn load_limits(&self) -> Result<LoadLimits, LimitsError> {
        LoadLimits::from_lookup(|name| self.get(name))
    }

    /// The load limits, `defaults` where the variables are unset.
    pub fn load_limits_or(&self, defaults: LoadLimits) -> Result<LoadLimits, LimitsError> {
        defaults.overridden_by(|name| self.get(name))
    }
}

impl fmt::Debug for AccessSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessSettings")
            .field("set", &self.vars.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mode;

    const KEY: &str = "shop-0123456789abcdef";

    #[test]
    fn only_the_access_variables_are_read_and_none_is_shown() {
        let settings = AccessSettings::from_lookup(|name| match name {
            "API_KEYS" => Some(format!("shop:{KEY}:checkout")),
            "DATABASE_URL" => Some("postgres://secret".to_owned()),
            _ => None,
        });
        assert_eq!(settings.get("DATABASE_URL"), None);
        let debug = format!("{settings:?}");
        assert!(
            debug.contains("API_KEYS") && !debug.contains(KEY),
            "{debug}"
        );
        let access = settings.access([0, 0, 0, 0].into()).unwrap();
        assert_eq!(access.mode(), Mode::Keyed);
    }

    #[test]
    fn no_variables_mean_open_on_loopback_refused_elsewhere_and_default_limits() {
        let settings = AccessSettings::default();
        assert_eq!(
            settings.access([127, 0, 0, 1].into()).unwrap().mode(),
            Mode::Open
        );
        assert!(matches!(
            settings.access([0, 0, 0, 0].into()),
            Err(AccessError::KeysRequired { .. })
        ));
        assert_eq!(settings.load_limits().unwrap(), LoadLimits::default());
    }

    #[test]
    fn a_services_own_default_limits_give_way_to_the_variables() {
        let own = LoadLimits::new(16, std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(AccessSettings::default().load_limits_or(own).unwrap(), own);
        let set = AccessSettings::default().with("MAX_CONCURRENT_REQUESTS", "40");
        let limits = set.load_limits_or(own).unwrap();
        assert_eq!(
            (limits.max_concurrent_requests(), limits.request_timeout()),
            (40, own.request_timeout())
        );
        let bad = AccessSettings::default().with("MAX_CONCURRENT_REQUESTS", "0");
        assert!(bad.load_limits_or(own).is_err());
    }

    #[test]
    fn with_sets_a_variable_for_a_test() {
        let settings = AccessSettings::default().with("REQUEST_TIMEOUT_MS", "50");
        assert_eq!(
            settings.load_limits().unwrap().request_timeout(),
            std::time::Duration::from_millis(50)
        );
    }

    #[test]
    #[should_panic(expected = "not an access variable")]
    fn with_refuses_a_misspelt_name() {
        let _ = AccessSettings::default().with("API_KEY", KEY);
    }
}
