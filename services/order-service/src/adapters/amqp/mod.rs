//! The RabbitMQ side of order-service: the exchange it owns (`order_events`) and the
//! queue of inventory events it consumes, with their handler. The queue and its routing
//! keys come from the system's table (`contracts::events::subscriptions`), which the
//! broker's definitions are generated from too.

mod inventory_events;

use std::time::Duration;

use contracts::events::{ORDER_EXCHANGE, subscriptions::ORDER_SERVICE_INVENTORY_EVENTS};
use messaging::{ConsumerQueue, Names};

pub use inventory_events::InventoryEventsHandler;

pub const OWNED_EXCHANGES: [&str; 1] = [ORDER_EXCHANGE];

/// The queue of inventory events this service consumes: the answers to its orders.
pub fn inventory_events_queue(
    names: &Names,
    retry_delays: Vec<Duration>,
    expires: Option<Duration>,
) -> ConsumerQueue {
    ConsumerQueue::subscribed(
        names,
        &ORDER_SERVICE_INVENTORY_EVENTS,
        retry_delays,
        expires,
    )
}
