//! Domain events as published messages: each `InventoryEvent` becomes the contract's
//! envelope, wrapped for the outbox with the trace context current when it was written.

use chrono::{DateTime, Utc};
use contracts::events::{
    CommitFailureReason, Envelope, EventLine, EventShortage, EventType, HoldEvent,
    ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryCreated, ProductInventoryDepleted, ProductInventoryPriceChanged,
    ProductInventoryReleased, ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, ProductInventoryStockChanged,
    ProductInventoryTransferred, ReservationFailureReason, ReservedLine, hold_routing_key,
};
use contracts::inventory::StockView;
use messaging::OutboxMessage;

use crate::domain::{
    CommitFailure, InventoryEvent, OrderId, Price, ProductInventory, ReservationFailure, Sku,
};

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
    let store_id = event.location().to_string();
    match event {
        InventoryEvent::Created {
            location: _,
            sku,
            on_hand,
            safety_stock,
        } => about_sku(
            sku,
            ProductInventoryCreated {
                store_id: store_id.clone(),
                sku: sku.to_string(),
                on_hand: *on_hand,
                safety_stock: *safety_stock,
            },
            now,
            traceparent,
        ),
        InventoryEvent::Reserved {
            location: _,
            order_id,
            items,
            expires_at,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryReserved {
                store_id: store_id.clone(),
                order_id: order_id.to_string(),
                items: reserved_lines(items),
                expires_at: *expires_at,
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::ReservationFailed {
            location: _,
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
                    store_id: store_id.clone(),
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
            location: _,
            order_id,
            items,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryReleased {
                store_id: store_id.clone(),
                order_id: order_id.to_string(),
                items: lines(items),
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::Committed {
            location: _,
            order_id,
            items,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryCommitted {
                store_id: store_id.clone(),
                order_id: order_id.to_string(),
                items: lines(items),
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::CommitFailed {
            location: _,
            order_id,
            reason,
        } => {
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
                    store_id: store_id.clone(),
                    order_id: order_id.to_string(),
                    reason,
                    shortages,
                },
                now,
                traceparent,
            )
        }
        InventoryEvent::ReservationExpired {
            location: _,
            order_id,
            items,
            saga,
        } => about_hold(
            order_id,
            ProductInventoryReservationExpired {
                store_id: store_id.clone(),
                order_id: order_id.to_string(),
                items: lines(items),
            },
            *saga,
            now,
            traceparent,
        ),
        InventoryEvent::Replenished {
            location: _,
            sku,
            qty,
            on_hand,
            available,
        } => about_sku(
            sku,
            ProductInventoryReplenished {
                store_id: store_id.clone(),
                sku: sku.to_string(),
                qty: *qty,
                on_hand: *on_hand,
                available: *available,
            },
            now,
            traceparent,
        ),
        InventoryEvent::Depleted {
            location: _,
            sku,
            on_hand,
            reserved,
        } => about_sku(
            sku,
            ProductInventoryDepleted {
                store_id: store_id.clone(),
                sku: sku.to_string(),
                on_hand: *on_hand,
                reserved: *reserved,
            },
            now,
            traceparent,
        ),
        InventoryEvent::BelowSafetyStock {
            location: _,
            sku,
            available,
            safety_stock,
        } => about_sku(
            sku,
            ProductInventoryBelowSafetyStock {
                store_id: store_id.clone(),
                sku: sku.to_string(),
                available: *available,
                safety_stock: *safety_stock,
            },
            now,
            traceparent,
        ),
        InventoryEvent::Transferred {
            location,
            transfer_id,
            sku,
            to,
            qty,
        } => about_sku(
            sku,
            ProductInventoryTransferred {
                transfer_id: transfer_id.clone(),
                sku: sku.to_string(),
                from: location.to_string(),
                to: to.to_string(),
                qty: *qty,
            },
            now,
            traceparent,
        ),
        InventoryEvent::PriceChanged {
            location: _,
            sku,
            unit_price,
        } => about_sku(
            sku,
            ProductInventoryPriceChanged {
                store_id: store_id.clone(),
                sku: sku.to_string(),
                unit_price: unit_price.to_money(),
            },
            now,
            traceparent,
        ),
    }
}

/// The state of each of `products` after a change, as the stock view and every other
/// read model take it.
pub fn stock_view(product: &ProductInventory, updated_at: DateTime<Utc>) -> StockView {
    StockView {
        store_id: product.location().to_string(),
        sku: product.sku().to_string(),
        on_hand: product.on_hand(),
        reserved: product.reserved(),
        available: product.available(),
        safety_stock: product.safety_stock(),
        below_safety_stock: product.is_below_safety_stock(),
        unit_price: product.unit_price().map(|p| p.to_money()),
        version: product.version(),
        updated_at,
    }
}

/// The `ProductInventoryStockChanged` message of a change that left `products` as
/// they are, at `updated_at`, in the current trace; none when nothing changed.
pub fn stock_changed<'a>(
    products: impl IntoIterator<Item = &'a ProductInventory>,
    updated_at: DateTime<Utc>,
) -> Option<OutboxMessage> {
    let items: Vec<StockView> = products
        .into_iter()
        .map(|p| stock_view(p, updated_at))
        .collect();
    let first = items.first()?;
    let key = format!("{}/{}", first.store_id, first.sku);
    let envelope = Envelope::new(
        SOURCE,
        updated_at,
        None,
        &key,
        ProductInventoryStockChanged { items },
    );
    Some(OutboxMessage::new(
        &envelope,
        telemetry::current_traceparent(),
    ))
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

fn reserved_lines(items: &[(Sku, i64, Option<Price>)]) -> Vec<ReservedLine> {
    items
        .iter()
        .map(|(sku, qty, price)| ReservedLine {
            sku: sku.to_string(),
            qty: *qty,
            unit_price: price.map(|p| p.to_money()),
        })
        .collect()
}
