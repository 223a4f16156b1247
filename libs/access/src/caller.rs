//! Who is calling: the [`CallerName`] value object, the [`Caller`] with its scopes, and
//! the extractor that hands a handler the caller the access layer identified.
//!
//! Nothing here ever sees a key: by the time a caller exists its key has been matched
//! and dropped, so a caller can be logged, cloned and put on a span freely.

use std::fmt;

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use problem::Problem;
use thiserror::Error;

use crate::{API_KEY_HEADER, Scope, Scopes};

/// The name of the caller of the keyless mode, reserved for it.
pub const ANONYMOUS: &str = "anonymous";
/// The name of the caller `ADMIN_API_KEY` stands for.
pub const ADMIN: &str = "admin";

const MAX_NAME_LEN: usize = 64;

/// A caller's name: 1 to 64 of `A-Z a-z 0-9 _ . -`; `anonymous` is reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallerName(String);

/// Why a name was refused. The name itself is not repeated: what stands in the name's
/// place in a mistyped `API_KEYS` entry may be a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NameError {
    #[error("a caller name is 1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-'")]
    Invalid,
    #[error("the caller name `anonymous` is reserved for the keyless mode")]
    Reserved,
}

impl CallerName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if raw.is_empty() || raw.len() > MAX_NAME_LEN || !raw.chars().all(allowed) {
            return Err(NameError::Invalid);
        }
        if raw.eq_ignore_ascii_case(ANONYMOUS) {
            return Err(NameError::Reserved);
        }
        Ok(Self(raw.to_owned()))
    }

    pub(crate) fn anonymous() -> Self {
        Self(ANONYMOUS.to_owned())
    }

    pub(crate) fn admin() -> Self {
        Self(ADMIN.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_anonymous(&self) -> bool {
        self.0 == ANONYMOUS
    }
}

impl fmt::Display for CallerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An identified caller and what it may do. As an extractor it answers 401
/// `unauthorized` when the request carries no known key (and the keyless mode is off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    name: CallerName,
    scopes: Scopes,
}

impl Caller {
    pub fn new(name: CallerName, scopes: Scopes) -> Self {
        Self { name, scopes }
    }

    /// The caller of the keyless mode: every scope but `admin`.
    pub(crate) fn anonymous() -> Self {
        Self::new(CallerName::anonymous(), Scopes::all_but_admin())
    }

    pub fn name(&self) -> &CallerName {
        &self.name
    }

    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    /// `Ok` when the caller holds `scope`, else a 403 `forbidden` problem naming both,
    /// for a handler to return with `?`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.has(scope) {
            return Ok(());
        }
        Err(
            Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden")
                .with_detail(format!(
                    "caller `{}` lacks the scope `{scope}` this route needs",
                    self.name
                ))
                .with_extension("scope", scope.as_str()),
        )
    }
}

/// What the access layer found out about a request, left in its extensions for the
/// [`Caller`] extractor.
#[derive(Debug, Clone)]
pub(crate) enum Identity {
    Known(Caller),
    NoKey,
    UnknownKey,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Identity>() {
            Some(Identity::Known(caller)) => Ok(caller.clone()),
            Some(Identity::NoKey) => Err(Unauthorized::NoKey.into_response()),
            Some(Identity::UnknownKey) => Err(Unauthorized::UnknownKey.into_response()),
            None => {
                // A wiring mistake, not the client's: refusing beats serving unchecked.
                tracing::error!(
                    "a handler asked for the caller but the router has no access layer"
                );
                Err(Problem::internal().into_response())
            }
        }
    }
}

/// A request refused for want of a known key: answered 401 `unauthorized`, with the
/// RFC 9110 challenge naming the header the key goes in. What the [`Caller`] extractor
/// answers, for the routes that check a key themselves (admin routes, service keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unauthorized {
    /// No `x-api-key` header.
    NoKey,
    /// A header that holds no known key (never repeated).
    UnknownKey,
}

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        match self {
            Self::NoKey => unauthorized(&format!(
                "this route needs a key: send it in the {API_KEY_HEADER} header"
            )),
            Self::UnknownKey => {
                unauthorized(&format!("the {API_KEY_HEADER} header holds no known key"))
            }
        }
    }
}

/// 401 with the RFC 9110 challenge naming the header the key goes in.
fn unauthorized(detail: &str) -> Response {
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized")
        .with_detail(format!(
            "{detail} (WWW-Authenticate: ApiKey header=\"{API_KEY_HEADER}\")"
        ))
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("ApiKey header=\"x-api-key\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_to_sixty_four_plain_characters() {
        for good in ["shop", "order-api", "ops_1.eu", &"a".repeat(64)] {
            assert!(CallerName::parse(good).is_ok(), "{good:?}");
        }
        for bad in ["", "shop owner", "shöp", "a:b", &"a".repeat(65)] {
            assert_eq!(CallerName::parse(bad), Err(NameError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn anonymous_is_reserved_in_any_case() {
        for name in ["anonymous", "Anonymous", "ANONYMOUS"] {
            assert_eq!(CallerName::parse(name), Err(NameError::Reserved));
        }
        assert!(Caller::anonymous().name().is_anonymous());
    }

    #[test]
    fn a_missing_scope_is_a_forbidden_problem_naming_it() {
        let shop = Caller::new(
            CallerName::parse("shop").unwrap(),
            [Scope::Checkout].into_iter().collect(),
        );
        assert!(shop.require(Scope::Checkout).is_ok());
        let problem = shop.require(Scope::Stock).unwrap_err();
        assert_eq!(problem.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem.code(), "forbidden");
        assert_eq!(problem.body()["scope"], "stock");
    }

    #[test]
    fn the_anonymous_caller_never_holds_admin() {
        let anonymous = Caller::anonymous();
        assert!(anonymous.has(Scope::Stock) && anonymous.has(Scope::Saga));
        assert!(anonymous.require(Scope::Admin).is_err());
    }
}
