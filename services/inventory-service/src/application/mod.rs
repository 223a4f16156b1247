//! Use cases of the inventory, and the ports they need. The use cases turn validated
//! commands into domain changes and hand them to a store; they know nothing of HTTP or
//! SQL.

mod inventory;
mod order_events;
mod ports;

pub use inventory::{Error, Inventory, PricedHold};
pub use order_events::EventOutcome;
pub use ports::{
    CreateOutcome, Handled, HoldRequest, InboxEntry, InventoryStore, LocationRecord,
    MovementRecord, Place, ReserveOutcome, Scope, StockRecord, StoreError, Sweep,
};
