//! The key one internal service asks of another (e.g. `ORDER_SERVICE_API_KEY`, which
//! order-api sends to order-service): one key, no names or scopes, checked in the
//! `x-api-key` header.
//!
//! Like the callers' keys it must never be kept, printed or logged: only its SHA-256
//! digest is held, and it is compared with a presented key in constant time.

use std::fmt;

use axum::http::HeaderMap;

use crate::{
    API_KEY_HEADER, KeyError, Unauthorized,
    keys::{KeyDigest, digest_of_configured},
};

/// A configured service key, as its digest.
#[derive(Clone)]
pub struct ServiceKey(KeyDigest);

impl ServiceKey {
    /// Checks `key` with the rules of every configured key (at least
    /// [`MIN_KEY_LEN`](crate::MIN_KEY_LEN) visible ASCII characters) and keeps its digest.
    /// Blanks around it are ignored, as in `API_KEYS`.
    pub fn parse(key: &str) -> Result<Self, KeyError> {
        digest_of_configured(key.trim()).map(Self)
    }

    /// True when `presented` is this key; takes as long whatever was presented.
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(self.0.ct_eq(&KeyDigest::of(presented)))
    }

    /// `Ok` when the request's `x-api-key` header holds this key, else why not, to
    /// answer with (401 `unauthorized` with its `WWW-Authenticate` challenge).
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Unauthorized> {
        match headers.get(API_KEY_HEADER).map(|value| value.to_str()) {
            None => Err(Unauthorized::NoKey),
            Some(Ok(presented)) if self.matches(presented) => Ok(()),
            Some(_) => Err(Unauthorized::UnknownKey),
        }
    }
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use axum::{
        http::{HeaderValue, StatusCode},
        response::IntoResponse,
    };

    use super::*;

    const KEY: &str = "svc-0123456789abcdef";

    fn with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, HeaderValue::from_str(key).unwrap());
        headers
    }

    #[test]
    fn a_service_key_follows_the_rules_of_every_key() {
        assert_eq!(ServiceKey::parse("short").unwrap_err(), KeyError::TooShort);
        assert_eq!(ServiceKey::parse("  ").unwrap_err(), KeyError::Empty);
        assert!(ServiceKey::parse(&format!(" {KEY} ")).unwrap().matches(KEY));
    }

    #[test]
    fn only_the_exact_key_matches() {
        let key = ServiceKey::parse(KEY).unwrap();
        assert!(key.matches(KEY));
        for wrong in ["", &KEY[..KEY.len() - 1], &format!("{KEY}x"), "svc"] {
            assert!(!key.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn a_missing_or_wrong_header_is_a_401_with_a_challenge() {
        let key = ServiceKey::parse(KEY).unwrap();
        assert!(key.check(&with_key(KEY)).is_ok());
        assert_eq!(key.check(&HeaderMap::new()), Err(Unauthorized::NoKey));
        let wrong = key.check(&with_key("svc-0123456789abcdeX")).unwrap_err();
        assert_eq!(wrong, Unauthorized::UnknownKey);
        let refused = wrong.into_response();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(refused.headers().contains_key("www-authenticate"));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let debug = format!("{:?}", ServiceKey::parse(KEY).unwrap());
        assert_eq!(debug, "ServiceKey(..)");
    }
}
