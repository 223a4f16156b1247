//! The RabbitMQ side of inventory-service: the exchange it owns, the queue it consumes
//! order events from, and the handler of those events.

mod order_events;

use std::time::Duration;

use contracts::events::{
    EventType, INVENTORY_EXCHANGE, ORDER_EXCHANGE, OrderCancelled, OrderConfirmed, OrderCreated,
};
use messaging::{ConsumerQueue, Names};

pub use order_events::OrderEventsHandler;

/// Exchanges this service owns and publishes to.
pub const OWNED_EXCHANGES: [&str; 1] = [INVENTORY_EXCHANGE];

/// The queue of order events this service consumes, bound to the events it handles.
pub fn order_events_queue(
    names: &Names,
    retry_delays: Vec<Duration>,
    expires: Option<Duration>,
) -> ConsumerQueue {
    let exchange = names.exchange(ORDER_EXCHANGE);
    ConsumerQueue {
        name: names.queue("inventory-service.order_events"),
        bindings: [
            OrderCreated::ROUTING_KEY,
            OrderConfirmed::ROUTING_KEY,
            OrderCancelled::ROUTING_KEY,
        ]
        .into_iter()
        .map(|key| (exchange.clone(), key.to_owned()))
        .collect(),
        retry_delays,
        expires,
    }
}
