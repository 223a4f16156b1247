//! `PathSku`: the `{sku}` path segment, parsed into a [`Sku`] before any handler runs,
//! so that a malformed code is a 422 `invalid_sku` problem and is never forwarded.

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use contracts::{Sku, ValidationError};
use problem::Problem;

/// The SKU named in the path; exists only if it follows the SKU rule.
#[derive(Debug, Clone)]
pub struct PathSku(pub Sku);

impl<S> FromRequestParts<S> for PathSku
where
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A segment that is not even text (a percent-encoded byte that is not UTF-8) is
        // as malformed a code as any other: the same 422, never axum's plain-text 400.
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                Problem::from(ValidationError::new(
                    "invalid_sku",
                    "the SKU in the path is not valid text",
                ))
            })?;
        Ok(Self(Sku::parse(&raw)?))
    }
}
