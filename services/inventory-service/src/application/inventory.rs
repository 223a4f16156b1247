//! The inventory's use cases: locations, create, read, reserve (one SKU, or many
//! all-or-nothing), release, confirm, replenish, set a price, transfer, list stock and
//! movements, expire due holds. Every stock command acts at one location.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use contracts::inventory::{
    CommitLines, CreateInventory, CreateLocation, MovementsPage, Release, Reserve, ReserveAll,
    StockListPage,
};
use uuid::Uuid;

use super::ports::{
    CreateOutcome, HoldRequest, InventoryStore, LocationRecord, MovementRecord, Place,
    ReserveOutcome, Scope, StockRecord, StoreError, Sweep,
};
use crate::domain::{
    self, Actor, InventoryError, LocationId, OrderId, Price, ProductInventory, Quantity,
    Reservation, Shortage, Sku, Transfer,
};

/// A use case failed: either the domain refused the command or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rejected(#[from] InventoryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A hold in the answer of a reservation, with the price of one unit of its SKU there
/// (none while the SKU is unpriced): what a checkout copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedHold {
    pub hold: Reservation,
    pub unit_price: Option<Price>,
}

/// The inventory's use cases over a store.
#[derive(Debug)]
pub struct Inventory<S> {
    store: S,
    default_ttl: Duration,
}

impl<S: InventoryStore> Inventory<S> {
    pub fn new(store: S, default_ttl: Duration) -> Self {
        Self { store, default_ttl }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub async fn create_location(&self, cmd: CreateLocation) -> Result<LocationRecord, Error> {
        let id = cmd.id.clone();
        self.store
            .create_location(&cmd)
            .await?
            .ok_or_else(|| InventoryError::LocationExists(id).into())
    }

    pub async fn location(&self, id: &LocationId) -> Result<LocationRecord, Error> {
        self.store
            .location(id)
            .await?
            .ok_or_else(|| InventoryError::UnknownLocation(id.clone()).into())
    }

    pub async fn locations(&self) -> Result<Vec<LocationRecord>, Error> {
        Ok(self.store.locations().await?)
    }

    pub async fn create(
        &self,
        location: &LocationId,
        cmd: CreateInventory,
        actor: &Actor,
    ) -> Result<StockRecord, Error> {
        let (product, mut created) = ProductInventory::create(
            location.clone(),
            cmd.sku,
            cmd.initial,
            cmd.safety_stock,
            cmd.unit_price,
        );
        created.actor = Some(actor.name().to_owned());
        let events = product.created_events(&created);
        match self.store.create(&product, &created, &events).await? {
            CreateOutcome::Created { updated_at } => Ok(StockRecord {
                product,
                updated_at,
            }),
            CreateOutcome::AlreadyExists => {
                Err(InventoryError::SkuExists(product.sku().clone()).into())
            }
            CreateOutcome::UnknownLocation => {
                Err(InventoryError::UnknownLocation(location.clone()).into())
            }
        }
    }

    pub async fn stock(&self, location: &LocationId, sku: &Sku) -> Result<StockRecord, Error> {
        let found = self.store.find(location, sku).await?;
        let found = found.ok_or_else(|| InventoryError::UnknownSku(vec![sku.clone()]).into());
        self.located(location, found).await
    }

    /// A SKU missing at a store that does not exist is a wrong address rather than an
    /// unknown SKU: `unknown_location`. Looked up only on that refusal, so the paths that
    /// succeed pay nothing for it; `central` always exists.
    async fn located<T>(
        &self,
        location: &LocationId,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        match result {
            Err(Error::Rejected(InventoryError::UnknownSku(_))) if !location.is_central() => {
                self.location(location).await?;
                result
            }
            other => other,
        }
    }

    /// Reserves one SKU for one order, as the caller itself (never for the saga).
    /// Idempotent per (order, SKU): a repeat of the same request succeeds and changes
    /// nothing; a repeat with another quantity conflicts; a hold of that order and SKU
    /// made by someone else is not this caller's.
    pub async fn reserve(
        &self,
        location: &LocationId,
        sku: &Sku,
        cmd: Reserve,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), Error> {
        let hold = HoldRequest {
            owner: actor.for_itself(),
            location: location.clone(),
            expires_at: self.expiry(now, cmd.ttl_seconds),
            order_id: cmd.order_id,
            sku: sku.clone(),
            qty: cmd.qty,
        };
        let outcome = match self.store.reserve_one(&hold).await? {
            ReserveOutcome::Reserved => Ok(()),
            ReserveOutcome::OrderCancelled => {
                Err(InventoryError::OrderCancelled(hold.order_id).into())
            }
            ReserveOutcome::HeldElsewhere(location) => Err(InventoryError::HeldElsewhere {
                order_id: hold.order_id,
                location,
            }
            .into()),
            ReserveOutcome::AlreadyHeld { requested, owner } => {
                if let Err(denied) = hold.owner.may_touch(&owner) {
                    return Err(InventoryError::HoldNotYours {
                        order_id: hold.order_id,
                        sku: hold.sku,
                        denied,
                    }
                    .into());
                }
                if requested == hold.qty.get() {
                    return Ok(());
                }
                Err(InventoryError::HoldConflict {
                    order_id: hold.order_id,
                    sku: hold.sku,
                    held_for: requested,
                    requested: hold.qty.get(),
                }
                .into())
            }
            ReserveOutcome::Insufficient { available } => {
                Err(InventoryError::InsufficientStock(vec![Shortage {
                    sku: hold.sku,
                    requested: hold.qty.get(),
                    available,
                }])
                .into())
            }
            ReserveOutcome::UnknownSku => Err(InventoryError::UnknownSku(vec![hold.sku]).into()),
        };
        self.located(location, outcome).await
    }

    /// Reserves every line for one order, or none; the holds belong to `actor` (to the
    /// saga, when it acts for the saga). Each hold is answered with its SKU's unit price.
    pub async fn reserve_all(
        &self,
        cmd: ReserveAll,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Vec<PricedHold>, Error> {
        let actor = actor.clone();
        let expires_at = self.expiry(now, cmd.ttl_seconds);
        let skus: Vec<Sku> = cmd.lines.iter().map(|(sku, _)| sku.clone()).collect();
        let lines = cmd.lines;
        Ok(self
            .store
            .change(
                Scope::Skus(Place::At(&cmd.location), &skus, Some(&cmd.order_id)),
                move |stock| {
                    let holds = stock.reserve_all(&lines, expires_at, &actor)?;
                    Ok(holds
                        .into_iter()
                        .map(|hold| PricedHold {
                            unit_price: stock.product(hold.sku()).and_then(|p| p.unit_price()),
                            hold,
                        })
                        .collect())
                },
            )
            .await??)
    }

    /// The saga commits exactly the order's lines (see `LockedStock::commit_lines`).
    pub async fn commit(
        &self,
        cmd: CommitLines,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Vec<(Sku, i64)>, Error> {
        if !actor.is_saga() {
            return Err(InventoryError::SagaOnly.into());
        }
        let actor = actor.clone();
        let skus: Vec<Sku> = cmd.lines.iter().map(|(sku, _)| sku.clone()).collect();
        let lines = cmd.lines;
        Ok(self
            .store
            .change(
                Scope::Skus(Place::OfOrder, &skus, Some(&cmd.order_id)),
                move |stock| stock.commit_lines(&lines, now, &actor),
            )
            .await??)
    }

    /// Releases all or part of the caller's own hold (never a saga hold).
    pub async fn release(
        &self,
        location: &LocationId,
        sku: &Sku,
        cmd: Release,
        actor: &Actor,
    ) -> Result<(), Error> {
        let up_to = cmd.up_to;
        let target = sku.clone();
        let actor = actor.for_itself();
        let changed = self
            .store
            .change(
                Scope::Skus(
                    Place::At(location),
                    std::slice::from_ref(sku),
                    Some(&cmd.order_id),
                ),
                move |stock| stock.release(&target, up_to, &actor),
            )
            .await?;
        self.located(location, changed.map_err(Error::from)).await
    }

    /// Commits the caller's own hold (never a saga hold).
    pub async fn confirm(
        &self,
        location: &LocationId,
        sku: &Sku,
        order_id: &OrderId,
        actor: &Actor,
    ) -> Result<(), Error> {
        let target = sku.clone();
        let actor = actor.for_itself();
        let changed = self
            .store
            .change(
                Scope::Skus(
                    Place::At(location),
                    std::slice::from_ref(sku),
                    Some(order_id),
                ),
                move |stock| stock.confirm(&target, &actor),
            )
            .await?;
        self.located(location, changed.map_err(Error::from)).await
    }

    pub async fn replenish(
        &self,
        location: &LocationId,
        sku: &Sku,
        qty: Quantity,
        actor: &Actor,
    ) -> Result<(), Error> {
        let target = sku.clone();
        let actor = actor.clone();
        let changed = self
            .store
            .change(
                Scope::Skus(Place::At(location), std::slice::from_ref(sku), None),
                move |stock| stock.replenish(&target, qty, &actor),
            )
            .await?;
        self.located(location, changed.map_err(Error::from)).await
    }

    /// Sets the price of one unit of a SKU at a location, and answers the row after it.
    /// The price it has already changes nothing (the same version is answered).
    pub async fn set_price(
        &self,
        location: &LocationId,
        sku: &Sku,
        price: Price,
    ) -> Result<StockRecord, Error> {
        let found = self
            .store
            .set_price(location, sku, move |product| {
                product.set_price(price).into_iter().collect()
            })
            .await?;
        let found = found.ok_or_else(|| InventoryError::UnknownSku(vec![sku.clone()]).into());
        self.located(location, found).await
    }

    /// Moves units of one SKU between two locations in one transaction; answers both
    /// sides after the move.
    pub async fn transfer(
        &self,
        cmd: contracts::inventory::Transfer,
        actor: &Actor,
    ) -> Result<(String, StockRecord, StockRecord), Error> {
        let transfer = Transfer {
            id: Uuid::now_v7().to_string(),
            sku: cmd.sku,
            from: cmd.from,
            to: cmd.to,
            qty: cmd.qty,
        };
        let actor = actor.clone();
        let decide = {
            let transfer = transfer.clone();
            move |from, to| domain::transfer(&transfer, from, to, &actor)
        };
        let (from, to) = self.store.transfer(&transfer, decide).await??;
        Ok((transfer.id, from, to))
    }

    /// A page of a location's stock, in SKU order.
    pub async fn list(
        &self,
        location: &LocationId,
        page: &StockListPage,
    ) -> Result<Vec<StockRecord>, Error> {
        let records = self.store.list(location, page).await?;
        if records.is_empty() {
            // An empty page of a location that does not exist is a wrong address.
            self.location(location).await?;
        }
        Ok(records)
    }

    pub async fn movements(
        &self,
        location: &LocationId,
        sku: &Sku,
        page: MovementsPage,
    ) -> Result<Vec<MovementRecord>, Error> {
        let movements = self.store.movements(location, sku, page).await?;
        if movements.is_empty() && self.store.find(location, sku).await?.is_none() {
            let unknown = Err(InventoryError::UnknownSku(vec![sku.clone()]).into());
            return self.located(location, unknown).await;
        }
        Ok(movements)
    }

    /// Expires the holds due at `now`, up to `batch` of them (the oldest first), in one
    /// transaction; answers how many were due and how many expired. Safe to run from
    /// several instances at once: a hold another instance expired first, or committed or
    /// released since it fell due, is left alone.
    pub async fn expire_due(&self, now: DateTime<Utc>, batch: i64) -> Result<Sweep, Error> {
        Ok(self
            .store
            .change_due(now, batch, move |products, holds| {
                domain::expire_due(products, holds, now)
            })
            .await??)
    }

    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }

    /// When a hold taken now expires, to the microsecond (the precision it is stored
    /// at, so a repeated request answers exactly the same time).
    pub(super) fn expiry(&self, now: DateTime<Utc>, ttl_seconds: Option<u32>) -> DateTime<Utc> {
        (now + ttl_seconds.map_or(self.default_ttl, |s| Duration::seconds(i64::from(s))))
            .trunc_subsecs(6)
    }
}
