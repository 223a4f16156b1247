//! The places stock lives: created once, listed, looked up.

use anyhow::Context;
use contracts::inventory::CreateLocation;
use sqlx::PgPool;

use super::rows::LocationRow;
use crate::application::{LocationRecord, StoreError};
use crate::domain::LocationId;

/// Stores `location`; `None` when one with its id exists.
pub(super) async fn create(
    pool: &PgPool,
    location: &CreateLocation,
) -> Result<Option<LocationRecord>, StoreError> {
    let row: Option<LocationRow> = sqlx::query_as(
        "INSERT INTO locations (location_id, name) VALUES ($1, $2)
         ON CONFLICT (location_id) DO NOTHING
         RETURNING location_id, name, created_at",
    )
    .bind(location.id.as_str())
    .bind(&location.name)
    .fetch_optional(pool)
    .await
    .context("insert location")?;
    Ok(row.map(LocationRow::into_record).transpose()?)
}

pub(super) async fn find(
    pool: &PgPool,
    id: &LocationId,
) -> Result<Option<LocationRecord>, StoreError> {
    let row: Option<LocationRow> = sqlx::query_as(
        "SELECT location_id, name, created_at FROM locations WHERE location_id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(pool)
    .await
    .context("select location")?;
    Ok(row.map(LocationRow::into_record).transpose()?)
}

pub(super) async fn all(pool: &PgPool) -> Result<Vec<LocationRecord>, StoreError> {
    let rows: Vec<LocationRow> =
        sqlx::query_as("SELECT location_id, name, created_at FROM locations ORDER BY location_id")
            .fetch_all(pool)
            .await
            .context("select locations")?;
    Ok(rows
        .into_iter()
        .map(LocationRow::into_record)
        .collect::<anyhow::Result<_>>()?)
}
