//! Use cases of order-service and the port they need. The HTTP path (order-api's calls)
//! and the event path (inventory events, saga timers) both land here.

mod orders;
mod ports;

pub use orders::{CONSUMER, Error, Orders, Placed, Reaction, STOCK_LOST};
pub use ports::{Changed, InboxEntry, Inserted, OrderStore, StoreError};
