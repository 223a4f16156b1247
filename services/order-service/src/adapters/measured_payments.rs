//! [`MeasuredProvider`]: the payment provider, measured. Every call is timed and its
//! outcome counted here, so the saga's code records no metric:
//!
//! - `payment_step_duration_seconds{step}`: each call (`authorize`, `capture`, `void`,
//!   `refund`, `find`), whatever its answer;
//! - `payments_processed_total{outcome}`: what each call that moves money came to:
//!   `authorized`, `declined`, `captured`, `voided`, `refunded`, or `failed` (no usable
//!   answer: unavailable, timeout, refused request).
//!
//! Every series exists from the first scrape, at zero.

use std::sync::Once;
use std::time::Instant;

use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};
use payment::{
    Authorization, AuthorizeRequest, IdempotencyKey, Intent, IntentId, IntentLookup, Money,
    PaymentError, PaymentProvider, Refund,
};

const PROCESSED: &str = "payments_processed_total";
const DURATION: &str = "payment_step_duration_seconds";
const OUTCOMES: [&str; 6] = [
    "authorized",
    "declined",
    "captured",
    "voided",
    "refunded",
    "failed",
];
const STEPS: [&str; 5] = ["authorize", "capture", "void", "refund", "find"];

/// A provider whose calls are timed and counted.
#[derive(Debug, Clone)]
pub struct MeasuredProvider<P> {
    inner: P,
}

impl<P> MeasuredProvider<P> {
    pub fn new(inner: P) -> Self {
        describe();
        Self { inner }
    }

    /// The provider measured.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

fn took(step: &'static str, started: Instant) {
    histogram!(DURATION, "step" => step).record(started.elapsed());
}

fn counted(outcome: &'static str) {
    counter!(PROCESSED, "outcome" => outcome).increment(1);
}

fn done<T>(answer: &Result<T, PaymentError>, success: &'static str) {
    counted(if answer.is_ok() { success } else { "failed" });
}

impl<P: PaymentProvider> PaymentProvider for MeasuredProvider<P> {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, PaymentError> {
        let started = Instant::now();
        let answer = self.inner.authorize(request).await;
        took("authorize", started);
        counted(match &answer {
            Ok(authorization) if authorization.is_authorized() => "authorized",
            Ok(_) | Err(PaymentError::Declined { .. }) => "declined",
            Err(_) => "failed",
        });
        answer
    }

    async fn capture(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Intent, PaymentError> {
        let started = Instant::now();
        let answer = self.inner.capture(intent, amount, key).await;
        took("capture", started);
        done(&answer, "captured");
        answer
    }

    async fn void(&self, intent: &IntentId, key: &IdempotencyKey) -> Result<Intent, PaymentError> {
        let started = Instant::now();
        let answer = self.inner.void(intent, key).await;
        took("void", started);
        done(&answer, "voided");
        answer
    }

    async fn refund(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Refund, PaymentError> {
        let started = Instant::now();
        let answer = self.inner.refund(intent, amount, key).await;
        took("refund", started);
        done(&answer, "refunded");
        answer
    }

    async fn find(&self, lookup: &IntentLookup) -> Result<Option<Intent>, PaymentError> {
        let started = Instant::now();
        let answer = self.inner.find(lookup).await;
        took("find", started);
        answer
    }
}

fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        describe_counter!(
            PROCESSED,
            "Calls to the payment provider that move money, by what they came to."
        );
        describe_histogram!(
            DURATION,
            Unit::Seconds,
            "Each call to the payment provider, by step."
        );
        for outcome in OUTCOMES {
            counter!(PROCESSED, "outcome" => outcome).increment(0);
        }
        for step in STEPS {
            let _ = histogram!(DURATION, "step" => step);
        }
    });
}
