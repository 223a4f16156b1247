//! The change log of each location, behind `GET /locations/:storeId/changes`.
//!
//! Every change the view applies to a location is numbered (`seq`, from 1, per location)
//! and kept in a bounded log, and sent to the live subscribers of that location. An
//! event's id is `<epoch>-<seq>`, the epoch naming this view instance, so a client that
//! reconnects with `Last-Event-ID` is sent exactly what it missed while the log still
//! holds it; otherwise (no id, another instance's, too old) it is sent the location's
//! current stock first, as events of the same kind, then the live changes. A subscriber
//! that falls behind the live channel is resynchronized the same way, never left with a
//! gap.

use std::{
    collections::{BTreeMap, VecDeque},
    convert::Infallible,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use axum::response::sse::Event;
use dashmap::DashMap;
use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::Entry;

/// Changes kept per location for resuming streams.
pub const LOG_CAPACITY: usize = 10_000;
/// Changes a live subscriber may fall behind before it is resynchronized.
const LIVE_CAPACITY: usize = 1024;
/// The `event:` of every change.
pub const EVENT_NAME: &str = "stock";

/// One applied change of a location.
#[derive(Debug)]
pub struct Change {
    pub seq: u64,
    pub entry: Arc<Entry>,
}

/// Every location's log.
#[derive(Debug)]
pub(super) struct Stores {
    stores: DashMap<String, Arc<Store>>,
    capacity: usize,
    /// Names this view instance in event ids.
    epoch: Arc<str>,
}

impl Stores {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            stores: DashMap::new(),
            capacity,
            epoch: uuid::Uuid::now_v7().simple().to_string().into(),
        }
    }

    pub(super) fn get_or_create(&self, store: &str) -> Arc<Store> {
        if let Some(found) = self.stores.get(store) {
            return found.clone();
        }
        self.stores
            .entry(store.to_owned())
            .or_insert_with(|| {
                Arc::new(Store {
                    log: Mutex::new(Log {
                        seq: 0,
                        changes: VecDeque::new(),
                        stock: BTreeMap::new(),
                        capacity: self.capacity,
                    }),
                    live: broadcast::channel(LIVE_CAPACITY).0,
                    epoch: self.epoch.clone(),
                })
            })
            .clone()
    }

    pub(super) fn contains(&self, store: &str) -> bool {
        self.stores.contains_key(store)
    }
}

/// One location: its log, its current stock in SKU order, its live channel.
#[derive(Debug)]
pub(super) struct Store {
    log: Mutex<Log>,
    live: broadcast::Sender<Arc<Change>>,
    epoch: Arc<str>,
}

impl Store {
    /// The log, held while a change is applied or a stream starts.
    pub(super) fn lock(&self) -> MutexGuard<'_, Log> {
        // A panic while holding it leaves the log whole (each change is one push).
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn live(&self) -> &broadcast::Sender<Arc<Change>> {
        &self.live
    }
}

#[derive(Debug)]
pub(super) struct Log {
    seq: u64,
    changes: VecDeque<Arc<Change>>,
    stock: BTreeMap<String, Arc<Entry>>,
    capacity: usize,
}

impl Log {
    /// Numbers `entry` as the location's next change, keeps it, and sends it live.
    pub(super) fn record(&mut self, entry: Arc<Entry>, live: &broadcast::Sender<Arc<Change>>) {
        self.seq += 1;
        self.stock.insert(entry.stock.sku.clone(), entry.clone());
        let change = Arc::new(Change {
            seq: self.seq,
            entry,
        });
        if self.changes.len() == self.capacity {
            self.changes.pop_front();
        }
        self.changes.push_back(change.clone());
        // No subscriber is not an error: the change is in the log.
        let _ = live.send(change);
    }

    /// What a stream starting after `resume_after` is sent first, the seq it has then
    /// seen, and whether that is a snapshot: the changes after it when the log holds
    /// them all, else the current stock (each row an event numbered with the current
    /// seq).
    fn backlog(&self, resume_after: Option<u64>) -> (VecDeque<Pending>, u64, bool) {
        let oldest_kept = self.changes.front().map_or(self.seq + 1, |c| c.seq);
        match resume_after {
            Some(seen) if seen <= self.seq && seen + 1 >= oldest_kept => {
                let missed = self
                    .changes
                    .iter()
                    .filter(|c| c.seq > seen)
                    .map(|c| Pending {
                        seq: c.seq,
                        entry: c.entry.clone(),
                    })
                    .collect();
                (missed, self.seq, false)
            }
            _ => {
                let current = self
                    .stock
                    .values()
                    .map(|entry| Pending {
                        seq: self.seq,
                        entry: entry.clone(),
                    })
                    .collect();
                (current, self.seq, true)
            }
        }
    }
}

/// An event to send, numbered.
#[derive(Debug)]
struct Pending {
    seq: u64,
    entry: Arc<Entry>,
}

/// One client's stream of a location's changes.
#[derive(Debug)]
pub struct Subscription {
    store: Arc<Store>,
    backlog: VecDeque<Pending>,
    live: broadcast::Receiver<Arc<Change>>,
    /// The last seq sent (or covered by the snapshot sent).
    seen: u64,
    closing: CancellationToken,
    /// Whether the stream began with the location's current stock (a snapshot) rather
    /// than resuming from `Last-Event-ID`.
    pub snapshot: bool,
}

impl Subscription {
    pub(super) fn start(
        store: Arc<Store>,
        last_event_id: Option<&str>,
        closing: CancellationToken,
    ) -> Self {
        let resume_after = last_event_id.and_then(|id| parse_id(id, &store.epoch));
        let (backlog, seen, snapshot, live) = {
            let log = store.lock();
            // Subscribed under the lock: every change after the backlog comes live.
            let live = store.live.subscribe();
            let (backlog, seen, snapshot) = log.backlog(resume_after);
            (backlog, seen, snapshot, live)
        };
        Self {
            store,
            backlog,
            live,
            seen,
            closing,
            snapshot,
        }
    }

    /// Restarts after falling behind the live channel: from the log when it still holds
    /// what was missed, else from a snapshot.
    fn resync(&mut self) {
        let epoch = self.store.epoch.clone();
        let fresh = Self::start(
            self.store.clone(),
            Some(&format!("{epoch}-{}", self.seen)),
            self.closing.clone(),
        );
        tracing::warn!(
            snapshot = fresh.snapshot,
            "a change stream fell behind; resynchronized"
        );
        *self = fresh;
    }

    fn event(&self, pending: &Pending) -> Event {
        let data = std::str::from_utf8(&pending.entry.json).unwrap_or("{}");
        Event::default()
            .event(EVENT_NAME)
            .id(format!("{}-{}", self.store.epoch, pending.seq))
            .data(data)
    }

    /// The next change to send: the backlog first, then every live change; `None`
    /// once the service stops.
    async fn next_change(&mut self) -> Option<Pending> {
        loop {
            if let Some(pending) = self.backlog.pop_front() {
                return Some(pending);
            }
            let next = tokio::select! {
                () = self.closing.cancelled() => return None,
                next = self.live.recv() => next,
            };
            match next {
                Ok(change) if change.seq > self.seen => {
                    self.seen = change.seq;
                    return Some(Pending {
                        seq: change.seq,
                        entry: change.entry.clone(),
                    });
                }
                // Already sent in the backlog.
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => self.resync(),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The events: the backlog, then every live change, until the service stops.
    pub fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> + Send {
        futures::stream::unfold(self, |mut sub| async move {
            let pending = sub.next_change().await?;
            let event = sub.event(&pending);
            Some((Ok(event), sub))
        })
    }
}

/// The seq of an event id of this epoch (`<epoch>-<seq>`); `None` for any other id.
fn parse_id(id: &str, epoch: &str) -> Option<u64> {
    let (id_epoch, seq) = id.trim().rsplit_once('-')?;
    if id_epoch != epoch {
        return None;
    }
    seq.parse().ok()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use contracts::inventory::StockView;
    use futures::StreamExt;

    use super::*;

    fn entry(sku: &str, version: i64) -> Arc<Entry> {
        Arc::new(
            Entry::new(StockView {
                store_id: "store-1".into(),
                sku: sku.into(),
                on_hand: version,
                reserved: 0,
                available: version,
                safety_stock: 0,
                below_safety_stock: false,
                unit_price: None,
                version,
                updated_at: Utc::now(),
            })
            .unwrap(),
        )
    }

    fn store(capacity: usize) -> (Stores, Arc<Store>) {
        let stores = Stores::new(capacity);
        let store = stores.get_or_create("store-1");
        (stores, store)
    }

    fn record(store: &Store, sku: &str, version: i64) {
        store.lock().record(entry(sku, version), store.live());
    }

    fn ids(sub: &Subscription) -> Vec<u64> {
        sub.backlog.iter().map(|p| p.seq).collect()
    }

    #[test]
    fn a_known_id_resumes_after_it_and_anything_else_starts_from_the_current_stock() {
        let (stores, store) = store(3);
        for v in 1..=5 {
            record(&store, "AAA-0001-AA", v);
        }
        record(&store, "BBB-0001-AA", 1);
        let epoch = stores.epoch.clone();
        let token = CancellationToken::new();
        let resumed =
            Subscription::start(store.clone(), Some(&format!("{epoch}-4")), token.clone());
        assert_eq!((ids(&resumed), resumed.snapshot), (vec![5, 6], false));
        let up_to_date =
            Subscription::start(store.clone(), Some(&format!("{epoch}-6")), token.clone());
        assert_eq!((ids(&up_to_date), up_to_date.snapshot), (vec![], false));
        // Seq 2 fell out of the log (it keeps 3): a snapshot, both rows, at seq 6.
        for last in [
            Some(format!("{epoch}-2")),
            Some("other-4".to_owned()),
            None,
            Some(format!("{epoch}-99")),
        ] {
            let sub = Subscription::start(store.clone(), last.as_deref(), token.clone());
            assert_eq!((ids(&sub), sub.snapshot), (vec![6, 6], true), "{last:?}");
        }
    }

    #[tokio::test]
    async fn a_stream_sends_its_backlog_then_live_changes_once_each() {
        let (stores, store) = store(100);
        record(&store, "AAA-0001-AA", 1);
        let sub = Subscription::start(store.clone(), None, CancellationToken::new());
        record(&store, "AAA-0001-AA", 2);
        let mut stream = Box::pin(sub.into_stream());
        let epoch = stores.epoch.clone();
        for _ in 0..2 {
            let event = stream.next().await.unwrap().unwrap();
            let text = format!("{event:?}");
            assert!(text.contains(&*epoch), "{text}");
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_the_live_channel_misses_nothing() {
        let (_stores, store) = store(LOG_CAPACITY);
        let mut sub = Subscription::start(store.clone(), None, CancellationToken::new());
        let behind = LIVE_CAPACITY as u64 + 100;
        for v in 1..=behind {
            record(&store, "AAA-0001-AA", v as i64);
        }
        let mut received = Vec::new();
        while received.len() < behind as usize {
            received.push(sub.next_change().await.unwrap().seq);
        }
        assert_eq!(received, (1..=behind).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_closed_view_ends_its_streams() {
        let (_stores, store) = store(10);
        let closing = CancellationToken::new();
        let mut sub = Subscription::start(store, None, closing.clone());
        closing.cancel();
        assert!(sub.next_change().await.is_none());
    }
}
