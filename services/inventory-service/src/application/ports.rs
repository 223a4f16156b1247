//! The ports: what the use cases need from storage, as a trait the PostgreSQL adapter
//! implements.
//!
//! Every method that changes stock is atomic: it commits all of its writes (stock, hold,
//! movement) or none, and serializes with concurrent commands on the same SKU in the
//! store itself, so that several service instances may share one database.

use std::future::Future;

use chrono::{DateTime, Utc};
use contracts::inventory::{CreateLocation, MovementsPage, StockListPage};

// Shared with the messaging library: one database holds the outbox, the inbox and the
// inventory's tables, and one transaction writes them together.
pub use messaging::{InboxEntry, StoreError};

use crate::domain::{
    Actor, InventoryError, InventoryEvent, LocationId, LockedStock, Movement, OrderId,
    ProductInventory, Quantity, Reservation, Sku, StockChanges, Transfer, TransferChanges,
};

/// A product as stored, with the time of its last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRecord {
    pub product: ProductInventory,
    pub updated_at: DateTime<Utc>,
}

/// A movement as stored: its position in the trail and its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRecord {
    pub id: i64,
    pub movement: Movement,
    pub occurred_at: DateTime<Utc>,
}

/// A location as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    pub id: LocationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created { updated_at: DateTime<Utc> },
    AlreadyExists,
    UnknownLocation,
}

/// Where a change's SKUs are.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    At(&'a LocationId),
    /// Where the order holds (or held) stock; the central warehouse when it holds none.
    OfOrder,
}

/// What a change loads under lock: the stock of one location.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// These SKUs, and the order's holds on them when an order is named.
    Skus(Place<'a>, &'a [Sku], Option<&'a OrderId>),
    /// Every SKU the order holds (or held), with its holds, where it holds them.
    Order(&'a OrderId),
}

/// The answer of a change made for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled<T> {
    Done(Result<T, InventoryError>),
    /// The event was handled before: nothing was done.
    Duplicate,
}

/// One hold to place with [`InventoryStore::reserve_one`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    /// Who asks: the hold's owner, and the name on its movement.
    pub owner: Actor,
    pub location: LocationId,
    pub order_id: OrderId,
    pub sku: Sku,
    pub qty: Quantity,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveOutcome {
    Reserved,
    /// The order was cancelled; it reserves nothing.
    OrderCancelled,
    /// The order already holds (or held) this SKU; nothing was changed.
    AlreadyHeld {
        requested: i64,
        owner: Actor,
    },
    /// The order holds stock at another location; nothing was changed.
    HeldElsewhere(LocationId),
    Insufficient {
        available: i64,
    },
    UnknownSku,
}

/// What one expiry round found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Holds found due (at most the round's limit): as many as the limit means more may
    /// be waiting.
    pub due: usize,
    /// Holds expired: those of the due ones still active and due under the lock.
    pub expired: usize,
}

pub trait InventoryStore: Send + Sync + 'static {
    /// Stores a new product with its `created` movement and its events.
    fn create(
        &self,
        product: &ProductInventory,
        created: &Movement,
        events: &[InventoryEvent],
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + Send;

    fn find(
        &self,
        location: &LocationId,
        sku: &Sku,
    ) -> impl Future<Output = Result<Option<StockRecord>, StoreError>> + Send;

    /// A page of a location's stock, in SKU order.
    fn list(
        &self,
        location: &LocationId,
        page: &StockListPage,
    ) -> impl Future<Output = Result<Vec<StockRecord>, StoreError>> + Send;

    /// Stores a new location; `None` when it exists already.
    fn create_location(
        &self,
        location: &CreateLocation,
    ) -> impl Future<Output = Result<Option<LocationRecord>, StoreError>> + Send;

    fn location(
        &self,
        id: &LocationId,
    ) -> impl Future<Output = Result<Option<LocationRecord>, StoreError>> + Send;

    /// Every location, in id order.
    fn locations(&self) -> impl Future<Output = Result<Vec<LocationRecord>, StoreError>> + Send;

    /// Loads the SKU at both ends of `transfer` under lock (in location order, so two
    /// transfers the other way round cannot deadlock), lets `decide` move the units, and
    /// writes both rows, the movements and the events in one transaction. Answers both
    /// rows after the move. A destination location that does not exist is refused.
    fn transfer<F>(
        &self,
        transfer: &Transfer,
        decide: F,
    ) -> impl Future<Output = Result<Result<(StockRecord, StockRecord), InventoryError>, StoreError>>
    + Send
    where
        F: Fn(
                Option<ProductInventory>,
                Option<ProductInventory>,
            ) -> Result<TransferChanges, InventoryError>
            + Send
            + Sync;

    /// Loads the SKU's row at `location` under lock, lets `change` set its price, and
    /// writes the row and the events `change` answers in one transaction: a price is not
    /// stock, so no movement; the stock-changed event carries the row's new state. When
    /// `change` leaves the row as it was, nothing is written. Answers the row after it;
    /// `None` when the location does not stock the SKU.
    fn set_price<F>(
        &self,
        location: &LocationId,
        sku: &Sku,
        change: F,
    ) -> impl Future<Output = Result<Option<StockRecord>, StoreError>> + Send
    where
        F: FnOnce(&mut ProductInventory) -> Vec<InventoryEvent> + Send;

    /// The hot path: reserves `qty` of one SKU for one order if available stock covers
    /// it and the order holds nothing of it yet, writing the hold and the `reserved`
    /// movement (and its events), atomically, as `ProductInventory::reserve` would
    /// decide. A cancelled order reserves nothing.
    fn reserve_one(
        &self,
        hold: &HoldRequest,
    ) -> impl Future<Output = Result<ReserveOutcome, StoreError>> + Send;

    /// Loads `scope` under lock (the order first, then the products in SKU order, then
    /// the holds), lets `change` decide, and writes what it changed with its movements
    /// and events in one transaction. When `change` refuses, nothing is written and the
    /// refusal is returned.
    fn change<T, F>(
        &self,
        scope: Scope<'_>,
        change: F,
    ) -> impl Future<Output = Result<Result<T, InventoryError>, StoreError>> + Send
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send;

    /// `change`, for an event: the event id is recorded in the inbox in the same
    /// transaction, and an event already handled changes nothing.
    fn change_for_event<T, F>(
        &self,
        inbox: InboxEntry<'_>,
        scope: Scope<'_>,
        change: F,
    ) -> impl Future<Output = Result<Handled<T>, StoreError>> + Send
    where
        T: Send,
        F: FnOnce(&mut LockedStock) -> Result<T, InventoryError> + Send;

    /// Movements of a SKU at a location, newest first.
    fn movements(
        &self,
        location: &LocationId,
        sku: &Sku,
        page: MovementsPage,
    ) -> impl Future<Output = Result<Vec<MovementRecord>, StoreError>> + Send;

    /// Finds the active holds due at `now` (at most `limit`, oldest first), loads them
    /// under lock with the products they hold, lets `expire` decide, and writes what it
    /// changed with its movements and events in one transaction, however many holds.
    ///
    /// Lock order as in `change`: the products in SKU order, then the holds, read again
    /// under the products' locks. Every change of a hold holds its product's lock, so a
    /// hold committed, released or expired (by another instance too) since it was found
    /// due is loaded as it now is, and `expire` leaves it alone: a hold expires once.
    /// When `expire` refuses, nothing is written and the refusal is returned.
    fn change_due<F>(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        expire: F,
    ) -> impl Future<Output = Result<Result<Sweep, InventoryError>, StoreError>> + Send
    where
        F: FnOnce(Vec<ProductInventory>, Vec<Reservation>) -> Result<StockChanges, InventoryError>
            + Send;

    /// The store answers.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
