//! Use cases of order-service and the ports they need: the `OrderStore`, and the payment
//! provider (`payment::PaymentProvider`, the port of `libs/payment`), driven through
//! [`payments`]. The HTTP path (order-api's calls) and the event path (inventory events,
//! saga timers) both land here; each loads an order, calls one of its named changes, and
//! saves it with the events it announces.

mod orders;
pub mod payments;
mod ports;

pub use orders::{CONSUMER, Error, Orders, Placed, Reaction};
pub use ports::{Changed, Inserted, OrderStore};
