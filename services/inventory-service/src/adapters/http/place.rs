//! Where a request acts: the location and SKU in its path. The routes of the default
//! location (`/inventory/:sku/...`) and of a named one
//! (`/locations/:storeId/inventory/:sku/...`) share their handlers through these
//! extractors; a path without a store is the central warehouse.

use std::collections::HashMap;

use axum::{
    extract::{FromRequestParts, Path},
    http::{StatusCode, request::Parts},
};
use problem::Problem;

use crate::domain::{LocationId, Sku};

/// The location a route names (`central` when it names none).
#[derive(Debug, Clone)]
pub(super) struct At(pub LocationId);

/// A SKU at a location.
#[derive(Debug, Clone)]
pub(super) struct StockAt {
    pub location: LocationId,
    pub sku: Sku,
}

async fn params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<HashMap<String, String>, Problem> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "invalid_path", "Invalid input")
                .with_detail(e.body_text())
        })?;
    Ok(params)
}

fn location(params: &HashMap<String, String>) -> Result<LocationId, Problem> {
    Ok(LocationId::parse_or_central(
        params.get("store_id").map(String::as_str),
    )?)
}

impl<S: Send + Sync> FromRequestParts<S> for At {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = params(parts, state).await?;
        let location = location(&params)?;
        tracing::Span::current().record("store_id", location.as_str());
        Ok(Self(location))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for StockAt {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = params(parts, state).await?;
        let location = location(&params)?;
        let sku = Sku::parse(params.get("sku").map_or("", String::as_str))?;
        let span = tracing::Span::current();
        span.record("store_id", location.as_str());
        span.record("sku", sku.as_str());
        Ok(Self { location, sku })
    }
}
