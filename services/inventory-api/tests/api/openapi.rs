//! `/openapi.json` describes every route the facade serves.

use serde_json::Value;

use crate::helpers::{closed_port_url, spawn_app};

#[tokio::test]
async fn the_openapi_document_is_json_listing_every_route_and_its_problems() {
    let app = spawn_app(&closed_port_url().await).await;

    let response = app.get("/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let doc: Value = response.json().await.expect("the document is JSON");

    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (route, verb) in [
        ("/inventory", "post"),
        ("/inventory/{sku}", "get"),
        ("/inventory/{sku}/reserve", "post"),
        ("/inventory/{sku}/release", "post"),
        ("/inventory/{sku}/confirm", "post"),
        ("/inventory/{sku}/replenish", "post"),
        ("/inventory/{sku}/movements", "get"),
        ("/reservations", "post"),
        ("/reservations/{orderId}/commit", "post"),
        ("/locations", "post"),
        ("/locations", "get"),
        ("/locations/{storeId}/inventory", "post"),
        ("/locations/{storeId}/inventory", "get"),
        ("/locations/{storeId}/inventory/{sku}", "get"),
        ("/locations/{storeId}/inventory/{sku}/reserve", "post"),
        ("/locations/{storeId}/inventory/{sku}/release", "post"),
        ("/locations/{storeId}/inventory/{sku}/confirm", "post"),
        ("/locations/{storeId}/inventory/{sku}/replenish", "post"),
        ("/locations/{storeId}/inventory/{sku}/movements", "get"),
        ("/locations/{storeId}/changes", "get"),
        ("/transfers", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            doc["paths"][route][verb].is_object(),
            "{verb} {route} is missing"
        );
    }
    for schema in [
        "CreateInventoryRequest",
        "StockView",
        "ReserveRequest",
        "ReleaseRequest",
        "ConfirmRequest",
        "ReplenishRequest",
        "MovementPageView",
        "CreateReservationRequest",
        "ReservationView",
        "ProblemDocument",
        "Shortage",
        "CreateLocationRequest",
        "LocationView",
        "LocationListView",
        "StockPageView",
        "TransferRequest",
        "TransferView",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} is missing"
        );
    }
    let reservation = &doc["paths"]["/reservations"]["post"]["responses"];
    assert!(reservation["409"]["content"]["application/problem+json"].is_object());
    assert_eq!(
        reservation["422"]["$ref"],
        "#/components/responses/InvalidInput"
    );
}
