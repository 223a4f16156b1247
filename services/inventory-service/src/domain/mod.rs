//! The inventory's domain: value objects, the `ProductInventory` aggregate, holds
//! (`Reservation`), the `Movement` trail, `LockedStock`, the set of aggregates one
//! command changes together, and `expire_due`, the expiry of many holds in one change.
//!
//! Pure rules: no I/O, no logging, no tracing, no clock (times come in as arguments).

mod error;
mod event;
mod expiry;
mod locked_stock;
mod movement;
mod product_inventory;
mod reservation;
mod transfer;

pub use contracts::{Actor, Denied, LocationId, OrderId, Price, Quantity, Sku, StockLevel};
pub use error::{CorruptState, InventoryError, Shortage};
pub use event::{CommitFailure, InventoryEvent, ReservationFailure};
pub use expiry::expire_due;
pub use locked_stock::{LockedStock, StockChanges};
pub use movement::{Movement, MovementKind};
pub use product_inventory::ProductInventory;
pub use reservation::{Cancelled, GivenBack, HoldError, HoldStatus, ReleaseCause, Reservation};
pub use transfer::{Transfer, TransferChanges, transfer};
