//! What the checkout needs from its two peers, in the checkout's own terms: typed
//! requests, typed answers, and errors that say only what the saga decides on (a peer
//! said no, or a peer could not be heard). How a peer is reached (HTTP, timeouts, keys,
//! the breaker) is the adapters' business and never shows here.
//!
//! - [`Orders`]: order-service, which owns the order and its state machine.
//! - [`Inventory`]: inventory-api, which holds and commits the stock.
//! - [`PeerProblem`]: a peer's problem+json, read, for refusals passed on as they came.

mod inventory;
mod orders;
mod peer_problem;

pub use inventory::{HeldLine, Inventory, InventoryError, InventoryRefusal};
pub use orders::{Orders, OrdersError};
pub use peer_problem::PeerProblem;
