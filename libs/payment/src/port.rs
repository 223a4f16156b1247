//! [`PaymentProvider`]: the payment provider as the checkout sees it, whoever it is. A
//! provider is a participant outside the system: its answers are typed here, and how it
//! is reached (HTTP, keys, timeouts) is the adapters' business.
//!
//! Every call that changes money carries an [`IdempotencyKey`]: repeated with the same
//! key, it answers what it answered the first time and changes nothing more. That is
//! what makes an unknown outcome ([`PaymentError::is_outcome_unknown`]) safe to resolve.

use std::future::Future;

use contracts::OrderId;

use crate::{
    Authorization, IdempotencyKey, Intent, IntentId, IntentLookup, Money, PaymentError,
    PaymentMethod, Refund,
};

/// An authorization of `amount` for one order: a manual-capture intent, confirmed at
/// once, that holds the money on the card until [`PaymentProvider::capture`] or
/// [`PaymentProvider::void`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub order_id: OrderId,
    pub amount: Money,
    pub method: PaymentMethod,
    /// Usually [`IdempotencyKey::for_order`] with [`PaymentStep::Authorize`](crate::PaymentStep::Authorize).
    pub idempotency_key: IdempotencyKey,
}

/// A payment provider, on behalf of the checkout.
pub trait PaymentProvider: Send + Sync {
    /// Holds `amount` on the customer's card. A decline is [`PaymentError::Declined`];
    /// an answer other than [`IntentStatus::RequiresCapture`](crate::IntentStatus) (the
    /// card asks for authentication, say) holds nothing either.
    fn authorize(
        &self,
        request: &AuthorizeRequest,
    ) -> impl Future<Output = Result<Authorization, PaymentError>> + Send;

    /// Takes `amount` (at most the amount authorized; the rest is released) of an
    /// authorized intent. Answers the intent as it is after the capture.
    fn capture(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<Intent, PaymentError>> + Send;

    /// Cancels an intent that was not captured: the hold on the card is released.
    /// Refused once it is captured (refund it instead).
    fn void(
        &self,
        intent: &IntentId,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<Intent, PaymentError>> + Send;

    /// Gives back `amount` (at most what was captured and not refunded yet) of a
    /// captured intent.
    fn refund(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<Refund, PaymentError>> + Send;

    /// The intent as the provider holds it now, or `None` when it has none: how an
    /// unknown outcome is resolved without paying again. Changes nothing.
    fn find(
        &self,
        lookup: &IntentLookup,
    ) -> impl Future<Output = Result<Option<Intent>, PaymentError>> + Send;
}
