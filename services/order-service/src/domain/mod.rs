//! The order domain: the `Order` aggregate and its state machine. Pure rules: no I/O,
//! no logging, no clock (times come in as arguments).

mod order;
mod state_machine;

pub use contracts::{Quantity, Sku};
pub use order::{Order, OrderError, OrderEvent, OrderLine, SagaPath, Transition};
pub use state_machine::{OrderStatus, Trigger};
