//! The payment provider of the checkout: a participant outside the system, reached
//! through one port, [`PaymentProvider`], and two adapters.
//!
//! # The payment step of a checkout
//!
//! ```text
//! reserve every line ─▶ authorize (manual capture, key order/{id}/authorize) ─▶ commit the stock ─▶ capture ─▶ CONFIRMED
//!                          │ Declined ─▶ release the stock                         │ refused ─▶ void    │ failed ─▶ void or refund
//!                          └ Timeout / Unavailable ─▶ find (by key) or repeat with the same key; never a new key
//! ```
//!
//! The port says only what the saga decides on: an [`Authorization`] or an [`Intent`]
//! as the provider holds it, a refusal ([`PaymentError::Declined`]), an unknown outcome
//! ([`PaymentError::Unavailable`], [`PaymentError::Timeout`]) or a request that can never
//! succeed ([`PaymentError::Invalid`]). Every call that moves money carries an
//! [`IdempotencyKey`], derived from the order and the step, so that an unknown outcome is
//! resolved by asking ([`PaymentProvider::find`]) or by repeating the same call, never by
//! paying again. Amounts are [`Money`]: integer minor units and an ISO 4217 [`Currency`].
//!
//! # Adapters
//!
//! - [`Sandbox`]: kept in memory or in the service's database ([`SandboxBook`]), answering like Stripe's test mode from the payment method's
//!   name (`tok_visa`, `tok_chargeDeclined`, ...), with `tok_slow` and `tok_unavailable`
//!   for demos and fault tests. The default.
//! - [`Stripe`]: the Payment Intents API over reqwest, with typed form bodies and
//!   answers. Not `async-stripe`: its 0.x line compiles the whole generated API (minutes
//!   on two cores, in every build of every service that pays), for five endpoints that a
//!   few serde structs describe.
//!
//! [`PaymentSettings`] reads which one a deployment uses (`PAYMENT_PROVIDER`) and builds
//! it as a [`Provider`].
//!
//! # Modules
//!
//! - [`money`]: [`Money`] and [`Currency`].
//! - [`idempotency`]: [`IdempotencyKey`] and the [`PaymentStep`] it is derived for.
//! - [`port`]: [`PaymentProvider`] and [`AuthorizeRequest`]; [`error`]: [`PaymentError`].
//! - [`intent`], [`refund`], [`method`]: what the port answers and takes.
//! - [`sandbox`], [`stripe`]: the adapters; [`provider`]: the one chosen;
//!   [`settings`]: the choice.

pub mod error;
pub mod idempotency;
pub mod intent;
pub mod method;
pub mod money;
pub mod port;
pub mod provider;
pub mod refund;
pub mod sandbox;
pub mod settings;
pub mod stripe;

pub use error::PaymentError;
pub use idempotency::{IdempotencyKey, PaymentStep};
pub use intent::{Authorization, Intent, IntentId, IntentLookup, IntentStatus};
pub use method::PaymentMethod;
pub use money::{Currency, Money};
pub use port::{AuthorizeRequest, PaymentProvider};
pub use provider::Provider;
pub use refund::{Refund, RefundStatus};
pub use sandbox::Sandbox;
pub use settings::{
    PaymentSettings, ProviderKind, SandboxBook, SandboxSettings, SecretKey, StripeSettings,
    UnknownProvider,
};
pub use stripe::Stripe;
