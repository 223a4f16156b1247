//! The message of the raw broker limit: an envelope shaped and sized like the
//! `ProductInventoryReserved` the relay publishes, with the same properties and a
//! `traceparent` header, stamped with its send time, and the stamp the consumer reads.

use lapin::{
    BasicProperties,
    types::{AMQPValue, FieldTable, LongString},
};
use serde::Deserialize;

/// The body's stamp, all the consumer reads of it.
#[derive(Debug, Deserialize)]
pub struct Stamp {
    #[serde(rename = "sentMicros")]
    pub sent_micros: u64,
}

/// The message published: an envelope shaped and sized like `ProductInventoryReserved`,
/// built once, with the send time spliced in first.
#[derive(Debug)]
pub struct Envelope {
    rest: String,
    headers: FieldTable,
}

impl Envelope {
    pub fn new() -> Self {
        let order_id = uuid::Uuid::now_v7().to_string();
        let now = chrono::Utc::now();
        let envelope = serde_json::json!({
            "id": uuid::Uuid::now_v7(),
            "type": "ProductInventoryReserved",
            "version": 1,
            "source": "inventory-service",
            "occurredAt": now,
            "orderId": order_id,
            "correlationId": order_id,
            "data": {
                "orderId": order_id,
                "items": [{"sku": "BEN-0000-AA", "qty": 1}],
                "expiresAt": now + chrono::Duration::hours(1),
            },
        })
        .to_string();
        let mut headers = FieldTable::default();
        headers.insert(
            "traceparent".into(),
            AMQPValue::LongString(LongString::from(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )),
        );
        Self {
            // `{"id":...}` → `"id":...}`, to follow `{"sentMicros":N,`.
            rest: envelope.trim_start_matches('{').to_owned(),
            headers,
        }
    }

    pub fn body(&self, sent_micros: u64) -> String {
        format!("{{\"sentMicros\":{sent_micros},{}", self.rest)
    }

    pub fn properties(&self) -> BasicProperties {
        BasicProperties::default()
            .with_message_id(uuid::Uuid::now_v7().to_string().into())
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_type("ProductInventoryReserved".into())
            .with_timestamp(chrono::Utc::now().timestamp() as u64)
            .with_headers(self.headers.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_an_envelope_stamped_with_its_send_time() {
        let body = Envelope::new().body(1_234);
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["sentMicros"], 1_234);
        assert_eq!(value["type"], "ProductInventoryReserved");
        assert_eq!(value["data"]["items"][0]["qty"], 1);
        let stamp: Stamp = serde_json::from_str(&body).unwrap();
        assert_eq!(stamp.sent_micros, 1_234);
    }
}
