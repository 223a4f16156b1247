//! The envelope: what every message on the broker is, whatever its event.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;

/// What an event type declares about itself.
pub trait EventType: Serialize + DeserializeOwned + JsonSchema {
    /// `type` in the envelope, e.g. `ProductInventoryReserved`.
    const TYPE: &'static str;
    /// Major schema version; readers refuse a major they do not know.
    const VERSION: u32;
    /// Exchange the owner publishes it to.
    const EXCHANGE: &'static str;
    /// Routing key on that exchange.
    const ROUTING_KEY: &'static str;
}

/// An event about a hold. Published under [`EventType::ROUTING_KEY`] when the hold is the
/// saga's, and under [`HoldEvent::DIRECT_ROUTING_KEY`] (the same key ending in
/// `.direct`) when a client made it straight on the inventory. The saga binds only the
/// plain keys, so order-service never receives, decodes and acknowledges a hold it
/// cannot act on; a follower of every hold binds both (or `product.inventory.#`).
pub trait HoldEvent: EventType {
    const DIRECT_ROUTING_KEY: &'static str;
}

/// The routing key of a hold event: direct unless the hold is the saga's.
pub fn hold_routing_key<T: HoldEvent>(saga: bool) -> &'static str {
    if saga {
        T::ROUTING_KEY
    } else {
        T::DIRECT_ROUTING_KEY
    }
}

/// An event with its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// Unique per event; also the AMQP `message_id`; consumers deduplicate on it.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    /// The service that published it.
    pub source: String,
    pub occurred_at: DateTime<Utc>,
    /// The order the event is about, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// What ties related events together: the order id, else the SKU.
    pub correlation_id: String,
    pub data: T,
}

impl<T: EventType> Envelope<T> {
    /// A new event with a fresh time-ordered id.
    pub fn new(
        source: &str,
        occurred_at: DateTime<Utc>,
        order_id: Option<&str>,
        correlation_id: &str,
        data: T,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            event_type: T::TYPE.to_owned(),
            version: T::VERSION,
            source: source.to_owned(),
            occurred_at,
            order_id: order_id.map(str::to_owned),
            correlation_id: correlation_id.to_owned(),
            data,
        }
    }
}

/// An envelope whose `data` is not read yet: what a consumer parses first, to route
/// by `type` and refuse an unknown major `version` before reading the payload.
pub type RawEnvelope = Envelope<Value>;

impl RawEnvelope {
    /// Reads `data` as `T`, refusing another type or an unknown major version.
    pub fn decode<T: EventType>(self) -> Result<Envelope<T>, String> {
        if self.event_type != T::TYPE {
            return Err(format!("expected {}, got {}", T::TYPE, self.event_type));
        }
        if self.version != T::VERSION {
            return Err(format!(
                "{} version {} is not supported (this reader knows version {})",
                T::TYPE,
                self.version,
                T::VERSION
            ));
        }
        let data = serde_json::from_value(self.data)
            .map_err(|e| format!("{} data does not match its schema: {e}", T::TYPE))?;
        Ok(Envelope {
            id: self.id,
            event_type: self.event_type,
            version: self.version,
            source: self.source,
            occurred_at: self.occurred_at,
            order_id: self.order_id,
            correlation_id: self.correlation_id,
            data,
        })
    }
}
