//! `PgStore`: the `InventoryStore` port over PostgreSQL, and `PgInventoryStore`, the
//! same measured, which is what the service runs.
//!
//! Every way of changing stock is atomic and writes its events to the outbox in its own
//! transaction; after each commit that wrote events it wakes the outbox relay. The
//! methods here only choose the path; each path is a module of its own.

use chrono::{DateTime, Utc};
use contracts::inventory::{CreateLocation, MovementsPage, StockListPage};
use messaging::Database;
use sqlx::PgPool;

use super::{create, expiry, locations, locked_change, price, reads, reserve_one, transfer};
use crate::adapters::measured_store::MeasuredStore;
use crate::application::{
    CreateOutcome, Handled, HoldRequest, InboxEntry, InventoryStore, LocationRecord,
    MovementRecord, ReserveOutcome, Scope, StockRecord, StoreError, Sweep,
};
use crate::domain::{
    InventoryError, InventoryEvent, LocationId, LockedStock, Movement, ProductInventory,
    Reservation, Sku, StockChanges, Transfer, TransferChanges,
};

#[derive(Debug, Clone)]
pub struct PgStore {
    /// The pool, and the relay woken after every commit that wrote events.
    pub(super) db: Database,
}

impl PgStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn pool(&self) -> &PgPool {
        self.db.pool()
    }
}

/// The store the service runs: PostgreSQL, measured.
pub type PgInventoryStore = MeasuredStore<PgStore>;

impl PgInventoryStore {
    pub fn new(db: Database) -> Self {
        Self::wrap(PgStore::new(db))
    }

    pub fn pool(&self) -> &PgPool {
        self.inner().pool()
    }
}

impl InventoryStore for PgStore {
    async fn create(
        &self,
        product: &ProductInventory,
        created: &Movement,
        events: &[InventoryEvent],
    ) -> Result<CreateOutcome, StoreError> {
        create::create(self, product, created, events).await
    }

    async fn find(
        &self,
        location: &LocationId,
        sku: &Sku,
    ) -> Result<Option<StockRecord>, StoreError> {
        reads::find(self.pool(), location, sku).await
    }

    async fn list(
        &self,
        location: &LocationId,
        page: &StockListPage,
    ) -> Result<Vec<StockRecord>, StoreError> {
        reads::list(self.pool(), location, page).await
    }

    async fn create_location(
        &self,
        location: &CreateLocation,
    ) -> Result<Option<LocationRecord>, StoreError> {
        locations::create(self.pool(), location).await
    }

    async fn location(&self, id: &LocationId) -> Result<Option<LocationRecord>, StoreError> {
        locations::find(self.pool(), id).await
    }

    async fn locations(&self) -> Result<Vec<LocationRecord>, StoreError> {
        locations::all(self.pool()).await
    }

    async fn transfer<F>(
        &self,
        transfer: &Transfer,
        decide: F,
    ) -> Result<Result<(StockRecord, StockRecord), InventoryError>, StoreError>
    where
        F: Fn(
                Option<ProductInventory>,
                Option<ProductInventory>,
            ) -> Result<TransferChanges, InventoryError>
            + Send
            + Sync,
    {
        transfer::transfer(self, transfer, decide).await
    }

    async fn set_price<F>(
        &self,
        location: &LocationId,
        sku: &Sku,
        change: F,
    ) -> Result<Option<StockRecord>, StoreError>
    where
        F: FnOnce(&mut ProductInventory) -> Vec<InventoryEvent> + Send,
    {
        price::set_price(self, location, sku, change).await
    }

    async fn reserve_one(&self, hold: &HoldRequest) -> Result<ReserveOutcome, StoreError> {
        reserve_one::reserve_one(self, hold).await
    }

    async fn change<T, F>(
        &self,
        scope: Scope<'_>,
        change: F,
    ) -> Result<Result<T, InventoryError>, StoreError>
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send,
    {
        locked_change::change(self, scope, change).await
    }

    async fn change_for_event<T, F>(
        &self,
        inbox: InboxEntry<'_>,
        scope: Scope<'_>,
        change: F,
    ) -> Result<Handled<T>, StoreError>
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send,
    {
        locked_change::change_for_event(self, inbox, scope, change).await
    }

    async fn movements(
        &self,
        location: &LocationId,
        sku: &Sku,
        page: MovementsPage,
    ) -> Result<Vec<MovementRecord>, StoreError> {
        reads::movements(self.pool(), location, sku, page).await
    }

    async fn change_due<F>(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        expire: F,
    ) -> Result<Result<Sweep, InventoryError>, StoreError>
    where
        F: FnOnce(Vec<ProductInventory>, Vec<Reservation>) -> Result<StockChanges, InventoryError>
            + Send,
    {
        expiry::change_due(self, now, limit, expire).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        reads::ping(self.pool()).await
    }
}
