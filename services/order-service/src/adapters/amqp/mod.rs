//! The RabbitMQ side of order-service: the exchange it owns (`order_events`) and the
//! queue of inventory events it consumes, with their handler.

mod inventory_events;

use std::time::Duration;

use contracts::events::{
    EventType, INVENTORY_EXCHANGE, ORDER_EXCHANGE, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved,
};
use messaging::{ConsumerQueue, Names};

pub use inventory_events::InventoryEventsHandler;

pub const OWNED_EXCHANGES: [&str; 1] = [ORDER_EXCHANGE];

/// The queue of inventory events this service consumes: the answers to its orders.
pub fn inventory_events_queue(
    names: &Names,
    retry_delays: Vec<Duration>,
    expires: Option<Duration>,
) -> ConsumerQueue {
    let exchange = names.exchange(INVENTORY_EXCHANGE);
    ConsumerQueue {
        name: names.queue("order-service.inventory_events"),
        bindings: [
            ProductInventoryReserved::ROUTING_KEY,
            ProductInventoryReservationFailed::ROUTING_KEY,
            ProductInventoryReservationExpired::ROUTING_KEY,
        ]
        .into_iter()
        .map(|key| (exchange.clone(), key.to_owned()))
        .collect(),
        retry_delays,
        expires,
    }
}
