//! The stock view: this instance's read model of every stock row, (location, SKU) → the
//! row's latest [`StockView`], in memory, so the reads that are most of the facade's
//! traffic are answered without a hop to inventory-service.
//!
//! It is built from a snapshot of inventory-service and kept current by the
//! `ProductInventoryStockChanged` events ([`feed`]); it feeds the change streams of each
//! location ([`changes`]). Its rules:
//!
//! - an item is applied only when its `version` is greater than the entry's, so a
//!   duplicate, a late event or a snapshot row older than an event changes nothing;
//! - a read is served here only while the view is live (snapshot done, feed up), no more
//!   than `max_lag` behind, and holds the entry at `minVersion` or newer; otherwise the
//!   caller forwards to inventory-service, so an answer is never older than asked for.
//!
//! Reads take no lock but a shard's read lock of the map, and each entry keeps its JSON
//! serialized once, when applied.

pub mod changes;
pub mod feed;
mod metrics;

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use contracts::inventory::StockView;
use dashmap::DashMap;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use changes::{Stores, Subscription};

/// A row as the view holds it: its state, and that state as JSON.
#[derive(Debug)]
pub struct Entry {
    pub stock: StockView,
    pub json: Bytes,
}

impl Entry {
    fn new(stock: StockView) -> Result<Self, serde_json::Error> {
        let json = Bytes::from(serde_json::to_vec(&stock)?);
        Ok(Self { stock, json })
    }
}

/// Where the feed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedState {
    /// Not subscribed: starting, or the broker connection or the queue was lost.
    Down = 0,
    /// Subscribed, the snapshot not applied yet.
    CatchingUp = 1,
    /// Subscribed and the snapshot applied: events keep it current.
    Live = 2,
}

impl FeedState {
    fn from_u8(raw: u8) -> Self {
        match raw {
            2 => Self::Live,
            1 => Self::CatchingUp,
            _ => Self::Down,
        }
    }
}

/// What `/readyz` says of the view.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViewReport {
    pub state: FeedState,
    /// How far behind the view is (see [`View::lag`]).
    pub lag_seconds: f64,
    /// Events waiting in the view's queue.
    pub events_behind: u64,
    /// Rows held.
    pub entries: usize,
    /// The view's own queue on the broker.
    pub queue: String,
}

/// A cheap-to-clone handle on the view (clones share it).
#[derive(Debug, Clone)]
pub struct View {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    entries: DashMap<(String, String), Arc<Entry>>,
    stores: Stores,
    state: AtomicU8,
    /// Messages waiting in the queue, as last sampled.
    behind: AtomicU64,
    /// `occurredAt` of the last applied event (or when the snapshot was taken), in
    /// microseconds since the epoch.
    last_event_micros: AtomicI64,
    /// How long the last applied event took from `occurredAt` to applied, in
    /// microseconds.
    last_delay_micros: AtomicI64,
    /// When the last event was applied, in microseconds since the epoch.
    last_applied_micros: AtomicI64,
    max_lag: Duration,
    queue: String,
    /// Cancelled when the service stops: the change streams end.
    closing: CancellationToken,
    reads: metrics::Reads,
}

impl View {
    /// An empty view, down until its feed subscribes and takes the snapshot; its
    /// metrics exist (at zero) from now on. `queue` is the name of its broker queue.
    pub fn new(max_lag: Duration, queue: String) -> Self {
        let view = Self {
            inner: Arc::new(Inner {
                entries: DashMap::new(),
                stores: Stores::new(changes::LOG_CAPACITY),
                state: AtomicU8::new(FeedState::Down as u8),
                behind: AtomicU64::new(0),
                last_event_micros: AtomicI64::new(Utc::now().timestamp_micros()),
                last_delay_micros: AtomicI64::new(0),
                last_applied_micros: AtomicI64::new(Utc::now().timestamp_micros()),
                max_lag,
                queue,
                closing: CancellationToken::new(),
                reads: metrics::Reads::register(),
            }),
        };
        view.publish_gauges();
        view
    }

    /// The JSON of the row of `sku` at `store`, when the view may answer for it: live,
    /// within its lag, holding the row at `min_version` or newer. `None`: forward.
    /// Counts the read by where it is answered.
    pub fn read(&self, store: &str, sku: &str, min_version: Option<i64>) -> Option<Bytes> {
        let found = if self.serves() {
            self.inner
                .entries
                .get(&(store.to_owned(), sku.to_owned()))
                .filter(|entry| min_version.is_none_or(|min| entry.stock.version >= min))
                .map(|entry| entry.json.clone())
        } else {
            None
        };
        self.inner.reads.count(found.is_some());
        found
    }

    /// The row of `sku` at `store`, whatever the view's state.
    pub fn entry(&self, store: &str, sku: &str) -> Option<Arc<Entry>> {
        self.inner
            .entries
            .get(&(store.to_owned(), sku.to_owned()))
            .map(|entry| entry.clone())
    }

    /// Live and no more than `max_lag` behind.
    pub fn serves(&self) -> bool {
        self.state() == FeedState::Live && self.lag() <= self.inner.max_lag
    }

    /// Applies `stock` if it is newer than the row held; true when it was. Each applied
    /// change is appended to its location's change log, in the order applied.
    pub fn apply(&self, stock: StockView) -> Result<bool, serde_json::Error> {
        let store = self.inner.stores.get_or_create(&stock.store_id);
        // The location's log is held while the row changes: its changes are numbered
        // in the order they are applied, and a stream's snapshot sees them all or none.
        let mut log = store.lock();
        let key = (stock.store_id.clone(), stock.sku.clone());
        let newer = self
            .inner
            .entries
            .get(&key)
            .is_none_or(|held| held.stock.version < stock.version);
        if !newer {
            return Ok(false);
        }
        let entry = Arc::new(Entry::new(stock)?);
        self.inner.entries.insert(key, entry.clone());
        log.record(entry, store.live());
        Ok(true)
    }

    /// Records that `store` exists, even with no stock yet.
    pub fn know_location(&self, store: &str) {
        self.inner.stores.get_or_create(store);
    }

    /// Whether the view knows `store`.
    pub fn knows_location(&self, store: &str) -> bool {
        self.inner.stores.contains(store)
    }

    /// A change stream of `store`, resumed after `last_event_id` when the log still
    /// holds what follows it, else starting with the location's current stock.
    pub fn subscribe(&self, store: &str, last_event_id: Option<&str>) -> Subscription {
        let store = self.inner.stores.get_or_create(store);
        Subscription::start(store, last_event_id, self.inner.closing.clone())
    }

    /// Ends every change stream (the service is stopping).
    pub fn close_streams(&self) {
        self.inner.closing.cancel();
    }

    pub fn state(&self) -> FeedState {
        FeedState::from_u8(self.inner.state.load(Ordering::Acquire))
    }

    pub(crate) fn set_state(&self, state: FeedState) {
        let before = self.inner.state.swap(state as u8, Ordering::AcqRel);
        if before != state as u8 {
            tracing::info!(state = ?state, queue = %self.inner.queue, "stock view");
        }
        self.publish_gauges();
    }

    /// How far behind the view is: while events wait in its queue, the time since the
    /// last applied event occurred; else how long that event took to be applied, less
    /// the time since, during which nothing waited: a quiet view that is caught up is
    /// not behind, however slowly its last event came.
    pub fn lag(&self) -> Duration {
        let now = Utc::now().timestamp_micros();
        let micros = if self.inner.behind.load(Ordering::Acquire) > 0 {
            now - self.inner.last_event_micros.load(Ordering::Acquire)
        } else {
            let quiet_for = now - self.inner.last_applied_micros.load(Ordering::Acquire);
            self.inner.last_delay_micros.load(Ordering::Acquire) - quiet_for
        };
        Duration::from_micros(u64::try_from(micros).unwrap_or(0))
    }

    pub(crate) fn set_behind(&self, messages: u64) {
        self.inner.behind.store(messages, Ordering::Release);
    }

    /// An event that occurred at `occurred_at` was just applied.
    pub(crate) fn event_applied(&self, occurred_at: DateTime<Utc>) {
        let now = Utc::now();
        let delay = (now - occurred_at).num_microseconds().unwrap_or(i64::MAX);
        self.inner
            .last_event_micros
            .store(occurred_at.timestamp_micros(), Ordering::Release);
        self.inner
            .last_delay_micros
            .store(delay.max(0), Ordering::Release);
        self.inner
            .last_applied_micros
            .store(now.timestamp_micros(), Ordering::Release);
        metrics::event_delay(Duration::from_micros(
            u64::try_from(delay).unwrap_or_default(),
        ));
    }

    /// A snapshot taken at `taken_at` was applied: the view is that recent at least.
    pub(crate) fn snapshot_applied(&self, taken_at: DateTime<Utc>) {
        self.inner
            .last_event_micros
            .fetch_max(taken_at.timestamp_micros(), Ordering::AcqRel);
        self.inner.last_delay_micros.store(0, Ordering::Release);
    }

    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    pub fn queue(&self) -> &str {
        &self.inner.queue
    }

    pub fn report(&self) -> ViewReport {
        ViewReport {
            state: self.state(),
            lag_seconds: self.lag().as_secs_f64(),
            events_behind: self.inner.behind.load(Ordering::Acquire),
            entries: self.len(),
            queue: self.inner.queue.clone(),
        }
    }

    /// Sets the view's gauges to what it is now.
    pub(crate) fn publish_gauges(&self) {
        metrics::gauges(&self.report());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(store: &str, sku: &str, version: i64, on_hand: i64) -> StockView {
        StockView {
            store_id: store.into(),
            sku: sku.into(),
            on_hand,
            reserved: 0,
            available: on_hand,
            safety_stock: 0,
            below_safety_stock: false,
            unit_price: None,
            version,
            updated_at: Utc::now(),
        }
    }

    fn live_view() -> View {
        let view = View::new(Duration::from_secs(2), "q".into());
        view.set_state(FeedState::Live);
        view
    }

    #[test]
    fn only_a_newer_version_replaces_an_entry() {
        let view = live_view();
        assert!(view.apply(stock("central", "AAA-0001-AA", 2, 10)).unwrap());
        assert!(!view.apply(stock("central", "AAA-0001-AA", 2, 99)).unwrap());
        assert!(!view.apply(stock("central", "AAA-0001-AA", 1, 99)).unwrap());
        assert_eq!(
            view.entry("central", "AAA-0001-AA").unwrap().stock.on_hand,
            10
        );
        assert!(view.apply(stock("central", "AAA-0001-AA", 3, 7)).unwrap());
        assert_eq!(
            view.entry("central", "AAA-0001-AA").unwrap().stock.on_hand,
            7
        );
        assert!(view.apply(stock("store-1", "AAA-0001-AA", 1, 1)).unwrap());
        assert_eq!(view.len(), 2);
    }

    #[test]
    fn the_same_events_in_any_order_end_in_the_same_state() {
        let versions = [5, 1, 4, 4, 2, 5, 3];
        let view = live_view();
        for v in versions {
            view.apply(stock("central", "AAA-0001-AA", v, v * 10))
                .unwrap();
        }
        let entry = view.entry("central", "AAA-0001-AA").unwrap();
        assert_eq!((entry.stock.version, entry.stock.on_hand), (5, 50));
    }

    #[test]
    fn a_read_is_served_only_live_and_at_the_version_asked_for() {
        let view = View::new(Duration::from_secs(2), "q".into());
        view.apply(stock("central", "AAA-0001-AA", 3, 10)).unwrap();
        assert!(view.read("central", "AAA-0001-AA", None).is_none(), "down");
        view.set_state(FeedState::CatchingUp);
        assert!(view.read("central", "AAA-0001-AA", None).is_none());
        view.set_state(FeedState::Live);
        let json = view.read("central", "AAA-0001-AA", Some(3)).unwrap();
        let read: StockView = serde_json::from_slice(&json).unwrap();
        assert_eq!(read.version, 3);
        assert!(view.read("central", "AAA-0001-AA", Some(4)).is_none());
        assert!(view.read("store-1", "AAA-0001-AA", None).is_none());
    }

    #[test]
    fn a_view_behind_its_queue_by_more_than_the_lag_does_not_serve() {
        let view = live_view();
        view.apply(stock("central", "AAA-0001-AA", 1, 10)).unwrap();
        view.event_applied(Utc::now() - chrono::Duration::seconds(10));
        assert!(view.lag() >= Duration::from_secs(9), "the last delay");
        assert!(view.read("central", "AAA-0001-AA", None).is_none());
        view.event_applied(Utc::now());
        assert!(view.read("central", "AAA-0001-AA", None).is_some());
        view.set_behind(3);
        view.event_applied(Utc::now() - chrono::Duration::seconds(5));
        assert!(!view.serves(), "events wait and the last one is 5 s old");
    }

    #[test]
    fn a_caught_up_view_is_not_held_behind_by_one_slow_event() {
        let view = live_view();
        view.apply(stock("central", "AAA-0001-AA", 1, 10)).unwrap();
        // Applied 10 s late, 30 s ago; nothing has waited since.
        view.event_applied(Utc::now() - chrono::Duration::seconds(10));
        view.inner.last_applied_micros.store(
            (Utc::now() - chrono::Duration::seconds(30)).timestamp_micros(),
            Ordering::Release,
        );
        assert_eq!(view.lag(), Duration::ZERO);
        assert!(view.serves());
    }
}
