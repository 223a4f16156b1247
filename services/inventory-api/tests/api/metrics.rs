//! `/metrics`: the facade's HTTP metrics by route template, with its upstream failures
//! counted as errors, and the process and runtime gauges.

use std::time::Duration;

use crate::helpers::{closed_port_url, spawn_app};

#[tokio::test]
async fn requests_and_upstream_failures_are_counted_by_route_template() {
    let app = spawn_app(&closed_port_url().await).await;
    let failed = app.get("/inventory/MTR-4242-QQ").await.status();
    assert!(failed.is_server_error(), "{failed}");
    let code = failed.as_str();

    let expected = [
        format!(r#"http_server_requests_total{{method="GET",route="/inventory/{{sku}}",code="{code}"}}"#),
        format!(r#"http_server_requests_errors_total{{method="GET",route="/inventory/{{sku}}",code="{code}"}}"#),
        r#"http_server_request_duration_seconds_bucket{method="GET",route="/inventory/{sku}",le="0.0005"}"#.to_owned(),
        "\nprocess_resident_memory_bytes ".to_owned(),
        "\ntokio_workers ".to_owned(),
    ];
    let mut rendered = String::new();
    for _ in 0..50 {
        let response = app.get("/metrics").await;
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        rendered = response.text().await.unwrap();
        if expected.iter().all(|e| rendered.contains(e.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    for e in &expected {
        assert!(
            rendered.contains(e.as_str()),
            "missing {e:?} in:\n{rendered}"
        );
    }
    assert!(
        !rendered.contains("MTR-4242-QQ"),
        "a raw path leaked:\n{rendered}"
    );
}
