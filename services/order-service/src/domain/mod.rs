//! The order domain: the `Order` aggregate, the causes of its transitions and its state
//! machine. Pure rules: no I/O, no logging, no clock (times come in as arguments).
//!
//! Every rule of the saga lives here: which path may move an order and when, the
//! handover once the HTTP path's grace is over (`Order::hand_over_if_due`) and the
//! timeout (`Order::time_out_if_due`). The application loads, calls and saves.

mod cause;
mod order;
mod payment;
mod state_machine;
mod transition;

pub use cause::{CancelCause, Cause, ConfirmCause, Release, UnknownReason};
pub use contracts::Price;
pub use contracts::events::{CommitFailureReason, ReservationFailureReason};
pub use contracts::{LocationId, OrderId, Quantity, Sku};
pub use order::{Order, OrderError, OrderEvent, OrderLine, RestoreError, StoredOrder};
pub use payment::{Payment, PaymentStatus, PricedLine, PricingError, StoredPayment};
pub use state_machine::OrderStatus;
pub use transition::{SagaPath, Transition};
