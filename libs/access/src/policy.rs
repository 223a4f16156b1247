//! The [`Access`] policy of one facade: its callers, its mode (keyed, or open on
//! loopback) and its rate limit, read once from the environment at start-up.
//!
//! It must never start open on an address other machines can reach: without `API_KEYS`
//! a facade bound anywhere but loopback refuses to start.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use axum::{
    extract::ConnectInfo,
    http::{Extensions, HeaderMap},
};
use thiserror::Error;

use crate::{
    API_KEY_HEADER, AccessLayer, Caller, Callers, KeysError,
    caller::Identity,
    rate_limit::{RateKey, RateLimit},
};

/// Whether requests need a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `API_KEYS` is set: a route that takes a [`Caller`] needs a known key.
    Keyed,
    /// No `API_KEYS`, on loopback: every request is `anonymous`, with every scope but
    /// `admin`; a known key (e.g. `ADMIN_API_KEY`) still identifies its caller.
    Open,
}

/// Why a facade cannot start with the access settings it was given.
#[derive(Debug, Error)]
pub enum AccessError {
    #[error(transparent)]
    Keys(#[from] KeysError),
    #[error(
        "API_KEYS is not set and BIND_ADDR {bind_addr} is not a loopback address: set API_KEYS \
         (`name:key:scope+scope;...`) to serve on it, or bind 127.0.0.1 to serve every caller \
         as anonymous"
    )]
    KeysRequired { bind_addr: IpAddr },
    #[error(
        "RATE_LIMIT_PER_SEC={raw:?} is not a whole number of requests per second above 0; \
         unset it for no limit"
    )]
    RateLimit { raw: String },
}

/// Who may call what on one facade. Cheap to clone: one policy is shared by every
/// route and request.
#[derive(Debug, Clone)]
pub struct Access {
    inner: Arc<Policy>,
}

#[derive(Debug)]
struct Policy {
    mode: Mode,
    callers: Callers,
    rate_limit: Option<RateLimit>,
}

impl Access {
    /// Reads `API_KEYS`, `ADMIN_API_KEY` and `RATE_LIMIT_PER_SEC`; `bind_addr` is the
    /// address the facade listens on, which decides whether it may run without keys.
    pub fn from_env(bind_addr: IpAddr) -> anyhow::Result<Self> {
        Ok(Self::from_lookup(bind_addr, |name| {
            std::env::var(name).ok()
        })?)
    }

    /// Same as [`Access::from_env`], reading variables through `lookup`. Blank values
    /// count as unset.
    pub fn from_lookup(
        bind_addr: IpAddr,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, AccessError> {
        let read = |name: &str| lookup(name).filter(|raw| !raw.trim().is_empty());
        let api_keys = read("API_KEYS");
        let callers = Callers::parse(api_keys.as_deref(), read("ADMIN_API_KEY").as_deref())?;
        let mode = match api_keys {
            Some(_) => Mode::Keyed,
            None if bind_addr.to_canonical().is_loopback() => Mode::Open,
            None => return Err(AccessError::KeysRequired { bind_addr }),
        };
        let rate_limit = read("RATE_LIMIT_PER_SEC")
            .map(|raw| {
                raw.trim()
                    .parse::<NonZeroU32>()
                    .map(RateLimit::per_second)
                    .map_err(|_| AccessError::RateLimit { raw })
            })
            .transpose()?;
        Ok(Self {
            inner: Arc::new(Policy {
                mode,
                callers,
                rate_limit,
            }),
        })
    }

    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// What the facade logs first at start: the mode, the callers' names and scopes (never
    /// a key) and the rate limit.
    pub fn start_line(&self) -> String {
        let policy = &self.inner;
        let rate = match &policy.rate_limit {
            Some(limit) => format!("rate limit {} requests/s per caller", limit.limit()),
            None => "no rate limit".to_owned(),
        };
        let callers: Vec<String> = policy
            .callers
            .iter()
            .map(|caller| format!("{} ({})", caller.name(), caller.scopes()))
            .collect();
        match policy.mode {
            Mode::Open => format!(
                "no API_KEYS: serving every caller as anonymous on loopback only; admin routes {}; {rate}",
                if callers.is_empty() {
                    "refuse everyone (no admin key)".to_owned()
                } else {
                    format!("take the keys of {}", callers.join(", "))
                },
            ),
            Mode::Keyed => format!(
                "API_KEYS: {} callers: {}; {rate}",
                callers.len(),
                callers.join(", ")
            ),
        }
    }

    /// The tower layer that identifies each request's caller for the [`Caller`]
    /// extractor and applies the rate limit.
    pub fn layer(&self) -> AccessLayer {
        AccessLayer::new(self.clone())
    }

    /// The caller of a request from its `x-api-key` header.
    pub(crate) fn identify(&self, headers: &HeaderMap) -> Identity {
        let open = self.inner.mode == Mode::Open;
        let Some(presented) = headers.get(API_KEY_HEADER) else {
            return if open {
                Identity::Known(Caller::anonymous())
            } else {
                Identity::NoKey
            };
        };
        let known = presented
            .to_str()
            .ok()
            .and_then(|key| self.inner.callers.identify(key));
        match known {
            Some(caller) => Identity::Known(caller.clone()),
            // Open mode grants anonymous everything a key could but admin, so a stale key
            // left in a client's configuration need not break local runs.
            None if open => Identity::Known(Caller::anonymous()),
            None => Identity::UnknownKey,
        }
    }

    /// `Ok` when the request's caller is within its rate, else how long until it is.
    pub(crate) fn check_rate(
        &self,
        identity: &Identity,
        extensions: &Extensions,
    ) -> Result<(), (RateKey, std::time::Duration)> {
        let Some(limit) = &self.inner.rate_limit else {
            return Ok(());
        };
        let key = match identity {
            Identity::Known(caller) if !caller.name().is_anonymous() => {
                RateKey::Caller(caller.name().clone())
            }
            _ => match extensions.get::<ConnectInfo<SocketAddr>>() {
                Some(ConnectInfo(client)) => RateKey::Address(client.ip().to_canonical()),
                None => RateKey::Unaddressed,
            },
        };
        limit.check(&key).map_err(|wait| (key, wait))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use axum::http::HeaderValue;

    use super::*;

    const LOOPBACK: [u8; 4] = [127, 0, 0, 1];
    const ANY: [u8; 4] = [0, 0, 0, 0];
    const SHOP_KEY: &str = "shop-0123456789abcdef";
    const ADMIN_KEY: &str = "admin-0123456789abcdef";

    fn access(bind: impl Into<IpAddr>, vars: &[(&str, &str)]) -> Result<Access, AccessError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Access::from_lookup(bind.into(), |name| vars.get(name).cloned())
    }

    fn with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, HeaderValue::from_str(key).unwrap());
        headers
    }

    fn name(identity: Identity) -> String {
        match identity {
            Identity::Known(caller) => caller.name().to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn keys_set_means_keyed_whatever_the_address() {
        for bind in [LOOPBACK, ANY] {
            let access = access(bind, &[("API_KEYS", &format!("shop:{SHOP_KEY}:checkout"))]);
            assert_eq!(access.unwrap().mode(), Mode::Keyed);
        }
    }

    #[test]
    fn no_keys_on_loopback_serves_everyone_as_anonymous() {
        for bind in [
            IpAddr::from(LOOPBACK),
            "::1".parse().unwrap(),
            "::ffff:127.0.0.1".parse().unwrap(),
        ] {
            let access = access(bind, &[("API_KEYS", "  ")]).unwrap();
            assert_eq!(access.mode(), Mode::Open, "{bind}");
            assert_eq!(name(access.identify(&HeaderMap::new())), "anonymous");
        }
        let line = access(LOOPBACK, &[]).unwrap().start_line();
        assert!(
            line.starts_with("no API_KEYS: serving every caller as anonymous on loopback only"),
            "{line}"
        );
    }

    #[test]
    fn no_keys_on_a_reachable_address_refuses_to_start_and_says_to_set_api_keys() {
        for bind in [
            IpAddr::from(ANY),
            "10.1.2.3".parse().unwrap(),
            "::".parse().unwrap(),
        ] {
            let err = access(bind, &[("ADMIN_API_KEY", ADMIN_KEY)]).unwrap_err();
            assert!(matches!(err, AccessError::KeysRequired { .. }), "{bind}");
            assert!(err.to_string().contains("set API_KEYS"), "{err}");
        }
    }

    #[test]
    fn open_mode_still_needs_the_admin_key_for_admin() {
        let access = access(LOOPBACK, &[("ADMIN_API_KEY", ADMIN_KEY)]).unwrap();
        let Identity::Known(admin) = access.identify(&with_key(ADMIN_KEY)) else {
            panic!("admin key not recognised");
        };
        assert!(admin.has(crate::Scope::Admin));
        let Identity::Known(anonymous) = access.identify(&with_key("stale-0123456789abcdef"))
        else {
            panic!("open mode refused an unknown key");
        };
        assert!(anonymous.name().is_anonymous() && !anonymous.has(crate::Scope::Admin));
    }

    #[test]
    fn keyed_mode_tells_a_missing_key_from_a_wrong_one() {
        let access = access(ANY, &[("API_KEYS", &format!("shop:{SHOP_KEY}:checkout"))]).unwrap();
        assert_eq!(name(access.identify(&with_key(SHOP_KEY))), "shop");
        assert_eq!(name(access.identify(&HeaderMap::new())), "NoKey");
        assert_eq!(
            name(access.identify(&with_key("shop-0123456789abcdeF"))),
            "UnknownKey"
        );
    }

    #[test]
    fn the_start_line_names_callers_and_the_rate_but_no_key() {
        let access = access(
            ANY,
            &[
                ("API_KEYS", &format!("shop:{SHOP_KEY}:checkout+reserve")),
                ("ADMIN_API_KEY", ADMIN_KEY),
                ("RATE_LIMIT_PER_SEC", "50"),
            ],
        )
        .unwrap();
        let line = access.start_line();
        assert_eq!(
            line,
            "API_KEYS: 2 callers: shop (reserve+checkout), admin (admin); \
             rate limit 50 requests/s per caller"
        );
        let debug = format!("{access:?}");
        assert!(
            !debug.contains(SHOP_KEY) && !debug.contains(ADMIN_KEY),
            "{debug}"
        );
    }

    #[test]
    fn a_rate_limit_must_be_a_positive_whole_number() {
        for raw in ["0", "-1", "1.5", "fast"] {
            let err = access(LOOPBACK, &[("RATE_LIMIT_PER_SEC", raw)]).unwrap_err();
            assert!(err.to_string().contains("RATE_LIMIT_PER_SEC"), "{err}");
        }
    }

    #[test]
    fn bad_keys_stop_start_up() {
        let err = access(LOOPBACK, &[("API_KEYS", "shop:short:checkout")]).unwrap_err();
        assert!(matches!(err, AccessError::Keys(_)), "{err}");
    }
}
