//! The system's shared vocabulary: the value objects whose format is part of the public
//! contract (`Sku`, `Quantity`, `StockLevel`, `OrderId`, `LocationId`, `Price`) and the HTTP
//! DTOs that the facades and the domain services exchange (`Money` among them).
//!
//! Everything here is pure data and parsing: no I/O, no logging. A value object that
//! exists is valid; the DTOs are the raw wire shapes and `validate()` turns them into
//! typed commands, so the facade and the domain service reject bad input with the same
//! rule and the same code.

pub mod actor;
pub mod events;
pub mod inventory;
mod location;
mod money;
mod order_id;
pub mod orders;
mod quantity;
mod sku;
mod validation;

pub use actor::{Actor, Denied};
pub use location::{LocationId, central_store_id};
pub use money::{Currency, Money, Price};
pub use order_id::OrderId;
pub use quantity::{Quantity, StockLevel};
pub use sku::Sku;
pub use validation::{ValidationError, is_visible_ascii};
