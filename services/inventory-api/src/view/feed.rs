//! What keeps the view current: its own queue on the broker, bound to the
//! `ProductInventoryStockChanged` events of `inventory_events`, and a snapshot of
//! inventory-service.
//!
//! The order matters: the queue is declared, bound and consumed first, and only then is
//! the snapshot taken, so a change committed while the snapshot is read is in the
//! snapshot, in the queue, or both, never in neither; the version rule makes "both"
//! harmless. The queue is this instance's alone (exclusive, deleted with its
//! connection): a second instance has its own and sees every event too.
//!
//! When the consumer ends (connection lost, queue deleted, consumer cancelled), the
//! view is marked down, so reads go to inventory-service, and the feed subscribes again
//! with backoff, declares the queue again and takes a new snapshot.

use std::time::Duration;

use chrono::Utc;
use contracts::{
    LocationId, Sku,
    events::{EventType, INVENTORY_EXCHANGE, ProductInventoryStockChanged, RawEnvelope},
    inventory::{LocationListView, MAX_STOCK_PAGE, StockPageView},
};
use futures::StreamExt;
use lapin::{
    Channel, Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions,
        QueueBindOptions, QueueDeclareOptions,
    },
    types::FieldTable,
};
use messaging::topology::{Names, declare_exchange};
use tokio_util::sync::CancellationToken;

use super::{FeedState, View};
use crate::upstream::{FetchError, InventoryService};

/// Events delivered and not yet acknowledged: small, so the queue's depth says how far
/// behind the view is.
const PREFETCH: u16 = 64;
/// How often the queue's depth and the connection are checked.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// Longest wait for the subscription on a fresh connection.
const SETUP_WITHIN: Duration = Duration::from_secs(15);
/// Pauses between two subscriptions: doubling from the first to the last.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_LAST: Duration = Duration::from_secs(5);

/// Why the feed stopped following.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the broker refused or failed a request")]
    Broker(#[from] lapin::Error),
    #[error("no answer from the broker within {0:?} while subscribing")]
    SetupTimeout(Duration),
    #[error("the connection to the broker was lost")]
    ConnectionLost,
    #[error("the broker ended the consumer (queue deleted?)")]
    ConsumerEnded,
    #[error("the view's queue is gone")]
    QueueGone(#[source] lapin::Error),
    #[error("the snapshot could not be read")]
    Snapshot(#[from] FetchError),
    #[error("inventory-service named an invalid location or cursor: {0}")]
    Invalid(String),
}

/// The view's feed worker.
#[derive(Debug)]
pub struct Feed {
    pub view: View,
    pub amqp_url: String,
    pub names: Names,
    pub upstream: InventoryService,
}

impl Feed {
    /// Follows the events until `stop` is cancelled, subscribing again whenever the
    /// consumer ends.
    pub async fn run(self, stop: CancellationToken) {
        let mut pause = RETRY_FIRST;
        while !stop.is_cancelled() {
            let Some(connection) = messaging::broker::connect(&self.amqp_url, &stop).await else {
                break;
            };
            let followed = self.follow(&connection, &stop, &mut pause).await;
            self.view.set_state(FeedState::Down);
            let closing = connection.close(200, "stock view resubscribing".into());
            let _ = tokio::time::timeout(Duration::from_secs(1), closing).await;
            match followed {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = ?e, queue = %self.view.queue(), ?pause, "stock view feed interrupted; subscribing again");
                }
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(RETRY_LAST);
        }
        self.view.set_state(FeedState::Down);
        tracing::info!(queue = %self.view.queue(), "stock view feed stopped");
    }

    /// Subscribes, takes the snapshot, then applies events until the consumer ends
    /// (an error) or `stop` (`Ok`).
    async fn follow(
        &self,
        connection: &Connection,
        stop: &CancellationToken,
        pause: &mut Duration,
    ) -> Result<(), FeedError> {
        let (channel, mut deliveries, tag) =
            tokio::time::timeout(SETUP_WITHIN, self.subscribe(connection))
                .await
                .map_err(|_| FeedError::SetupTimeout(SETUP_WITHIN))??;
        self.view.set_state(FeedState::CatchingUp);
        // Events wait in the queue (and the prefetch) while the snapshot is read.
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            taken = self.snapshot() => taken?,
        }
        self.view.set_state(FeedState::Live);
        *pause = RETRY_FIRST;
        let mut probe = connection.create_channel().await?;
        let mut sample = tokio::time::interval(SAMPLE_EVERY);
        sample.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = stop.cancelled() => {
                    let cancel = channel.basic_cancel(tag.as_str().into(), BasicCancelOptions::default());
                    let _ = tokio::time::timeout(Duration::from_secs(1), cancel).await;
                    return Ok(());
                }
                _ = sample.tick() => {
                    if !connection.status().connected() || !channel.status().connected() {
                        return Err(FeedError::ConnectionLost);
                    }
                    if !probe.status().connected() {
                        probe = connection.create_channel().await?;
                    }
                    let waiting = self.depth(&probe).await?;
                    self.view.set_behind(u64::from(waiting));
                    self.view.publish_gauges();
                }
                next = deliveries.next() => match next {
                    Some(Ok(delivery)) => {
                        self.handle(&delivery);
                        delivery.ack(BasicAckOptions::default()).await?;
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => return Err(FeedError::ConsumerEnded),
                }
            }
        }
    }

    /// Declares the exchange and the view's queue, binds it, and starts consuming.
    async fn subscribe(
        &self,
        connection: &Connection,
    ) -> Result<(Channel, lapin::Consumer, String), FeedError> {
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await?;
        let exchange = self.names.exchange(INVENTORY_EXCHANGE);
        declare_exchange(&channel, &exchange).await?;
        let queue = self.view.queue();
        channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_bind(
                queue.into(),
                exchange.as_str().into(),
                ProductInventoryStockChanged::ROUTING_KEY.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let tag = format!("{queue}-{}", uuid::Uuid::now_v7().simple());
        let deliveries = channel
            .basic_consume(
                queue.into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(queue, %exchange, "stock view subscribed");
        Ok((channel, deliveries, tag))
    }

    /// Messages waiting in the view's queue (a passive declare: an error when the queue
    /// is gone).
    async fn depth(&self, probe: &Channel) -> Result<u32, FeedError> {
        probe
            .queue_declare(
                self.view.queue().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map(|queue| queue.message_count())
            .map_err(FeedError::QueueGone)
    }

    /// Every location, then every page of each one's stock, applied by the version
    /// rule.
    async fn snapshot(&self) -> Result<(), FeedError> {
        let taken_at = Utc::now();
        let locations: LocationListView = self.upstream.fetch("/locations").await?;
        let mut rows = 0usize;
        for location in locations.items {
            let id = LocationId::parse(&location.store_id)
                .map_err(|e| FeedError::Invalid(e.to_string()))?;
            self.view.know_location(id.as_str());
            let mut cursor: Option<Sku> = None;
            loop {
                let mut path = format!("/locations/{id}/inventory?limit={MAX_STOCK_PAGE}");
                if let Some(after) = &cursor {
                    path.push_str("&cursor=");
                    path.push_str(after.as_str());
                }
                let page: StockPageView = self.upstream.fetch(&path).await?;
                for stock in page.items {
                    rows += 1;
                    self.apply(stock);
                }
                match page.next_cursor {
                    Some(next) => {
                        let next =
                            Sku::parse(&next).map_err(|e| FeedError::Invalid(e.to_string()))?;
                        if cursor.as_ref() == Some(&next) {
                            return Err(FeedError::Invalid(format!("cursor {next} repeats")));
                        }
                        cursor = Some(next);
                    }
                    None => break,
                }
            }
        }
        self.view.snapshot_applied(taken_at);
        tracing::info!(
            rows,
            entries = self.view.len(),
            "stock view snapshot applied"
        );
        Ok(())
    }

    /// Applies one delivery. Anything else than a readable `ProductInventoryStockChanged`
    /// is logged and dropped: the view has no dead letters, and a snapshot after the next
    /// resubscription repairs what it missed.
    fn handle(&self, delivery: &Delivery) {
        let envelope: RawEnvelope = match serde_json::from_slice(&delivery.data) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(error = %e, "stock view: a message that is not an envelope, dropped");
                return;
            }
        };
        if envelope.event_type != ProductInventoryStockChanged::TYPE {
            return;
        }
        match envelope.decode::<ProductInventoryStockChanged>() {
            Ok(event) => {
                for stock in event.data.items {
                    self.apply(stock);
                }
                self.view.event_applied(event.occurred_at);
            }
            Err(reason) => tracing::warn!(reason, "stock view: an unreadable event, dropped"),
        }
    }

    fn apply(&self, stock: contracts::inventory::StockView) {
        if let Err(e) = self.view.apply(stock) {
            tracing::error!(error = %e, "stock view: a row could not be serialized");
        }
    }
}
