//! `PathSku`: the `{sku}` path segment, parsed into a [`Sku`] before any handler runs,
//! so that a malformed code is a 422 `invalid_sku` problem and is never forwarded.

use axum::{
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
};
use contracts::Sku;
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
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                Problem::new(StatusCode::BAD_REQUEST, "invalid_path", "Invalid path")
                    .with_detail(rejection.body_text())
            })?;
        Ok(Self(Sku::parse(&raw)?))
    }
}
