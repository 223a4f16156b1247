//! Order events as published messages (the contract's envelopes), for the outbox.

use chrono::{DateTime, Utc};
use contracts::events::{
    Envelope, EventLine, EventType, OrderCancelled, OrderCommitRequested, OrderConfirmed,
    OrderCreated,
};
use messaging::OutboxMessage;

use crate::domain::{Order, OrderEvent};

pub const SOURCE: &str = "order-service";

pub fn outbox_messages(
    order: &Order,
    events: &[OrderEvent],
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    if events.is_empty() {
        return Vec::new();
    }
    let traceparent = telemetry::current_traceparent();
    let id = order.id().to_string();
    let items: Vec<EventLine> = order
        .lines()
        .iter()
        .map(|l| EventLine {
            sku: l.sku.to_string(),
            qty: l.qty.get(),
        })
        .collect();
    events
        .iter()
        .map(|event| match event {
            OrderEvent::Created => message(
                &id,
                now,
                traceparent.clone(),
                OrderCreated {
                    order_id: id.clone(),
                    customer_id: order.customer_id().map(str::to_owned),
                    items: items.clone(),
                    ttl_seconds: None,
                    location_id: Some(order.location().to_string()),
                },
            ),
            OrderEvent::CommitRequested => message(
                &id,
                now,
                traceparent.clone(),
                OrderCommitRequested {
                    order_id: id.clone(),
                    items: items.clone(),
                },
            ),
            OrderEvent::Confirmed => message(
                &id,
                now,
                traceparent.clone(),
                OrderConfirmed {
                    order_id: id.clone(),
                    items: items.clone(),
                },
            ),
            OrderEvent::Cancelled(cause) => message(
                &id,
                now,
                traceparent.clone(),
                OrderCancelled {
                    order_id: id.clone(),
                    reason: cause.to_string(),
                },
            ),
        })
        .collect()
}

fn message<T: EventType>(
    order_id: &str,
    now: DateTime<Utc>,
    traceparent: Option<String>,
    data: T,
) -> OutboxMessage {
    OutboxMessage::new(
        &Envelope::new(SOURCE, now, Some(order_id), order_id, data),
        traceparent,
    )
}
