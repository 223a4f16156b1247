//! The payment steps of the saga over the provider (`payment::PaymentProvider`): each
//! answers what the saga decides on, with an unknown outcome resolved before it is
//! called unknown.
//!
//! Every call carries the key of its step for the order (`order/{id}/authorize`, ...),
//! so a call repeated after a timeout, from this process or another, never authorizes,
//! captures or refunds twice. A call whose outcome is unknown (the provider unavailable,
//! no answer in time) is repeated with the same key a bounded number of times, then the
//! provider is asked what it holds (`find`); only then is the outcome unknown, and the
//! order is left as it is for the event path or the timeout to finish.

use std::time::Duration;

use payment::{
    AuthorizeRequest, IdempotencyKey, Intent, IntentId, IntentLookup, IntentStatus, Money,
    PaymentError, PaymentMethod, PaymentProvider, PaymentStep,
};

use crate::domain::{Order, OrderId, PaymentStatus, Price, Release};

/// Calls of one step before the provider is asked what it holds.
const ATTEMPTS: u32 = 3;
/// The pause before the second call; doubled before each next one.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// How an authorization ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorized {
    /// The total is held, in this intent.
    Held(IntentId),
    /// The card refused, or the provider holds nothing it could capture.
    Declined(String),
    /// Nobody knows yet.
    Unknown,
}

/// How a capture ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    Taken,
    /// The provider refused to capture: nothing was taken.
    Refused(String),
    Unknown,
}

/// The provider, on behalf of the saga.
#[derive(Debug, Clone)]
pub struct Payments<P> {
    provider: P,
}

impl<P: PaymentProvider> Payments<P> {
    pub fn new(provider: P) -> Self {
        Self { provider }
    }

    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// Holds `total` on the card of the order (`token`).
    pub async fn authorize(&self, order: &OrderId, token: &str, total: Price) -> Authorized {
        let key = IdempotencyKey::for_order(order, PaymentStep::Authorize);
        let Ok(method) = PaymentMethod::parse(token) else {
            return Authorized::Declined("the payment method is not valid".into());
        };
        let amount = Money::from(total);
        let request = AuthorizeRequest {
            order_id: order.clone(),
            amount,
            method,
            idempotency_key: key.clone(),
        };
        let answer = self
            .repeat(|| async { self.provider.authorize(&request).await })
            .await;
        match answer {
            Ok(authorization) if authorization.is_authorized() => {
                Authorized::Held(authorization.intent_id)
            }
            Ok(authorization) => Authorized::Declined(format!(
                "the provider holds nothing to capture: {}",
                authorization.status
            )),
            Err(e @ (PaymentError::Declined { .. } | PaymentError::Invalid { .. })) => {
                Authorized::Declined(e.to_string())
            }
            Err(_) => match self.find(IntentLookup::Key(key)).await {
                Some(intent) if intent.status.is_authorized() => Authorized::Held(intent.id),
                Some(intent) if is_final_refusal(intent.status) => {
                    Authorized::Declined(format!("the intent is {}", intent.status))
                }
                _ => Authorized::Unknown,
            },
        }
    }

    /// Takes the authorized total of `intent`. An intent captured already (by an earlier
    /// call whose answer was lost) is taken.
    pub async fn capture(&self, order: &OrderId, intent: &IntentId, total: Price) -> Captured {
        let key = IdempotencyKey::for_order(order, PaymentStep::Capture);
        let amount = Money::from(total);
        let answer = self
            .repeat(|| async { self.provider.capture(intent, amount, &key).await })
            .await;
        match answer {
            Ok(held) if held.status == IntentStatus::Succeeded => Captured::Taken,
            Ok(held) => Captured::Refused(format!("the intent is {}", held.status)),
            Err(e) => match self.find(IntentLookup::Id(intent.clone())).await {
                Some(held) if held.status == IntentStatus::Succeeded => Captured::Taken,
                Some(held) if !held.status.is_authorized() => {
                    Captured::Refused(format!("the intent is {}", held.status))
                }
                _ if e.is_outcome_unknown() => Captured::Unknown,
                _ => Captured::Refused(e.to_string()),
            },
        }
    }

    /// Gives back what a cancelled order's payment holds: voids an authorization,
    /// refunds a capture (also one that happened while the void was on its way). What
    /// it came to, or `None` when the provider could not be heard.
    pub async fn release(&self, order: &Order) -> Option<Release> {
        let payment = order.payment()?;
        let intent = IntentId::parse(payment.intent()?).ok()?;
        let amount = Money::from(payment.amount()?);
        if payment.status() == PaymentStatus::Authorized {
            let key = IdempotencyKey::for_order(order.id(), PaymentStep::Void);
            let voided = self
                .repeat(|| async { self.provider.void(&intent, &key).await })
                .await;
            match voided {
                Ok(_) => return Some(Release::Voided),
                Err(e) if e.is_outcome_unknown() => return None,
                // Refused: captured meanwhile, or voided already; the provider says which.
                Err(_) => {}
            }
            match self.find(IntentLookup::Id(intent.clone())).await?.status {
                IntentStatus::Canceled => return Some(Release::Voided),
                IntentStatus::Succeeded => {}
                _ => return None,
            }
        }
        let key = IdempotencyKey::for_order(order.id(), PaymentStep::Refund);
        self.repeat(|| async { self.provider.refund(&intent, amount, &key).await })
            .await
            .ok()
            .map(|_| Release::Refunded)
    }

    /// Voids `intent`, an authorization the order does not record (it was cancelled
    /// while the card was asked); whether it is voided. Logged when it cannot be done.
    pub async fn void_unrecorded(&self, order: &OrderId, intent: &IntentId) -> bool {
        let key = IdempotencyKey::for_order(order, PaymentStep::Void);
        let voided = self
            .repeat(|| async { self.provider.void(intent, &key).await })
            .await;
        match voided {
            Ok(_) => true,
            // Voided already (a repeat): the provider says so.
            Err(e) => match self.find(IntentLookup::Id(intent.clone())).await {
                Some(held) if held.status == IntentStatus::Canceled => true,
                _ => {
                    tracing::error!(order_id = %order, error = %e, "an authorization of a cancelled order could not be voided");
                    false
                }
            },
        }
    }

    async fn find(&self, lookup: IntentLookup) -> Option<Intent> {
        match self.provider.find(&lookup).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, %lookup, "the payment provider could not say what it holds");
                None
            }
        }
    }

    /// `call` until its outcome is known, at most [`ATTEMPTS`] times, with the same key.
    async fn repeat<T, F, Fut>(&self, call: F) -> Result<T, PaymentError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, PaymentError>>,
    {
        let mut pause = FIRST_PAUSE;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if e.is_outcome_unknown() && attempt < ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "payment outcome unknown; asking again with the same key");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }
}

/// An intent that will never hold money for this authorization.
fn is_final_refusal(status: IntentStatus) -> bool {
    matches!(
        status,
        IntentStatus::Canceled | IntentStatus::RequiresPaymentMethod
    )
}
