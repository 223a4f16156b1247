//! After real traffic through every service, `/metrics` exports every metric name the
//! Grafana dashboards query (read out of the dashboards by `infra/check.sh`), and route
//! labels are templates, never raw paths.

use std::{collections::BTreeSet, path::Path, process::Command};

use serde_json::json;

use crate::helpers::spawn_system;

fn dashboard_metrics() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("infra/check.sh"))
        .args(["metrics-used", "--services"])
        .output()
        .expect("run infra/check.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_metric_a_dashboard_queries_is_exported_with_route_templates() {
    let system = spawn_system().await;
    system.create_stock("ABC-1234-AB", 3).await;
    let ok = system
        .checkout(json!([{"sku": "ABC-1234-AB", "qty": 1}]), None)
        .await;
    assert!(ok.status().is_success());
    let short = system
        .checkout(json!([{"sku": "ABC-1234-AB", "qty": 9}]), None)
        .await;
    assert_eq!(short.status(), reqwest::StatusCode::CONFLICT);
    system
        .stock_until("ABC-1234-AB", |s| s.reserved == 0 && s.on_hand == 2)
        .await;
    // A front door whose order-service is gone answers 503: an error to count.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broken = crate::helpers::start_order_api(order_api::config::Settings::for_tests(
        &format!("http://127.0.0.1:{closed}"),
        &system.inventory_api.address,
    ))
    .await;
    let unavailable = crate::helpers::checkout_at(
        &system.client,
        &broken.address,
        json!([{"sku": "ABC-1234-AB", "qty": 1}]),
        None,
    )
    .await;
    assert_eq!(
        unavailable.status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    system
        .client
        .post(format!(
            "{}/inventory/ABC-1234-AB/replenish",
            system.inventory_api.address
        ))
        .json(&json!({"qty": 1}))
        .send()
        .await
        .unwrap();

    // An inventory-api with its stock view, as deployed, following the same broker.
    let inventory_service = &system.inventory_service.as_ref().unwrap().address;
    let mut with_view = inventory_api::config::Settings::for_tests(inventory_service);
    with_view.stock_view = Some(inventory_api::config::StockViewSettings::for_tests(
        &system.inventory_settings.backbone.amqp_name_prefix,
    ));
    let viewing = crate::helpers::start_inventory_api_with(with_view).await;
    for _ in 0..100 {
        let ready: serde_json::Value = system
            .client
            .get(format!("{}/readyz", viewing.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ready["stockView"]["state"] == "live" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    system
        .client
        .post(format!(
            "{}/inventory/ABC-1234-AB/replenish",
            system.inventory_api.address
        ))
        .json(&json!({"qty": 1}))
        .send()
        .await
        .unwrap();
    system
        .client
        .get(format!("{}/inventory/ABC-1234-AB", viewing.address))
        .send()
        .await
        .unwrap();

    // One process, one registry: every service's metrics are on each /metrics.
    let mut exported = String::new();
    for _ in 0..100 {
        exported = system
            .client
            .get(format!("{}/metrics", system.order_api.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if exported.contains("orders_by_status")
            && exported.contains("inventory_active_reservations")
            // Recorded once the view has applied the replenishment's event.
            && exported.contains("stock_view_event_delay_seconds_bucket")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let names: BTreeSet<&str> = exported
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let missing: Vec<String> = dashboard_metrics()
        .into_iter()
        .filter(|m| !names.contains(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "dashboards query metrics nobody exports: {missing:?}"
    );
    for line in exported.lines().filter(|l| l.contains("route=\"")) {
        let route = line
            .split("route=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let raw_id = route
            .split('/')
            .any(|segment| uuid::Uuid::parse_str(segment).is_ok());
        assert!(
            route == "unmatched"
                || (route.starts_with('/') && !route.contains("ABC-1234-AB") && !raw_id),
            "raw path in a route label: {line}"
        );
    }
    assert!(
        exported.contains(r#"route="/orders/{id}"#) || exported.contains(r#"route="/checkout""#)
    );
}
