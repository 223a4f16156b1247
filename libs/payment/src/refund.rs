//! [`Refund`]: money given back from a captured intent.

use serde::{Deserialize, Serialize};

use crate::Money;

/// Where a refund stands: Stripe's statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RefundStatus {
    /// Accepted; the card network has not confirmed it yet.
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A refund the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The provider's id of the refund (`re_…` at Stripe).
    pub id: String,
    pub amount: Money,
    pub status: RefundStatus,
}
