//! The RabbitMQ side of inventory-service: the exchange it owns, the queue it consumes
//! order events from, and the handler of those events. The queue and its routing keys
//! come from the system's table (`contracts::events::subscriptions`), which the broker's
//! definitions are generated from too.

mod order_events;

use std::time::Duration;

use contracts::events::{INVENTORY_EXCHANGE, subscriptions::INVENTORY_SERVICE_ORDER_EVENTS};
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
    ConsumerQueue::subscribed(
        names,
        &INVENTORY_SERVICE_ORDER_EVENTS,
        retry_delays,
        expires,
    )
}
