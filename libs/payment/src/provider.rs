//! [`Provider`]: the provider a deployment chose ([`PaymentSettings::provider`](crate::PaymentSettings::provider)),
//! one type whichever it is. The port's methods return futures of their own types, so
//! it is not object-safe; this enum is what `Arc<dyn PaymentProvider>` would have been.

use crate::{
    Authorization, AuthorizeRequest, IdempotencyKey, Intent, IntentId, IntentLookup, Money,
    PaymentError, PaymentProvider, Refund, Sandbox, Stripe,
};

/// One of the adapters. Clones share their state (the sandbox's intents, Stripe's
/// connection pool).
#[derive(Debug, Clone)]
pub enum Provider {
    Sandbox(Sandbox),
    Stripe(Stripe),
}

impl Provider {
    /// Its name, as `PAYMENT_PROVIDER` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sandbox(_) => "sandbox",
            Self::Stripe(_) => "stripe",
        }
    }
}

impl PaymentProvider for Provider {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, PaymentError> {
        match self {
            Self::Sandbox(sandbox) => sandbox.authorize(request).await,
            Self::Stripe(stripe) => stripe.authorize(request).await,
        }
    }

    async fn capture(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Intent, PaymentError> {
        match self {
            Self::Sandbox(sandbox) => sandbox.capture(intent, amount, key).await,
            Self::Stripe(stripe) => stripe.capture(intent, amount, key).await,
        }
    }

    async fn void(&self, intent: &IntentId, key: &IdempotencyKey) -> Result<Intent, PaymentError> {
        match self {
            Self::Sandbox(sandbox) => sandbox.void(intent, key).await,
            Self::Stripe(stripe) => stripe.void(intent, key).await,
        }
    }

    async fn refund(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Refund, PaymentError> {
        match self {
            Self::Sandbox(sandbox) => sandbox.refund(intent, amount, key).await,
            Self::Stripe(stripe) => stripe.refund(intent, amount, key).await,
        }
    }

    async fn find(&self, lookup: &IntentLookup) -> Result<Option<Intent>, PaymentError> {
        match self {
            Self::Sandbox(sandbox) => sandbox.find(lookup).await,
            Self::Stripe(stripe) => stripe.find(lookup).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checkout holds its provider behind an `Arc` and calls it from spawned tasks.
    fn assert_shareable<P: PaymentProvider + Clone + Send + Sync + 'static>() {}

    #[test]
    fn every_adapter_and_the_choice_of_one_can_be_shared_across_tasks() {
        assert_shareable::<Sandbox>();
        assert_shareable::<Stripe>();
        assert_shareable::<Provider>();
    }
}
