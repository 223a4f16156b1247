//! Use cases of the inventory, and the ports they need. The use cases turn validated
//! commands into domain changes and hand them to a store; they know nothing of HTTP or
//! SQL.

mod inventory;
mod ports;

pub use inventory::{Error, Inventory};
pub use ports::{
    CreateOutcome, HoldRequest, InventoryStore, MovementRecord, ReserveOutcome, StockRecord,
    StoreError,
};
