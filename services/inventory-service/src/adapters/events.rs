//! Domain events as published messages: each `InventoryEvent` becomes the contract's
//! envelope, wrapped for the outbox with the trace context current when it was written.

use chrono::{DateTime, Utc};
use contracts::events::{
    CommitFailureReason, Envelope, EventLine, EventShortage, EventType, HoldEvent,
    ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryCreated, ProductInventoryDepleted, ProductInventoryReleased,
    ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, ReservationFailureReason,
    hold_routing_key,
};
use messaging::OutboxMessage;

use crate::domain::{CommitFailure, InventoryEvent, OrderId, ReservationFailure, Sku};

/// The `source` of every event this service publishes.
pub const SOURCE: &str = "inventory-service";

/// The outbox messages for `events`, occurring at `now`, in the current trace.
pub fn outbox_messages(events: &[InventoryEvent], now: DateTime<Utc>) -> Vec<OutboxMessage> {
    if events.is_empty() {
        return Vec::new();
    }
    let traceparent = telemetry::current_traceparent();
    events
        .iter()
        .map(|e| to_message(e, now, traceparent.clone()))
        .collect()
}

fn to_message(
    event: &InventoryEvent,
    now: DateTime<Utc>,
    traceparent: Option<String>,
) -> OutboxMessage {
    fn about_order<T: EventType>(
        order_id: &OrderId,
        data: T,
        now: DateTime<Utc>,
        tp: Option<String>,
    ) -> OutboxMessage {
        let envelope = Envelope::new(
            SOURCE,
            now,
            Some(order_id.as_str()),
            order_id.as_str(),
            data,
        );
        OutboxMessage::new(&envelope, tp)
    }
    /// About a hold: under its direct routing key unless the hold is the saga's.
    fn about_hold<T: HoldEvent>(
        order_id: &OrderId,
        data: T,
        saga: bool,
        now: DateTime<Utc>,
        tp: Option<String>,
    ) -> OutboxMessage {
        about_order(order_id, data, now, tp).routed(hold_routing_key::<T>(saga))
    }
    fn about_sku<T: EventType>(
        sku: &Sku,
        data: T,
        now: DateTime<Utc>,
        tp: Option<String>,
    ) -> OutboxMessage {
        OutboxMessage::new(&Envelope::new(SOURCE, now, None, sku.as_str(), data), tp)
    }
    match event {
        InventoryEvent::Created {
            sku,
            on_hand,
            safety_stock,
        } => about_sku(
            sku,
            ProductInventoryCreated {
                store_id: "central".into(),
                sku: sku.to_string(),
                on_hand: *on_hand,
                safety_stock: *safety_stock,
            },
            now,
            traceparent,
        ),
        InventoryEvent::Reserved {
            order_id,
            items,
            expires_at,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryReserved {
                store_id: "central".into(),
                order_id: order_id.to_string(),
                items: lines(items),
                expires_at: *expires_at,
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::ReservationFailed {
            order_id,
            reason,
            saga,
        } => {
            let (reason, shortages, unknown_skus) = match reason {
                ReservationFailure::Insufficient(s) => (
                    ReservationFailureReason::InsufficientStock,
                    s.iter()
                        .map(|s| EventShortage {
                            sku: s.sku.to_string(),
                            requested: s.requested,
                            available: s.available,
                        })
                        .collect(),
                    Vec::new(),
                ),
                ReservationFailure::UnknownSku(skus) => (
                    ReservationFailureReason::UnknownSku,
                    Vec::new(),
                    skus.iter().map(Sku::to_string).collect(),
                ),
                ReservationFailure::OrderCancelled => (
                    ReservationFailureReason::OrderCancelled,
                    Vec::new(),
                    Vec::new(),
                ),
                ReservationFailure::Conflict => (
                    ReservationFailureReason::ReservationConflict,
                    Vec::new(),
                    Vec::new(),
                ),
            };
            about_hold(
                order_id,
                ProductInventoryReservationFailed {
                    store_id: "central".into(),
                    order_id: order_id.to_string(),
                    reason,
                    shortages,
                    unknown_skus,
                },
                *saga,
                now,
                traceparent,
            )
        }
        InventoryEvent::Released {
            order_id,
            items,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryReleased {
                store_id: "central".into(),
                order_id: order_id.to_string(),
                items: lines(items),
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::Committed {
            order_id,
            items,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryCommitted {
                store_id: "central".into(),
                order_id: order_id.to_string(),
                items: lines(items),
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::CommitFailed { order_id, reason } => {
            let (reason, shortages) = match reason {
                CommitFailure::StockLost(s) => (
                    CommitFailureReason::StockLost,
                    s.iter()
                        .map(|s| EventShortage {
                            sku: s.sku.to_string(),
                            requested: s.requested,
                            available: s.available,
                        })
                        .collect(),
                ),
                CommitFailure::OrderCancelled => (CommitFailureReason::OrderCancelled, Vec::new()),
                CommitFailure::Conflict => (CommitFailureReason::ReservationConflict, Vec::new()),
                CommitFailure::UnknownSku => (CommitFailureReason::UnknownSku, Vec::new()),
            };
            about_order(
                order_id,
                ProductInventoryCommitFailed {
                    store_id: "central".into(),
                    order_id: order_id.to_string(),
                    reason,
                    shortages,
                },
                now,
                traceparent,
            )
        }
        InventoryEvent::ReservationExpired {
            order_id,
            items,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryReservationExpired {
                store_id: "central".into(),
                order_id: order_id.to_string(),
                items: lines(items),
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::Replenished {
            sku,
            qty,
            on_hand,
            available,
        } => about_sku(
            sku,
            ProductInventoryReplenished {
                store_id: "central".into(),
                sku: sku.to_string(),
                qty: *qty,
                on_hand: *on_hand,
                available: *available,
            },
            now,
            traceparent,
        ),
        InventoryEvent::Depleted {
            sku,
            on_hand,
            reserved,
        } => about_sku(
            sku,
            ProductInventoryDepleted {
                store_id: "central".into(),
                sku: sku.to_string(),
                on_hand: *on_hand,
                reserved: *reserved,
            },
            now,
            traceparent,
        ),
        InventoryEvent::BelowSafetyStock {
            sku,
            available,
            safety_stock,
        } => about_sku(
            sku,
            ProductInventoryBelowSafetyStock {
                store_id: "central".into(),
                sku: sku.to_string(),
                available: *available,
                safety_stock: *safety_stock,
            },
            now,
            traceparent,
        ),
    }
}

fn lines(items: &[(Sku, i64)]) -> Vec<EventLine> {
    items
        .iter()
        .map(|(sku, qty)| EventLine {
            sku: sku.to_string(),
            qty: *qty,
        })
        .collect()
}
