//! Row shapes read from the database and their conversion into domain values. A row
//! that does not convert is a corrupt store, reported as a store error.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::application::{LocationRecord, MovementRecord, StockRecord};
use crate::domain::{
    Actor, HoldStatus, LocationId, Movement, MovementKind, OrderId, Price, ProductInventory,
    Quantity, Reservation, Sku,
};

#[derive(Debug, FromRow)]
pub(super) struct ProductRow {
    pub location_id: String,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub safety_stock: i64,
    pub unit_price_amount: Option<i64>,
    pub unit_price_currency: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl ProductRow {
    pub fn into_record(self) -> anyhow::Result<StockRecord> {
        let unit_price = unit_price(self.unit_price_amount, self.unit_price_currency.as_deref())
            .with_context(|| format!("unit price of {} at {}", self.sku, self.location_id))?;
        let product = ProductInventory::restore(
            LocationId::parse(&self.location_id)?,
            Sku::parse(&self.sku)?,
            self.on_hand,
            self.reserved,
            self.safety_stock,
            unit_price,
            self.version,
        )?;
        Ok(StockRecord {
            product,
            updated_at: self.updated_at,
        })
    }
}

#[derive(Debug, FromRow)]
pub(super) struct HoldRow {
    pub location_id: String,
    pub order_id: String,
    pub sku: String,
    pub requested: i64,
    pub held: i64,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub owner: String,
    pub saga: bool,
}

impl HoldRow {
    pub fn into_domain(self) -> anyhow::Result<Reservation> {
        let status: HoldStatus = self
            .status
            .parse()
            .with_context(|| format!("hold status {:?}", self.status))?;
        let made = Reservation::new(
            LocationId::parse(&self.location_id)?,
            OrderId::parse(&self.order_id)?,
            Sku::parse(&self.sku)?,
            Quantity::parse(self.requested)?,
            self.expires_at,
            owner(&self.owner, self.saga)?,
        );
        Ok(Reservation::restore(made, self.held, status)?)
    }

    pub fn into_domain_all(rows: Vec<Self>) -> anyhow::Result<Vec<Reservation>> {
        rows.into_iter().map(Self::into_domain).collect()
    }
}

#[derive(Debug, FromRow)]
pub(super) struct MovementRow {
    pub id: i64,
    pub location_id: String,
    pub sku: String,
    pub kind: String,
    pub qty: i64,
    pub order_id: Option<String>,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    pub crossed_below_safety_stock: bool,
    pub actor: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

impl MovementRow {
    pub fn into_record(self) -> anyhow::Result<MovementRecord> {
        Ok(MovementRecord {
            id: self.id,
            movement: Movement {
                location: LocationId::parse(&self.location_id)?,
                sku: Sku::parse(&self.sku)?,
                kind: self
                    .kind
                    .parse::<MovementKind>()
                    .with_context(|| format!("movement kind {:?}", self.kind))?,
                qty: self.qty,
                order_id: self
                    .order_id
                    .as_deref()
                    .map(OrderId::parse)
                    .transpose()
                    .context("movement order id")?,
                on_hand_after: self.on_hand_after,
                reserved_after: self.reserved_after,
                crossed_below_safety_stock: self.crossed_below_safety_stock,
                actor: self.actor,
            },
            occurred_at: self.occurred_at,
        })
    }
}

/// A stored price: both columns or neither.
pub(super) fn unit_price(
    amount: Option<i64>,
    currency: Option<&str>,
) -> anyhow::Result<Option<Price>> {
    match (amount, currency) {
        (Some(amount), Some(currency)) => Ok(Some(Price::parse(amount, currency)?)),
        (None, None) => Ok(None),
        _ => anyhow::bail!("an amount without its currency, or a currency without its amount"),
    }
}

/// The columns of a [`ProductRow`], for every statement that reads one (a macro, so
/// the statements stay static strings).
macro_rules! product_columns {
    () => {
        "location_id, sku, on_hand, reserved, safety_stock, unit_price_amount, \
         unit_price_currency, version, updated_at"
    };
}
pub(super) use product_columns;

/// The columns of a [`HoldRow`].
macro_rules! hold_columns {
    () => {
        "location_id, order_id, sku, requested, held, status, expires_at, owner, saga"
    };
}
pub(super) use hold_columns;

#[derive(Debug, FromRow)]
pub(super) struct LocationRow {
    pub location_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl LocationRow {
    pub fn into_record(self) -> anyhow::Result<LocationRecord> {
        Ok(LocationRecord {
            id: LocationId::parse(&self.location_id)?,
            name: self.name,
            created_at: self.created_at,
        })
    }
}

/// A hold's owner as stored: the caller's name, and whether it acted for the saga.
pub(super) fn owner(name: &str, saga: bool) -> anyhow::Result<Actor> {
    if saga {
        Actor::saga(name)
    } else {
        Actor::caller(name)
    }
    .context("hold owner")
}
