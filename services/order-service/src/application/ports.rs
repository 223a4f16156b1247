//! The port: what the use cases need from storage. Every change of an order is made
//! under the order's row lock, with the events it announces written to the outbox in
//! the same transaction, so several instances never drive one order twice.

use std::future::Future;

use chrono::{DateTime, Utc};
use messaging::{InboxEntry, StoreError};

use crate::domain::{Order, OrderError, OrderEvent, OrderId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// An order with this idempotency key exists: this one was not stored.
    Existing {
        order: Box<Order>,
        fingerprint: String,
    },
}

/// What a change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// The order after the change (unchanged if the decision announced nothing).
    Done(Result<Order, OrderError>),
    /// No order of this service has the id.
    NotFound,
    /// The event was handled before.
    Duplicate,
}

pub trait OrderStore: Send + Sync + 'static {
    /// Stores a new order, unless `idempotency_key` is taken (then returns the order
    /// that holds it). Two racing inserts with one key store one order.
    fn insert(
        &self,
        order: &Order,
        idempotency_key: Option<&str>,
        fingerprint: &str,
    ) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// The order with `id`; `None` when no order of this service has it (whatever the
    /// id's form).
    fn find(&self, id: &OrderId) -> impl Future<Output = Result<Option<Order>, StoreError>> + Send;

    /// Locks the order, lets `decide` change it, and saves it with the events it
    /// announces, in one transaction; with `inbox`, records the event id there too (a
    /// handled event changes nothing).
    fn change<F>(
        &self,
        id: &OrderId,
        inbox: Option<InboxEntry<'_>>,
        decide: F,
    ) -> impl Future<Output = Result<Changed, StoreError>> + Send
    where
        F: FnOnce(&mut Order) -> Result<Vec<OrderEvent>, OrderError> + Send;

    /// Pending orders not handed over whose grace period has ended.
    fn due_handovers(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OrderId>, StoreError>> + Send;

    /// Pending orders past their saga deadline.
    fn due_timeouts(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OrderId>, StoreError>> + Send;

    /// Cancelled orders whose payment still holds money (authorized, or captured), last
    /// changed at or before `before`: their release failed and is due again.
    fn unreleased_payments(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OrderId>, StoreError>> + Send;

    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
