//! A payment intent as the provider holds it: the money authorized for one order, what
//! was captured of it and what was refunded, and where it stands ([`IntentStatus`]).
//!
//! The life of an intent in a manual-capture checkout:
//!
//! ```text
//! authorize ─▶ requires_capture ─capture─▶ succeeded ─refund─▶ succeeded (refunded ≤ captured)
//!                     └──────────void───▶ canceled
//! ```
//!
//! Any other status after an authorization means the money is **not** held: the card
//! asks for its holder's authentication (`requires_action`), or the provider is still
//! deciding (`processing`), and so on (see [`IntentStatus::is_authorized`]).

use std::fmt;

use contracts::ValidationError;
use serde::{Deserialize, Serialize};

use crate::{IdempotencyKey, Money};

/// The provider's id of an intent (`pi_…` at Stripe): 1 to 255 ASCII letters, digits,
/// `_` or `-`, so that it goes into a URL path as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IntentId(String);

impl IntentId {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "invalid_intent_id",
                format!(
                    "an intent id is 1 to {} ASCII letters, digits, '_' or '-'",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IntentId {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IntentId> for String {
    fn from(id: IntentId) -> Self {
        id.0
    }
}

impl fmt::Display for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an intent stands: Stripe's statuses, which other providers' map onto.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IntentStatus {
    /// No usable means of payment yet, or the last one failed.
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// The card asks for its holder's authentication (3D Secure).
    RequiresAction,
    /// The provider is still deciding.
    Processing,
    /// Authorized: the amount is held on the card until captured or voided.
    RequiresCapture,
    /// Voided (or given up): nothing is held, nothing was taken.
    Canceled,
    /// Captured: the money was taken (refunds, if any, do not change this status).
    Succeeded,
}

impl IntentStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The amount is held and waits for its capture.
    pub fn is_authorized(self) -> bool {
        self == Self::RequiresCapture
    }
}

impl fmt::Display for IntentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to an authorization: the intent it made, and its status. Only
/// [`IntentStatus::RequiresCapture`] means the money is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    pub intent_id: IntentId,
    pub status: IntentStatus,
}

impl Authorization {
    pub fn is_authorized(&self) -> bool {
        self.status.is_authorized()
    }
}

/// An intent as the provider holds it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub id: IntentId,
    pub status: IntentStatus,
    /// The amount authorized.
    pub amount: Money,
    /// What was captured: zero until the capture, at most `amount`.
    pub captured: Money,
    /// What was refunded of `captured`.
    pub refunded: Money,
}

/// How to find an intent whose creation had no answer: by the key of the authorization
/// that made it, or by its id once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentLookup {
    Key(IdempotencyKey),
    Id(IntentId),
}

impl fmt::Display for IntentLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(key) => write!(f, "key {key}"),
            Self::Id(id) => write!(f, "intent {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_id_goes_into_a_path_as_it_is() {
        assert_eq!(
            IntentId::parse("pi_3MtwBwLkdIwHu7ix28a3tqPa")
                .unwrap()
                .as_str(),
            "pi_3MtwBwLkdIwHu7ix28a3tqPa"
        );
        let long = "p".repeat(256);
        for bad in ["", "pi/../x", "pi 1", "pi?x=1", "pi.1", long.as_str()] {
            assert_eq!(
                IntentId::parse(bad).unwrap_err().code,
                "invalid_intent_id",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_requires_capture_is_an_authorization() {
        let authorized = [
            IntentStatus::RequiresPaymentMethod,
            IntentStatus::RequiresConfirmation,
            IntentStatus::RequiresAction,
            IntentStatus::Processing,
            IntentStatus::RequiresCapture,
            IntentStatus::Canceled,
            IntentStatus::Succeeded,
        ]
        .into_iter()
        .filter(|status| status.is_authorized())
        .collect::<Vec<_>>();
        assert_eq!(authorized, [IntentStatus::RequiresCapture]);
    }

    #[test]
    fn statuses_read_and_write_as_stripe_spells_them() {
        assert_eq!(
            serde_json::from_str::<IntentStatus>("\"requires_capture\"").unwrap(),
            IntentStatus::RequiresCapture
        );
        assert_eq!(
            IntentStatus::RequiresPaymentMethod.as_str(),
            "requires_payment_method"
        );
        assert_eq!(IntentStatus::Canceled.to_string(), "canceled");
    }
}
