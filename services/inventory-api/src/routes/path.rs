//! The path segments of the stock routes, parsed before any handler runs: `{storeId}`
//! ([`AtLocation`]: 400 `invalid_store_id`; absent on the `/inventory` forms, which act
//! on the central warehouse) and `{sku}` ([`PathSku`]: 422 `invalid_sku`). A malformed
//! segment is answered here and never forwarded.

use std::collections::HashMap;

use axum::{
    extract::{
        FromRequestParts, Path,
        path::{ErrorKind, FailedToDeserializePathParams},
        rejection::PathRejection,
    },
    http::request::Parts,
};
use contracts::{LocationId, Sku, ValidationError};
use problem::Problem;

/// The name of the location segment in the route table.
pub const STORE_ID_PARAM: &str = "storeId";
const SKU_PARAM: &str = "sku";

/// The location a stock route acts on: `{storeId}`, or the central warehouse on the
/// `/inventory` forms.
#[derive(Debug, Clone)]
pub struct AtLocation {
    pub id: LocationId,
    /// Whether the path named it (a `/locations/:storeId/...` form).
    named: bool,
}

impl AtLocation {
    /// The central warehouse, as the `/inventory` forms name it.
    pub fn central() -> Self {
        Self {
            id: LocationId::central(),
            named: false,
        }
    }

    /// `id`, as the `/locations/:storeId` forms name it.
    pub fn named(id: LocationId) -> Self {
        Self { id, named: true }
    }

    /// The upstream prefix of this location's stock routes, in the form the client
    /// used: `/inventory`, or `/locations/<id>/inventory`.
    pub fn inventory_path(&self) -> String {
        if self.named {
            format!("/locations/{}/inventory", self.id)
        } else {
            "/inventory".to_owned()
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AtLocation {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match params(parts, state).await?.remove(STORE_ID_PARAM) {
            Some(raw) => Ok(Self::named(LocationId::parse(&raw)?)),
            None => Ok(Self::central()),
        }
    }
}

/// The SKU named in the path; exists only if it follows the SKU rule.
#[derive(Debug, Clone)]
pub struct PathSku(pub Sku);

impl<S: Send + Sync> FromRequestParts<S> for PathSku {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = params(parts, state)
            .await?
            .remove(SKU_PARAM)
            .unwrap_or_default();
        Ok(Self(Sku::parse(&raw)?))
    }
}

async fn params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<HashMap<String, String>, Problem> {
    Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|Path(params)| params)
        .map_err(rejected)
}

/// A segment that is not even text (a percent-encoded byte that is not UTF-8) is as
/// malformed as any other: the segment's own code, never axum's plain-text 400.
fn rejected(rejection: PathRejection) -> Problem {
    let key = match &rejection {
        PathRejection::FailedToDeserializePathParams(failed) => invalid_key(failed),
        _ => None,
    };
    if key == Some(STORE_ID_PARAM) {
        Problem::from(ValidationError::new(
            "invalid_store_id",
            "the store id in the path is not valid text",
        ))
    } else {
        Problem::from(ValidationError::new(
            "invalid_sku",
            "the SKU in the path is not valid text",
        ))
    }
}

fn invalid_key(failed: &FailedToDeserializePathParams) -> Option<&str> {
    match failed.kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => Some(key.as_str()),
        _ => None,
    }
}
