//! The RabbitMQ side of order-service: the exchange it owns (`order_events`) and the
//! queue of inventory events it consumes, with their handler. The queue and its routing
//! keys come from the system's table (`contracts::events::subscriptions`), which the
//! broker's definitions are generated from too.

mod inventory_events;

use contracts::events::ORDER_EXCHANGE;

pub use inventory_events::InventoryEventsHandler;

/// The queue it consumes is `contracts::events::subscriptions::ORDER_SERVICE_INVENTORY_EVENTS`.
pub const OWNED_EXCHANGES: [&str; 1] = [ORDER_EXCHANGE];
