//! Order events as published messages (the contract's envelopes), for the outbox: the
//! saga's (`OrderCreated`, ...) and the payment's (`PaymentAuthorized`, ...).

use chrono::{DateTime, Utc};
use contracts::Money;
use contracts::events::{
    Envelope, EventLine, EventType, OrderCancelled, OrderCommitRequested, OrderConfirmed,
    OrderCreated, PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded,
    PaymentVoided,
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
    // What every payment event says: the order's total and its intent.
    let paid = order
        .payment()
        .and_then(|p| Some((Money::from(p.amount()?), p.intent().map(str::to_owned))));
    events
        .iter()
        .filter_map(|event| {
            let tp = traceparent.clone();
            let order_id = id.clone();
            Some(match event {
                OrderEvent::Created => message(
                    &id,
                    now,
                    tp,
                    OrderCreated {
                        order_id,
                        customer_id: order.customer_id().map(str::to_owned),
                        items: items.clone(),
                        ttl_seconds: None,
                        location_id: Some(order.location().to_string()),
                    },
                ),
                OrderEvent::CommitRequested => message(
                    &id,
                    now,
                    tp,
                    OrderCommitRequested {
                        order_id,
                        items: items.clone(),
                    },
                ),
                OrderEvent::Confirmed => message(
                    &id,
                    now,
                    tp,
                    OrderConfirmed {
                        order_id,
                        items: items.clone(),
                    },
                ),
                OrderEvent::Cancelled(cause) => message(
                    &id,
                    now,
                    tp,
                    OrderCancelled {
                        order_id,
                        reason: cause.to_string(),
                    },
                ),
                payment => {
                    let (amount, intent_id) = paid.clone()?;
                    payment_message(&id, now, tp, payment, order_id, amount, intent_id)?
                }
            })
        })
        .collect()
}

/// The message of a payment event; `None` for any other event.
fn payment_message(
    id: &str,
    now: DateTime<Utc>,
    traceparent: Option<String>,
    event: &OrderEvent,
    order_id: String,
    amount: Money,
    intent_id: Option<String>,
) -> Option<OutboxMessage> {
    macro_rules! payment {
        ($event:ident) => {
            message(
                id,
                now,
                traceparent,
                $event {
                    order_id,
                    amount,
                    intent_id,
                },
            )
        };
    }
    Some(match event {
        OrderEvent::PaymentAuthorized => payment!(PaymentAuthorized),
        OrderEvent::PaymentFailed => payment!(PaymentFailed),
        OrderEvent::PaymentCaptured => payment!(PaymentCaptured),
        OrderEvent::PaymentVoided => payment!(PaymentVoided),
        OrderEvent::PaymentRefunded => payment!(PaymentRefunded),
        _ => return None,
    })
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
