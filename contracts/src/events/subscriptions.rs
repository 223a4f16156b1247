//! The system's topology in one table: which queue consumes which events, and where the
//! events nobody consumes yet go.
//!
//! Every routing key of an exchange is bound to some queue, so a publisher that asks the
//! broker to return what it cannot route (a mandatory publish) only ever gets back an
//! event whose consumer queue is missing, and keeps it until the queue exists:
//!
//! - [`SUBSCRIPTIONS`]: the queue each consuming service reads, with the routing keys it
//!   handles. The consumer declares it (with its retry queues and DLQ) at start, and the
//!   broker's definitions (`infra/rabbitmq/definitions.json`) declare it before any
//!   service runs, so an event published before its consumer ever started still waits
//!   for it.
//! - [`JOURNALS`]: one bounded queue per exchange, `<exchange>.journal`, bound to exactly
//!   the routing keys no service consumes (facts kept for whoever follows them later).
//!   Never to `#`: a catch-all would route an event whose consumer queue is missing, and
//!   the mandatory flag could no longer tell that it was lost for that consumer.
//!
//! Names are logical: a service applies its broker prefix to each. How a queue is
//! declared on the broker (retry ladders, the journals' overflow) belongs to the
//! messaging library; the journals' bounds are part of the table, since they say how
//! long a fact nobody consumes stays available.

use std::time::Duration;

use super::{
    EventType, HoldEvent, INVENTORY_EXCHANGE, ORDER_EXCHANGE, OrderCancelled, OrderCommitRequested,
    OrderConfirmed, OrderCreated, PaymentAuthorized, PaymentCaptured, PaymentFailed,
    PaymentRefunded, PaymentVoided, ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed,
    ProductInventoryCommitted, ProductInventoryCreated, ProductInventoryDepleted,
    ProductInventoryPriceChanged, ProductInventoryReleased, ProductInventoryReplenished,
    ProductInventoryReservationExpired, ProductInventoryReservationFailed,
    ProductInventoryReserved, ProductInventoryStockChanged, ProductInventoryTransferred,
};

/// A queue a service consumes, bound to one exchange with the routing keys it handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    /// Logical queue name, `<service>.<exchange>`.
    pub queue: &'static str,
    /// The service that consumes it.
    pub consumer: &'static str,
    /// Logical name of the exchange it is bound to.
    pub exchange: &'static str,
    /// The routing keys it is bound with: the events its consumer handles.
    pub routing_keys: &'static [&'static str],
}

/// A bounded queue that takes the events of one exchange no service consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Journal {
    /// Logical queue name, `<exchange>.journal`.
    pub queue: &'static str,
    /// Logical name of the exchange it is bound to.
    pub exchange: &'static str,
    /// Exactly the routing keys of that exchange that no subscription binds.
    pub routing_keys: &'static [&'static str],
    /// Most messages kept: beyond it the oldest are dropped, so a journal nobody reads
    /// cannot fill the broker.
    pub max_length: u32,
    /// How long a message is kept.
    pub message_ttl: Duration,
}

/// Bounds of every journal: a week of facts, at most 100 000 of them.
const JOURNAL_MAX_LENGTH: u32 = 100_000;
const JOURNAL_MESSAGE_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// inventory-service reserves, commits and releases on order events.
pub const INVENTORY_SERVICE_ORDER_EVENTS: Subscription = Subscription {
    queue: "inventory-service.order_events",
    consumer: "inventory-service",
    exchange: ORDER_EXCHANGE,
    routing_keys: &[
        OrderCreated::ROUTING_KEY,
        OrderCommitRequested::ROUTING_KEY,
        OrderCancelled::ROUTING_KEY,
    ],
};

/// order-service drives the saga on the inventory's answers.
pub const ORDER_SERVICE_INVENTORY_EVENTS: Subscription = Subscription {
    queue: "order-service.inventory_events",
    consumer: "order-service",
    exchange: INVENTORY_EXCHANGE,
    routing_keys: &[
        ProductInventoryReserved::ROUTING_KEY,
        ProductInventoryReservationFailed::ROUTING_KEY,
        ProductInventoryReservationExpired::ROUTING_KEY,
        ProductInventoryCommitted::ROUTING_KEY,
        ProductInventoryCommitFailed::ROUTING_KEY,
    ],
};

/// Every consumer queue of the system.
pub const SUBSCRIPTIONS: [Subscription; 2] = [
    INVENTORY_SERVICE_ORDER_EVENTS,
    ORDER_SERVICE_INVENTORY_EVENTS,
];

/// The inventory's facts nobody consumes yet.
pub const INVENTORY_JOURNAL: Journal = Journal {
    queue: "inventory_events.journal",
    exchange: INVENTORY_EXCHANGE,
    routing_keys: &[
        ProductInventoryCreated::ROUTING_KEY,
        ProductInventoryReleased::ROUTING_KEY,
        ProductInventoryReplenished::ROUTING_KEY,
        ProductInventoryDepleted::ROUTING_KEY,
        ProductInventoryBelowSafetyStock::ROUTING_KEY,
        ProductInventoryTransferred::ROUTING_KEY,
        ProductInventoryPriceChanged::ROUTING_KEY,
        // Every stock change, as state: the stock views read it from queues of their
        // own (one per instance, gone with it), which no table lists; the journal keeps
        // it routable when no view runs.
        ProductInventoryStockChanged::ROUTING_KEY,
        // Holds made straight on the inventory: nobody consumes them yet.
        ProductInventoryReserved::DIRECT_ROUTING_KEY,
        ProductInventoryReservationFailed::DIRECT_ROUTING_KEY,
        ProductInventoryReleased::DIRECT_ROUTING_KEY,
        ProductInventoryCommitted::DIRECT_ROUTING_KEY,
        ProductInventoryReservationExpired::DIRECT_ROUTING_KEY,
    ],
    max_length: JOURNAL_MAX_LENGTH,
    message_ttl: JOURNAL_MESSAGE_TTL,
};

/// The orders' facts nobody consumes yet.
pub const ORDER_JOURNAL: Journal = Journal {
    queue: "order_events.journal",
    exchange: ORDER_EXCHANGE,
    routing_keys: &[
        OrderConfirmed::ROUTING_KEY,
        PaymentAuthorized::ROUTING_KEY,
        PaymentFailed::ROUTING_KEY,
        PaymentCaptured::ROUTING_KEY,
        PaymentVoided::ROUTING_KEY,
        PaymentRefunded::ROUTING_KEY,
    ],
    max_length: JOURNAL_MAX_LENGTH,
    message_ttl: JOURNAL_MESSAGE_TTL,
};

/// One journal per exchange.
pub const JOURNALS: [Journal; 2] = [INVENTORY_JOURNAL, ORDER_JOURNAL];

/// The journal of `exchange` (a logical name), if it has one.
pub fn journal_of(exchange: &str) -> Option<&'static Journal> {
    let journals: &'static [Journal] = &JOURNALS;
    journals.iter().find(|journal| journal.exchange == exchange)
}

/// The queues bound to `routing_key` on `exchange`: the consumers' queues, or the
/// exchange's journal. Empty for a key no table entry binds.
pub fn queues_bound_to(exchange: &str, routing_key: &str) -> Vec<&'static str> {
    let consumers = SUBSCRIPTIONS
        .iter()
        .filter(|s| s.exchange == exchange && s.routing_keys.contains(&routing_key))
        .map(|s| s.queue);
    let journal = JOURNALS
        .iter()
        .filter(|j| j.exchange == exchange && j.routing_keys.contains(&routing_key))
        .map(|j| j.queue);
    consumers.chain(journal).collect()
}
