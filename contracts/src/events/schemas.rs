//! JSON Schemas of the events, generated from the types: one per event type, each the
//! schema of the whole envelope, so a consumer in any language can validate a message.
//!
//! They are JSON Schema draft-07, the dialect AsyncAPI 3.0 payloads reference
//! (`docs/asyncapi.yaml`) and the one validators in most languages read. The committed
//! copies live in `contracts/schemas/`; a test keeps them in step with the types.
//! Nothing here reads or writes files.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::{
    Envelope, EventType, OrderCancelled, OrderCommitRequested, OrderConfirmed, OrderCreated,
    PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided,
    ProductInventoryBelowSafetyStock, ProductInventoryCommitFailed, ProductInventoryCommitted,
    ProductInventoryCreated, ProductInventoryDepleted, ProductInventoryPriceChanged,
    ProductInventoryReleased, ProductInventoryReplenished, ProductInventoryReservationExpired,
    ProductInventoryReservationFailed, ProductInventoryReserved, ProductInventoryStockChanged,
    ProductInventoryTransferred,
};

/// Every event's envelope schema, keyed by its file name
/// (`<EventType>.v<VERSION>.schema.json`), in the order of [`super::ALL_EVENT_TYPES`].
pub fn schemas() -> Vec<(String, Value)> {
    vec![
        envelope_schema::<ProductInventoryCreated>(),
        envelope_schema::<ProductInventoryReserved>(),
        envelope_schema::<ProductInventoryReservationFailed>(),
        envelope_schema::<ProductInventoryReleased>(),
        envelope_schema::<ProductInventoryCommitted>(),
        envelope_schema::<ProductInventoryCommitFailed>(),
        envelope_schema::<ProductInventoryReplenished>(),
        envelope_schema::<ProductInventoryReservationExpired>(),
        envelope_schema::<ProductInventoryDepleted>(),
        envelope_schema::<ProductInventoryBelowSafetyStock>(),
        envelope_schema::<ProductInventoryStockChanged>(),
        envelope_schema::<ProductInventoryTransferred>(),
        envelope_schema::<ProductInventoryPriceChanged>(),
        envelope_schema::<OrderCreated>(),
        envelope_schema::<OrderCommitRequested>(),
        envelope_schema::<OrderConfirmed>(),
        envelope_schema::<OrderCancelled>(),
        envelope_schema::<PaymentAuthorized>(),
        envelope_schema::<PaymentFailed>(),
        envelope_schema::<PaymentCaptured>(),
        envelope_schema::<PaymentVoided>(),
        envelope_schema::<PaymentRefunded>(),
    ]
}

/// The file name of an event type's schema.
fn schema_file_name<T: EventType>() -> String {
    format!("{}.v{}.schema.json", T::TYPE, T::VERSION)
}

/// The schema of `Envelope<T>`, with `type` and `version` pinned to the event's own, so
/// that a message of another type or major version fails validation.
fn envelope_schema<T: EventType>() -> (String, Value) {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Envelope<T>>();
    schema.insert("title".to_owned(), json!(T::TYPE));
    if let Some(event_type) = schema.pointer_mut("/properties/type") {
        event_type["const"] = json!(T::TYPE);
    }
    if let Some(version) = schema.pointer_mut("/properties/version") {
        version["const"] = json!(T::VERSION);
    }
    (schema_file_name::<T>(), schema.to_value())
}
