//! [`Sandbox`]: a payment provider in memory that answers like Stripe's test mode, for
//! development, demos and tests. Nothing leaves the process and nothing outlives it.
//!
//! # Test payment methods
//!
//! | method | outcome |
//! |---|---|
//! | `tok_visa`, `tok_mastercard`, `pm_card_visa`, `pm_card_mastercard` | authorized (`requires_capture`) |
//! | `tok_chargeDeclined`, `tok_visa_chargeDeclined`, `pm_card_chargeDeclined`, `pm_card_visa_chargeDeclined` | declined: `card_declined`, decline code `generic_decline` |
//! | `tok_chargeDeclinedInsufficientFunds`, `tok_visa_chargeDeclinedInsufficientFunds`, `pm_card_chargeDeclinedInsufficientFunds`, `pm_card_visa_chargeDeclinedInsufficientFunds` | declined: `card_declined`, decline code `insufficient_funds` |
//! | `tok_slow` (the sandbox's own) | authorized, but answered only after the slow delay ([`Sandbox::with_slow_delay`]); past the timeout ([`Sandbox::with_timeout`]) the answer is [`PaymentError::Timeout`] while the intent exists and holds the money: the unknown outcome, to be resolved with [`find`](PaymentProvider::find) or a replay |
//! | `tok_unavailable` (the sandbox's own) | [`PaymentError::Unavailable`], and nothing happens |
//! | anything else | [`PaymentError::Invalid`] `resource_missing` |
//!
//! # Idempotency, as Stripe does it
//!
//! The first answer given for a key (an intent, a decline, a refusal) is kept and given
//! again to every later call with the same key and the same request, which changes
//! nothing: there is never a second intent, capture or refund. The same key with another
//! request is refused (`idempotency_error`). A call whose outcome is unknown
//! (`tok_unavailable`) keeps nothing. A replay is answered at once, even for `tok_slow`.
//!
//! Each intent follows the state machine of `sandbox/intent.rs` (capture once, void only what is
//! not captured, refunds up to what was captured).
//!
//! # Where the book is kept
//!
//! [`Sandbox::new`] keeps its intents and answers in memory: they are gone with the
//! process, and each process has its own. [`Sandbox::kept_in`] keeps them in PostgreSQL
//! (tables `payment_sandbox_*`, see `sql/sandbox.sql`), as a real provider keeps them on
//! its side: an order authorized before a restart is captured after it, by any instance,
//! exactly once. Each call is one transaction that holds its key (an advisory lock) and
//! its intent (a row lock), so concurrent calls with one key, or on one intent, from
//! any process, take turns.

mod intent;
mod ledger;
mod test_card;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use intent::SandboxIntent;
use serde::{Deserialize, Serialize};
use test_card::TestCard;

use crate::{
    Authorization, AuthorizeRequest, IdempotencyKey, Intent, IntentId, IntentLookup, Money,
    PaymentError, PaymentProvider, Refund, RefundStatus,
};

/// The sandbox provider. Clones share their book.
#[derive(Debug, Clone)]
pub struct Sandbox {
    book: Keeper,
    slow_delay: Duration,
    timeout: Option<Duration>,
}

/// Where the book is kept.
#[derive(Debug, Clone)]
enum Keeper {
    Memory(Arc<Mutex<Book>>),
    Postgres(sqlx::PgPool),
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// How long `tok_slow` takes by default.
    pub const SLOW_DELAY: Duration = Duration::from_secs(2);

    /// No intents, kept in memory, a slow delay of [`Sandbox::SLOW_DELAY`] and no
    /// timeout.
    pub fn new() -> Self {
        Self {
            book: Keeper::Memory(Arc::default()),
            slow_delay: Self::SLOW_DELAY,
            timeout: None,
        }
    }

    /// The same sandbox with its book kept in the database of `pool` instead: shared by
    /// every process that uses that database, and kept across restarts. Creates its
    /// tables if they are missing.
    pub async fn kept_in(self, pool: sqlx::PgPool) -> anyhow::Result<Self> {
        ledger::create_tables(&pool).await?;
        Ok(Self {
            book: Keeper::Postgres(pool),
            ..self
        })
    }

    /// How long `tok_slow` takes to answer.
    pub fn with_slow_delay(self, slow_delay: Duration) -> Self {
        Self { slow_delay, ..self }
    }

    /// How long a caller waits for an answer, as the Stripe adapter's request timeout:
    /// a `tok_slow` slower than this is answered [`PaymentError::Timeout`].
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            ..self
        }
    }

    /// Every intent, in the order they were made: what a test asserts "one intent, one
    /// capture" on.
    pub async fn intents(&self) -> Result<Vec<Intent>, PaymentError> {
        let mut intents = match &self.book {
            Keeper::Memory(book) => lock(book)
                .intents
                .values()
                .map(SandboxIntent::view)
                .collect(),
            Keeper::Postgres(pool) => ledger::intents(pool).await?,
        };
        intents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(intents)
    }

    /// `first` once for `key`; the answer it gave for every later call with the same
    /// request. `first` sees the intent `on` (when the call is about one) and may make
    /// new ones. The flag says whether `first` ran now.
    async fn once<T: Kept>(
        &self,
        key: &IdempotencyKey,
        request: String,
        on: Option<&IntentId>,
        first: impl FnOnce(&mut Book) -> Result<T, PaymentError>,
    ) -> (Result<T, PaymentError>, bool) {
        match &self.book {
            Keeper::Memory(book) => lock(book).once(key, request, first),
            Keeper::Postgres(pool) => match ledger::once(pool, key, request, on, first).await {
                Ok(answered) => answered,
                Err(e) => {
                    tracing::warn!(error = %e, %key, "the sandbox's book could not be read or written");
                    (Err(PaymentError::Unavailable(e.to_string())), false)
                }
            },
        }
    }

    /// The wait of `tok_slow`: the slow delay, or the timeout when it is shorter.
    async fn answer_late(&self) -> Result<(), PaymentError> {
        match self.timeout {
            Some(timeout) if timeout < self.slow_delay => {
                tokio::time::sleep(timeout).await;
                Err(PaymentError::Timeout)
            }
            _ => {
                tokio::time::sleep(self.slow_delay).await;
                Ok(())
            }
        }
    }
}

fn key_reused(key: &IdempotencyKey) -> PaymentError {
    PaymentError::invalid(
        "idempotency_error",
        format!(
            "keys for idempotent requests can only be used with the same parameters they were first used with ({key})"
        ),
    )
}

fn lock(book: &Mutex<Book>) -> MutexGuard<'_, Book> {
    // The book is changed only by whole moves that cannot panic halfway.
    book.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sandbox's state: intents, the authorization key of each, the answers kept. In
/// PostgreSQL, a call's book holds only what the call reads and writes.
#[derive(Debug, Default)]
struct Book {
    intents: HashMap<IntentId, SandboxIntent>,
    authorized_by: HashMap<IdempotencyKey, IntentId>,
    kept: HashMap<IdempotencyKey, KeptAnswer>,
    issued: u64,
}

impl Book {
    /// [`Sandbox::once`] on this book.
    fn once<T: Kept>(
        &mut self,
        key: &IdempotencyKey,
        request: String,
        first: impl FnOnce(&mut Book) -> Result<T, PaymentError>,
    ) -> (Result<T, PaymentError>, bool) {
        if let Some(kept) = self.kept.get(key) {
            if kept.request != request {
                return (Err(key_reused(key)), false);
            }
            let replay = T::load(&kept.answer).unwrap_or_else(|| Err(key_reused(key)));
            tracing::debug!(%key, "replayed the first answer for this key");
            return (replay, false);
        }
        let answer = first(self);
        if !matches!(&answer, Err(e) if e.is_outcome_unknown()) {
            self.kept.insert(
                key.clone(),
                KeptAnswer {
                    request,
                    answer: T::keep(answer.clone()),
                },
            );
        }
        (answer, true)
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.issued += 1;
        format!("{prefix}_sandbox_{:06}", self.issued)
    }

    fn authorize(
        &mut self,
        request: &AuthorizeRequest,
        card: Option<TestCard>,
    ) -> Result<Authorization, PaymentError> {
        if request.amount.is_zero() {
            return Err(PaymentError::invalid(
                "amount_too_small",
                "an amount must be at least one minor unit",
            ));
        }
        let card = card.ok_or_else(|| {
            PaymentError::invalid(
                "resource_missing",
                "no such payment method: the sandbox knows Stripe's test names (tok_visa, pm_card_visa, ...)",
            )
        })?;
        let id = IntentId::parse(&self.next_id("pi")).expect("a sandbox id is a valid intent id");
        let intent = match card {
            TestCard::Declined { .. } => SandboxIntent::declined(id.clone(), request.amount),
            _ => SandboxIntent::authorized(id.clone(), request.amount),
        };
        let status = intent.view().status;
        self.intents.insert(id.clone(), intent);
        self.authorized_by
            .insert(request.idempotency_key.clone(), id.clone());
        match card {
            TestCard::Declined {
                decline_code,
                message,
            } => Err(PaymentError::Declined {
                code: "card_declined".to_owned(),
                decline_code: Some(decline_code.to_owned()),
                message: message.to_owned(),
            }),
            _ => Ok(Authorization {
                intent_id: id,
                status,
            }),
        }
    }

    fn intent(&mut self, id: &IntentId) -> Result<&mut SandboxIntent, PaymentError> {
        self.intents.get_mut(id).ok_or_else(|| {
            PaymentError::invalid("resource_missing", format!("no such payment intent: {id}"))
        })
    }

    fn refund(&mut self, id: &IntentId, amount: Money) -> Result<Refund, PaymentError> {
        self.intent(id)?.refund(amount)?;
        Ok(Refund {
            id: self.next_id("re"),
            amount,
            status: RefundStatus::Succeeded,
        })
    }

    fn find(&self, lookup: &IntentLookup) -> Option<Intent> {
        let id = match lookup {
            IntentLookup::Key(key) => self.authorized_by.get(key)?,
            IntentLookup::Id(id) => id,
        };
        self.intents.get(id).map(SandboxIntent::view)
    }
}

/// The first answer for a key, and the request it answered.
#[derive(Debug, Clone)]
struct KeptAnswer {
    request: String,
    answer: Answer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Authorization(Result<Authorization, PaymentError>),
    Intent(Result<Intent, PaymentError>),
    Refund(Result<Refund, PaymentError>),
}

/// An answer that can be kept for its key and given again.
trait Kept: Clone + Sized {
    fn keep(answer: Result<Self, PaymentError>) -> Answer;
    fn load(answer: &Answer) -> Option<Result<Self, PaymentError>>;
}

macro_rules! kept {
    ($type:ty, $variant:ident) => {
        impl Kept for $type {
            fn keep(answer: Result<Self, PaymentError>) -> Answer {
                Answer::$variant(answer)
            }
            fn load(answer: &Answer) -> Option<Result<Self, PaymentError>> {
                match answer {
                    Answer::$variant(answer) => Some(answer.clone()),
                    _ => None,
                }
            }
        }
    };
}

kept!(Authorization, Authorization);
kept!(Intent, Intent);
kept!(Refund, Refund);

impl PaymentProvider for Sandbox {
    #[tracing::instrument(skip_all, fields(provider = "sandbox", order_id = %request.order_id, key = %request.idempotency_key))]
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, PaymentError> {
        let card = TestCard::of(&request.method);
        if card == Some(TestCard::Unavailable) {
            return Err(PaymentError::Unavailable(
                "the sandbox plays an unreachable provider (tok_unavailable)".to_owned(),
            ));
        }
        let fingerprint = format!(
            "authorize {} {} {}",
            request.order_id,
            request.amount,
            request.method.as_str()
        );
        let (answer, now) = self
            .once(&request.idempotency_key, fingerprint, None, |book| {
                book.authorize(request, card)
            })
            .await;
        if now && card == Some(TestCard::Slow) {
            self.answer_late().await?;
        }
        answer
    }

    #[tracing::instrument(skip_all, fields(provider = "sandbox", intent_id = %intent, key = %key))]
    async fn capture(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Intent, PaymentError> {
        let request = format!("capture {intent} {amount}");
        self.once(key, request, Some(intent), |book| {
            let held = book.intent(intent)?;
            held.capture(amount)?;
            Ok(held.view())
        })
        .await
        .0
    }

    #[tracing::instrument(skip_all, fields(provider = "sandbox", intent_id = %intent, key = %key))]
    async fn void(&self, intent: &IntentId, key: &IdempotencyKey) -> Result<Intent, PaymentError> {
        let request = format!("void {intent}");
        self.once(key, request, Some(intent), |book| {
            let held = book.intent(intent)?;
            held.void()?;
            Ok(held.view())
        })
        .await
        .0
    }

    #[tracing::instrument(skip_all, fields(provider = "sandbox", intent_id = %intent, key = %key))]
    async fn refund(
        &self,
        intent: &IntentId,
        amount: Money,
        key: &IdempotencyKey,
    ) -> Result<Refund, PaymentError> {
        let request = format!("refund {intent} {amount}");
        self.once(key, request, Some(intent), |book| {
            book.refund(intent, amount)
        })
        .await
        .0
    }

    #[tracing::instrument(skip_all, fields(provider = "sandbox", lookup = %lookup))]
    async fn find(&self, lookup: &IntentLookup) -> Result<Option<Intent>, PaymentError> {
        match &self.book {
            Keeper::Memory(book) => Ok(lock(book).find(lookup)),
            Keeper::Postgres(pool) => ledger::find(pool, lookup).await.map_err(|e| {
                tracing::warn!(error = %e, "the sandbox's book could not be read");
                PaymentError::Unavailable(e.to_string())
            }),
        }
    }
}

#[cfg(test)]
mod tests;
