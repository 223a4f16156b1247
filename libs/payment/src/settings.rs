//! [`PaymentSettings`]: which provider a deployment pays with, read from the environment
//! once and checked at start-up, then turned into its [`Provider`].
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PAYMENT_PROVIDER` | `sandbox` | `sandbox` (in memory, Stripe's test names) or `stripe` |
//! | `PAYMENT_TIMEOUT_MS` | 10000 | each call to the provider; past it, the outcome is unknown ([`PaymentError::Timeout`](crate::PaymentError::Timeout)) |
//! | `PAYMENT_CONNECT_TIMEOUT_MS` | 2000 | connecting to Stripe |
//! | `PAYMENT_SANDBOX_SLOW_MS` | 2000 | how long the sandbox's `tok_slow` takes |
//! | `PAYMENT_SANDBOX_BOOK` | `database` | where the sandbox keeps its intents ([`SandboxBook`]): `database` (the service's own, shared by its instances and kept across restarts) or `memory` (one process, gone with it) |
//! | `STRIPE_SECRET_KEY` | unset | the secret (or restricted) key, sent as a Bearer token; required by `stripe` |
//! | `STRIPE_API_BASE` | `https://api.stripe.com` | where Stripe is reached: a stand-in for tests |
//!
//! The secret key is never shown: `Debug` names it and hides it.

use std::{fmt, str::FromStr, time::Duration};

use anyhow::Context;

use crate::{Provider, Sandbox, Stripe};

/// Which provider, as `PAYMENT_PROVIDER` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ProviderKind {
    Sandbox,
    Stripe,
}

/// A `PAYMENT_PROVIDER` that names no provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is no payment provider: expected sandbox or stripe")]
pub struct UnknownProvider(String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "sandbox" => Ok(Self::Sandbox),
            "stripe" => Ok(Self::Stripe),
            other => Err(UnknownProvider(other.to_owned())),
        }
    }
}

/// Where the sandbox keeps its intents and answers (`PAYMENT_SANDBOX_BOOK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SandboxBook {
    /// In the database of the service that pays ([`Sandbox::kept_in`]): what was
    /// authorized before a restart can be captured after it, by any instance.
    #[default]
    Database,
    /// In the process ([`Sandbox::new`]): for tests and throwaway demos.
    Memory,
}

impl SandboxBook {
    /// `PAYMENT_SANDBOX_BOOK` from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        match lookup("PAYMENT_SANDBOX_BOOK").filter(|raw| !raw.trim().is_empty()) {
            None => Ok(Self::default()),
            Some(raw) => raw.trim().parse().map_err(|_| {
                anyhow::anyhow!("PAYMENT_SANDBOX_BOOK={raw:?}: expected database or memory")
            }),
        }
    }
}

/// The provider a deployment pays with, and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentSettings {
    Sandbox(SandboxSettings),
    Stripe(StripeSettings),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSettings {
    /// `PAYMENT_SANDBOX_SLOW_MS`
    pub slow_delay: Duration,
    /// `PAYMENT_TIMEOUT_MS`
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY`
    pub secret_key: SecretKey,
    /// `STRIPE_API_BASE`, without a trailing `/`.
    pub api_base: String,
    /// `PAYMENT_TIMEOUT_MS`
    pub timeout: Duration,
    /// `PAYMENT_CONNECT_TIMEOUT_MS`
    pub connect_timeout: Duration,
}

impl StripeSettings {
    pub const DEFAULT_API_BASE: &'static str = "https://api.stripe.com";

    /// Stripe at `api_base` (a stand-in) with `secret_key` and a 5-second timeout.
    pub fn for_tests(api_base: &str, secret_key: &str) -> Self {
        Self {
            secret_key: SecretKey::parse(secret_key).expect("a test's secret key"),
            api_base: api_base.trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
        }
    }
}

/// A Stripe secret or restricted key: visible ASCII, never a publishable key, never
/// shown.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        anyhow::ensure!(
            !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_graphic()),
            "a secret key is visible ASCII characters (it travels in a header)"
        );
        anyhow::ensure!(
            !raw.starts_with("pk_"),
            "a publishable key (pk_…) cannot make payments: use the secret key (sk_…)"
        );
        Ok(Self(raw.to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl PaymentSettings {
    /// Every variable read.
    pub const VARIABLES: [&'static str; 7] = [
        "PAYMENT_PROVIDER",
        "PAYMENT_TIMEOUT_MS",
        "PAYMENT_CONNECT_TIMEOUT_MS",
        "PAYMENT_SANDBOX_SLOW_MS",
        "PAYMENT_SANDBOX_BOOK",
        "STRIPE_SECRET_KEY",
        "STRIPE_API_BASE",
    ];

    /// Reads the [`VARIABLES`](Self::VARIABLES) from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the [`VARIABLES`](Self::VARIABLES) through `lookup`. Refuses `stripe`
    /// without `STRIPE_SECRET_KEY`, and any value set but not valid.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let kind = ::settings::read(&lookup, "PAYMENT_PROVIDER", ProviderKind::Sandbox)?;
        let timeout = millis(&lookup, "PAYMENT_TIMEOUT_MS", 10_000)?;
        Ok(match kind {
            ProviderKind::Sandbox => Self::Sandbox(SandboxSettings {
                slow_delay: millis(&lookup, "PAYMENT_SANDBOX_SLOW_MS", 2_000)?,
                timeout,
            }),
            ProviderKind::Stripe => Self::Stripe(StripeSettings {
                secret_key: secret_key(&lookup)?,
                api_base: api_base(&lookup)?,
                timeout,
                connect_timeout: millis(&lookup, "PAYMENT_CONNECT_TIMEOUT_MS", 2_000)?,
            }),
        })
    }

    pub fn kind(&self) -> ProviderKind {
        match self {
            Self::Sandbox(_) => ProviderKind::Sandbox,
            Self::Stripe(_) => ProviderKind::Stripe,
        }
    }

    /// The provider these settings name.
    pub fn provider(&self) -> anyhow::Result<Provider> {
        Ok(match self {
            Self::Sandbox(sandbox) => Provider::Sandbox(
                Sandbox::new()
                    .with_slow_delay(sandbox.slow_delay)
                    .with_timeout(sandbox.timeout),
            ),
            Self::Stripe(stripe) => Provider::Stripe(Stripe::new(stripe)?),
        })
    }
}

fn millis(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default_ms: u64,
) -> anyhow::Result<Duration> {
    let ms = ::settings::read(lookup, name, default_ms)?;
    anyhow::ensure!(ms > 0, "{name} must be more than 0");
    Ok(Duration::from_millis(ms))
}

fn secret_key(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<SecretKey> {
    let raw = lookup("STRIPE_SECRET_KEY")
        .filter(|raw| !raw.trim().is_empty())
        .context("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY")?;
    SecretKey::parse(&raw).context("STRIPE_SECRET_KEY is not valid")
}

fn api_base(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    let raw = ::settings::read(
        lookup,
        "STRIPE_API_BASE",
        StripeSettings::DEFAULT_API_BASE.to_owned(),
    )?;
    anyhow::ensure!(
        raw.starts_with("https://") || raw.starts_with("http://"),
        "STRIPE_API_BASE={raw:?} is not an http(s) URL"
    );
    Ok(raw.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const KEY: &str = "sk_test_0123456789abcdef";

    fn read(vars: &[(&str, &str)]) -> anyhow::Result<PaymentSettings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        PaymentSettings::from_lookup(|name| vars.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> String {
        format!("{:#}", read(vars).unwrap_err())
    }

    #[test]
    fn nothing_set_is_the_sandbox_with_its_defaults() {
        assert_eq!(
            read(&[]).unwrap(),
            PaymentSettings::Sandbox(SandboxSettings {
                slow_delay: Duration::from_secs(2),
                timeout: Duration::from_secs(10),
            })
        );
        assert_eq!(
            read(&[("PAYMENT_PROVIDER", " "), ("STRIPE_SECRET_KEY", KEY)])
                .unwrap()
                .kind(),
            ProviderKind::Sandbox
        );
    }

    #[test]
    fn the_sandbox_takes_its_delay_and_timeout() {
        let settings = read(&[
            ("PAYMENT_PROVIDER", "sandbox"),
            ("PAYMENT_SANDBOX_SLOW_MS", "50"),
            ("PAYMENT_TIMEOUT_MS", "20"),
        ])
        .unwrap();
        assert_eq!(
            settings,
            PaymentSettings::Sandbox(SandboxSettings {
                slow_delay: Duration::from_millis(50),
                timeout: Duration::from_millis(20),
            })
        );
        assert!(matches!(settings.provider().unwrap(), Provider::Sandbox(_)));
    }

    #[test]
    fn stripe_takes_its_key_its_base_and_its_timeouts() {
        let settings = read(&[
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", KEY),
            ("STRIPE_API_BASE", "http://127.0.0.1:12111/"),
            ("PAYMENT_TIMEOUT_MS", "3000"),
        ])
        .unwrap();
        let PaymentSettings::Stripe(stripe) = &settings else {
            panic!("{settings:?}");
        };
        assert_eq!(stripe.secret_key.expose(), KEY);
        assert_eq!(stripe.api_base, "http://127.0.0.1:12111");
        assert_eq!(stripe.timeout, Duration::from_secs(3));
        assert_eq!(stripe.connect_timeout, Duration::from_secs(2));
        assert!(matches!(settings.provider().unwrap(), Provider::Stripe(_)));
    }

    #[test]
    fn stripe_defaults_to_the_real_api() {
        let settings = read(&[("PAYMENT_PROVIDER", "stripe"), ("STRIPE_SECRET_KEY", KEY)]).unwrap();
        let PaymentSettings::Stripe(stripe) = settings else {
            panic!("{settings:?}");
        };
        assert_eq!(stripe.api_base, "https://api.stripe.com");
    }

    #[test]
    fn stripe_without_a_secret_key_is_refused() {
        for vars in [
            &[("PAYMENT_PROVIDER", "stripe")][..],
            &[("PAYMENT_PROVIDER", "stripe"), ("STRIPE_SECRET_KEY", "  ")][..],
        ] {
            assert!(error(vars).contains("needs STRIPE_SECRET_KEY"), "{vars:?}");
        }
    }

    #[test]
    fn a_publishable_key_or_a_key_with_spaces_is_refused() {
        let publishable = error(&[
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", "pk_test_0123456789abcdef"),
        ]);
        assert!(publishable.contains("publishable"), "{publishable}");
        assert!(!publishable.contains("0123456789abcdef"), "{publishable}");
        let spaced = error(&[
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", "sk_test a"),
        ]);
        assert!(spaced.contains("STRIPE_SECRET_KEY"), "{spaced}");
    }

    #[test]
    fn an_unknown_provider_or_a_bad_number_or_base_is_refused_by_name() {
        let unknown = error(&[("PAYMENT_PROVIDER", "paypal")]);
        assert!(
            unknown.contains("PAYMENT_PROVIDER") && unknown.contains("expected sandbox or stripe"),
            "{unknown}"
        );
        assert!(error(&[("PAYMENT_PROVIDER", "Stripe")]).contains("PAYMENT_PROVIDER"));
        assert!(error(&[("PAYMENT_TIMEOUT_MS", "soon")]).contains("PAYMENT_TIMEOUT_MS"));
        assert!(error(&[("PAYMENT_TIMEOUT_MS", "0")]).contains("PAYMENT_TIMEOUT_MS"));
        let base = error(&[
            ("PAYMENT_PROVIDER", "stripe"),
            ("STRIPE_SECRET_KEY", KEY),
            ("STRIPE_API_BASE", "api.stripe.com"),
        ]);
        assert!(base.contains("STRIPE_API_BASE"), "{base}");
    }

    #[test]
    fn the_secret_key_is_never_shown() {
        let settings = read(&[("PAYMENT_PROVIDER", "stripe"), ("STRIPE_SECRET_KEY", KEY)]).unwrap();
        let debug = format!("{settings:?} {:?}", settings.provider().unwrap());
        assert!(!debug.contains("0123456789abcdef"), "{debug}");
        assert!(debug.contains("SecretKey(***)"), "{debug}");
    }
}
