//! The `Idempotency-Key` of a checkout: read and checked once, here, as a handler's
//! `Option<IdempotencyKey>` argument.
//!
//! order-api keeps no idempotency record: it forwards the key with the order to
//! order-service, which stores it next to the request's fingerprint (customer, lines and
//! location). A retry with the same key and the same request finds the same order, where
//! the first attempt left it; the same key with another request is refused there (422
//! `idempotency_key_reused`) and that problem is passed on.

pub use problem::idempotency::{HEADER, IdempotencyKey};
