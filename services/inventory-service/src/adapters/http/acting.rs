//! Who acts: the [`Actor`] a facade names in the `x-caller` and `x-caller-saga` headers
//! (no header: `anonymous`). This service is reachable only from inside the system, so it
//! trusts them; the facade is where callers are authenticated. The caller's name goes on
//! the request's span (never a key: none reaches this service).

use axum::{extract::FromRequestParts, http::request::Parts};
use contracts::actor::{CALLER_HEADER, SAGA_HEADER};
use problem::Problem;

use crate::domain::Actor;

/// The actor of a request, as an extractor.
#[derive(Debug, Clone)]
pub(super) struct Acting(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Acting {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let actor = Actor::from_headers(header(CALLER_HEADER), header(SAGA_HEADER))?;
        tracing::Span::current().record("caller", actor.name());
        Ok(Self(actor))
    }
}
