//! The RabbitMQ side of inventory-service: the exchange it owns, the queue it consumes
//! order events from, and the handler of those events. The queue and its routing keys
//! come from the system's table (`contracts::events::subscriptions`), which the broker's
//! definitions are generated from too.

mod order_events;

use contracts::events::INVENTORY_EXCHANGE;

pub use order_events::OrderEventsHandler;

/// Exchanges this service owns and publishes to. The queue it consumes is
/// `contracts::events::subscriptions::INVENTORY_SERVICE_ORDER_EVENTS`.
pub const OWNED_EXCHANGES: [&str; 1] = [INVENTORY_EXCHANGE];
