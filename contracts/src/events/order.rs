//! Events of order-service, on the `order_events` exchange.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{EventLine, EventType, ORDER_EXCHANGE};
use crate::Money;

macro_rules! order_event {
    ($name:ident, $key:literal) => {
        impl EventType for $name {
            const TYPE: &'static str = stringify!($name);
            const VERSION: u32 = 1;
            const EXCHANGE: &'static str = ORDER_EXCHANGE;
            const ROUTING_KEY: &'static str = $key;
        }
    };
}

/// An order was placed and is to be reserved by events (the saga's fallback path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub items: Vec<EventLine>,
    /// Lifetime of the holds, when the order asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
    /// Where every line is reserved; the central warehouse when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
}
order_event!(OrderCreated, "order.created");

/// The order's stock is reserved and the saga asks the inventory to commit it: exactly
/// these lines leave the stock for good, from the order's holds or, where a hold has
/// expired, from available stock. Answered by `ProductInventoryCommitted` or
/// `ProductInventoryCommitFailed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCommitRequested {
    pub order_id: String,
    pub items: Vec<EventLine>,
}
order_event!(OrderCommitRequested, "order.commit_requested");

/// The order is final: its lines were committed in the inventory before it was
/// confirmed. A fact for whoever follows orders; nothing is left to do in the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderConfirmed {
    pub order_id: String,
    #[serde(default)]
    pub items: Vec<EventLine>,
}
order_event!(OrderConfirmed, "order.confirmed");

/// The order is cancelled: its holds are to be released, and no later reservation made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    pub order_id: String,
    #[serde(default)]
    pub reason: String,
}
order_event!(OrderCancelled, "order.cancelled");

/// What every payment event of an order says: the amount (the order's total) and the
/// provider's intent, when there is one.
macro_rules! payment_event {
    ($(#[$doc:meta])* $name:ident, $key:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub order_id: String,
            /// The order's total, in minor units of its currency.
            pub amount: Money,
            /// The provider's id of the authorization.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub intent_id: Option<String>,
        }
        order_event!($name, $key);
    };
}

payment_event!(
    /// The order's total is held on the customer's card, not taken yet.
    PaymentAuthorized,
    "order.payment.authorized"
);
payment_event!(
    /// The card refused the order's total: nothing is held; the order is cancelled.
    PaymentFailed,
    "order.payment.failed"
);
payment_event!(
    /// The order's total was taken: the order is confirmed with it.
    PaymentCaptured,
    "order.payment.captured"
);
payment_event!(
    /// The authorization of a cancelled order was cancelled: nothing is held any more.
    PaymentVoided,
    "order.payment.voided"
);
payment_event!(
    /// What was taken for a cancelled order was given back.
    PaymentRefunded,
    "order.payment.refunded"
);
