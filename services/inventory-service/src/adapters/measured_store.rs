//! `MeasuredStore`: an `InventoryStore` that measures the store it wraps, so that the
//! store itself holds SQL only and the use cases stay free of any metrics crate.
//!
//! - `db_query_duration_seconds{operation}`: the time of each store operation, named
//!   after the `InventoryStore` method (`reserve_one`, `change`, ...), from the first
//!   statement to the commit, failures included: a timeout is a slow query too;
//! - `inventory_reservations_total{outcome}` (see [`inventory_metrics`]) for the
//!   answers only the store's result tells: a single-SKU reservation (a new hold or one
//!   already held), and an `OrderCreated` answered by event, counted once it committed
//!   (a redelivery is a `Duplicate` and counts nothing).
//!
//! It never changes what the wrapped store answers.

use std::{future::Future, sync::Once, time::Instant};

use chrono::{DateTime, Utc};
use contracts::inventory::{CreateLocation, MovementsPage, StockListPage};
use metrics::{Unit, describe_histogram, histogram};

use crate::adapters::inventory_metrics::{self, ReservationAnswer};
use crate::application::{
    CreateOutcome, Handled, HoldRequest, InboxEntry, InventoryStore, LocationRecord,
    MovementRecord, ReserveOutcome, Scope, StockRecord, StoreError, Sweep,
};
use crate::domain::{
    InventoryError, InventoryEvent, LocationId, LockedStock, Movement, ProductInventory,
    Reservation, Sku, StockChanges, Transfer, TransferChanges,
};

const QUERY_DURATION: &str = "db_query_duration_seconds";

#[derive(Debug, Clone)]
pub struct MeasuredStore<S> {
    inner: S,
}

impl<S> MeasuredStore<S> {
    pub fn wrap(inner: S) -> Self {
        describe();
        Self { inner }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: InventoryStore> InventoryStore for MeasuredStore<S> {
    async fn create(
        &self,
        product: &ProductInventory,
        created: &Movement,
        events: &[InventoryEvent],
    ) -> Result<CreateOutcome, StoreError> {
        timed("create", self.inner.create(product, created, events)).await
    }

    async fn find(
        &self,
        location: &LocationId,
        sku: &Sku,
    ) -> Result<Option<StockRecord>, StoreError> {
        timed("find", self.inner.find(location, sku)).await
    }

    async fn list(
        &self,
        location: &LocationId,
        page: &StockListPage,
    ) -> Result<Vec<StockRecord>, StoreError> {
        timed("list", self.inner.list(location, page)).await
    }

    async fn create_location(
        &self,
        location: &CreateLocation,
    ) -> Result<Option<LocationRecord>, StoreError> {
        timed("create_location", self.inner.create_location(location)).await
    }

    async fn location(&self, id: &LocationId) -> Result<Option<LocationRecord>, StoreError> {
        timed("location", self.inner.location(id)).await
    }

    async fn locations(&self) -> Result<Vec<LocationRecord>, StoreError> {
        timed("locations", self.inner.locations()).await
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
        timed("transfer", self.inner.transfer(transfer, decide)).await
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
        timed("set_price", self.inner.set_price(location, sku, change)).await
    }

    async fn reserve_one(&self, hold: &HoldRequest) -> Result<ReserveOutcome, StoreError> {
        let outcome = timed("reserve_one", self.inner.reserve_one(hold)).await?;
        inventory_metrics::reservation(ReservationAnswer::of_reserve_one(&outcome, hold.qty));
        Ok(outcome)
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
        // Reservation answers of this path are counted by the caller that knows it asked
        // for a reservation (the HTTP adapter), not from the events.
        timed("change", self.inner.change(scope, change)).await
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
        // The event path answers a reservation with an event, not to a caller: the
        // answers among the events the change writes are counted once they committed.
        let answering = move |stock: &mut LockedStock| -> Result<_, InventoryError> {
            let outcome = change(stock)?;
            let answers: Vec<ReservationAnswer> = stock
                .events()
                .iter()
                .filter_map(ReservationAnswer::of_event)
                .collect();
            Ok((outcome, answers))
        };
        let handled = timed(
            "change_for_event",
            self.inner.change_for_event(inbox, scope, answering),
        )
        .await?;
        Ok(match handled {
            Handled::Done(Ok((outcome, answers))) => {
                answers.into_iter().for_each(inventory_metrics::reservation);
                Handled::Done(Ok(outcome))
            }
            Handled::Done(Err(refusal)) => Handled::Done(Err(refusal)),
            Handled::Duplicate => Handled::Duplicate,
        })
    }

    async fn movements(
        &self,
        location: &LocationId,
        sku: &Sku,
        page: MovementsPage,
    ) -> Result<Vec<MovementRecord>, StoreError> {
        timed("movements", self.inner.movements(location, sku, page)).await
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
        timed("change_due", self.inner.change_due(now, limit, expire)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

/// Runs one store operation, recording how long it took under `operation`.
async fn timed<T>(operation: &'static str, work: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let outcome = work.await;
    histogram!(QUERY_DURATION, "operation" => operation).record(started.elapsed());
    outcome
}

/// Gives the histogram its help text, once per process.
fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_histogram!(
            QUERY_DURATION,
            Unit::Seconds,
            "Time of one store operation (all its statements, to the commit), by operation."
        );
    });
}
