//! The stock view on a real RabbitMQ, fed by events published straight to its exchange,
//! with a wiremock inventory-service serving the snapshot and the reads it forwards:
//! convergence whatever the order and repetition of events, reads never older than
//! asked for, the change streams, and recovery when its queue is deleted.

mod helpers;

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path, query_param},
};

use helpers::{Events, Publisher, STORE, fresh_prefix, spawn, spawn_with, stock, upstream};

#[tokio::test]
async fn the_view_converges_after_a_burst_of_duplicated_and_reordered_events() {
    let upstream = upstream(&[stock("central", "AAA-0000-AA", 1)], &[]).await;
    let prefix = fresh_prefix();
    let app = spawn(&upstream.uri(), &prefix).await;
    app.wait_live().await;
    let publisher = Publisher::connect(&prefix).await;

    // Ten SKUs at central, versions 1..=20 each, every version twice, newest first for
    // half of them; several rows per event, as one transaction changes several.
    let skus: Vec<String> = (0..10).map(|i| format!("AAA-{i:04}-AA")).collect();
    for _ in 0..2 {
        for version in 1..=20 {
            let items = skus
                .iter()
                .enumerate()
                .map(|(i, sku)| {
                    let v = if i % 2 == 0 { version } else { 21 - version };
                    stock("central", sku, v)
                })
                .collect();
            publisher.changed(items).await;
        }
    }
    for sku in &skus {
        let read = app.wait_version("central", sku, 20).await;
        assert_eq!(read["onHand"], 200, "{sku}");
        assert_eq!(read["storeId"], "central");
    }
    let report = app.wait_for("caught up", |r| r["eventsBehind"] == 0).await;
    assert_eq!(report["entries"], 10);
    // The central form reads the same row.
    let central: Value = app.json("/inventory/AAA-0003-AA").await;
    assert_eq!(central["version"], 20);
    // An older version published later changes nothing.
    publisher
        .changed(vec![stock("central", "AAA-0003-AA", 4)])
        .await;
    publisher
        .changed(vec![stock("central", "AAA-0003-AA", 21)])
        .await;
    app.wait_version("central", "AAA-0003-AA", 21).await;
}

#[tokio::test]
async fn reads_come_from_the_view_when_it_has_the_version_asked_for_else_from_inventory_service() {
    let upstream = upstream(&[stock("central", "MIN-0001-AA", 3)], &[]).await;
    let fresher = json!(stock("central", "MIN-0001-AA", 7));
    Mock::given(method("GET"))
        .and(path("/inventory/MIN-0001-AA"))
        .and(query_param("minVersion", "5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&fresher))
        .expect(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/locations/central/inventory/MIN-0001-AA"))
        .and(query_param("minVersion", "6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&fresher))
        .expect(1)
        .mount(&upstream)
        .await;
    let prefix = fresh_prefix();
    let app = spawn(&upstream.uri(), &prefix).await;
    app.wait_live().await;

    // The view holds version 3: it answers up to minVersion=3 itself...
    for query in ["", "?minVersion=1", "?minVersion=3"] {
        let read = app.json(&format!("/inventory/MIN-0001-AA{query}")).await;
        assert_eq!(read["version"], 3, "{query}");
    }
    // ...and past it, inventory-service answers: never older than asked for.
    let read = app.json("/inventory/MIN-0001-AA?minVersion=5").await;
    assert_eq!(read["version"], 7);
    let read = app
        .json("/locations/central/inventory/MIN-0001-AA?minVersion=6")
        .await;
    assert_eq!(read["version"], 7);

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for source in ["view", "upstream"] {
        assert!(
            metrics.contains(&format!("stock_view_reads_total{{source=\"{source}\"}}")),
            "{metrics}"
        );
    }
}

#[tokio::test]
async fn a_view_further_behind_than_its_lag_leaves_reads_to_inventory_service() {
    let upstream = upstream(&[stock("central", "LAG-0001-AA", 1)], &[]).await;
    Mock::given(method("GET"))
        .and(path("/inventory/LAG-0001-AA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(stock(
            "central",
            "LAG-0001-AA",
            9
        ))))
        .mount(&upstream)
        .await;
    let prefix = fresh_prefix();
    let app = spawn(&upstream.uri(), &prefix).await;
    app.wait_live().await;
    assert_eq!(app.json("/inventory/LAG-0001-AA").await["version"], 1);

    // An event applied ten seconds after it occurred: the view is 10 s behind.
    let publisher = Publisher::connect(&prefix).await;
    let ten_seconds_ago = chrono::Utc::now() - chrono::Duration::seconds(10);
    publisher
        .changed_at(ten_seconds_ago, vec![stock("central", "LAG-0001-AA", 2)])
        .await;
    let report = app
        .wait_for("10 s behind", |r| r["lagSeconds"].as_f64().unwrap() >= 9.0)
        .await;
    assert_eq!(report["state"], "live", "behind is not down");
    assert_eq!(app.json("/inventory/LAG-0001-AA").await["version"], 9);

    // Caught up again: the view answers.
    publisher
        .changed(vec![stock("central", "LAG-0001-AA", 3)])
        .await;
    app.wait_version("central", "LAG-0001-AA", 3).await;
}

#[tokio::test]
async fn the_lag_metrics_are_there_from_the_first_scrape() {
    let upstream = upstream(&[], &[]).await;
    let app = spawn(&upstream.uri(), &fresh_prefix()).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for name in [
        "stock_view_lag_seconds",
        "stock_view_lag_events",
        "stock_view_entries",
        "stock_view_live",
        "stock_view_reads_total{source=\"view\"}",
        "stock_view_reads_total{source=\"upstream\"}",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
}

#[tokio::test]
async fn a_change_stream_sends_its_stores_changes_only_in_order() {
    let upstream = upstream(&[], &[stock(STORE, "SSE-0001-AA", 1)]).await;
    let prefix = fresh_prefix();
    let app = spawn(&upstream.uri(), &prefix).await;
    app.wait_live().await;
    let publisher = Publisher::connect(&prefix).await;

    let mut events = Events::open(&app, STORE, None).await;
    // First the store's current stock.
    let snapshot = events.take(1).await;
    assert_eq!(
        (snapshot[0].event.as_str(), &snapshot[0].data["version"]),
        ("stock", &json!(1))
    );
    for version in 2..=6 {
        publisher
            .changed(vec![
                stock("central", "SSE-0001-AA", version),
                stock(STORE, "SSE-0001-AA", version),
            ])
            .await;
    }
    let changes = events.take(5).await;
    let versions: Vec<i64> = changes
        .iter()
        .map(|e| e.data["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 3, 4, 5, 6]);
    assert!(changes.iter().all(|e| e.data["storeId"] == STORE));
    let seqs: Vec<u64> = changes.iter().map(|e| seq(&e.id)).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert!(
        events.next(Duration::from_millis(500)).await.is_none(),
        "central's changes are not the store's"
    );
}

#[tokio::test]
async fn a_reconnect_with_the_last_event_id_gets_exactly_the_missed_changes() {
    let upstream = upstream(&[], &[stock(STORE, "RES-0001-AA", 1)]).await;
    let prefix = fresh_prefix();
    let app = spawn(&upstream.uri(), &prefix).await;
    app.wait_live().await;
    let publisher = Publisher::connect(&prefix).await;

    let mut events = Events::open(&app, STORE, None).await;
    events.take(1).await;
    publisher
        .changed(vec![stock(STORE, "RES-0001-AA", 2)])
        .await;
    let last = events.take(1).await.remove(0);
    drop(events);

    for version in 3..=5 {
        publisher
            .changed(vec![stock(STORE, "RES-0001-AA", version)])
            .await;
    }
    app.wait_version(STORE, "RES-0001-AA", 5).await;
    let mut resumed = Events::open(&app, STORE, Some(&last.id)).await;
    let missed = resumed.take(3).await;
    let versions: Vec<i64> = missed
        .iter()
        .map(|e| e.data["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 4, 5]);
    assert_eq!(seq(&missed[0].id), seq(&last.id) + 1);
    assert!(resumed.next(Duration::from_millis(300)).await.is_none());
    // Live after the replay.
    publisher
        .changed(vec![stock(STORE, "RES-0001-AA", 6)])
        .await;
    assert_eq!(resumed.take(1).await[0].data["version"], 6);

    // An id of another instance (or none this one knows): the current stock first.
    for unknown in [
        "0190e0f0aaaa-3",
        "garbage",
        &format!("{}-999999", epoch(&last.id)),
    ] {
        let mut fresh = Events::open(&app, STORE, Some(unknown)).await;
        let snapshot = fresh.take(1).await;
        assert_eq!(snapshot[0].data["version"], 6, "{unknown}");
        assert!(fresh.next(Duration::from_millis(300)).await.is_none());
    }
}

#[tokio::test]
async fn the_change_stream_of_an_unknown_store_is_a_404() {
    let upstream = upstream(&[], &[]).await;
    let app = spawn(&upstream.uri(), &fresh_prefix()).await;
    app.wait_live().await;
    let answer = app.get("/locations/nowhere/changes").await;
    assert_eq!(answer.status().as_u16(), 404);
    let problem: Value = answer.json().await.unwrap();
    assert_eq!(problem["code"], "unknown_location");
    let answer = app.get("/locations/no%20where/changes").await;
    assert_eq!(answer.status().as_u16(), 422);
}

#[tokio::test]
async fn a_deleted_queue_is_declared_again_and_the_view_takes_a_new_snapshot() {
    let upstream = upstream(&[stock("central", "DEL-0001-AA", 1)], &[]).await;
    let prefix = fresh_prefix();
    let app = spawn(&upstream.uri(), &prefix).await;
    let report = app.wait_live().await;
    let queue = report["queue"].as_str().unwrap().to_owned();
    assert!(
        queue.starts_with(&format!("{prefix}inventory-api.stock_view.")),
        "{queue}"
    );
    let snapshots_before = snapshots_taken(&upstream).await;

    delete_queue(&queue).await;
    // Down (reads forwarded: it pauses at least 100 ms before subscribing again)...
    app.wait_for("stale", |r| r["state"] != "live").await;
    // ...then subscribed again, with a new snapshot.
    let mut retries = 0;
    while snapshots_taken(&upstream).await <= snapshots_before {
        retries += 1;
        assert!(retries < 100, "no new snapshot was taken");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Live again means subscribed again: what is published now reaches the view.
    app.wait_live().await;
    let publisher = Publisher::connect(&prefix).await;
    publisher
        .changed(vec![stock("central", "DEL-0001-AA", 2)])
        .await;
    app.wait_version("central", "DEL-0001-AA", 2).await;
}

#[tokio::test]
async fn without_the_view_every_read_is_forwarded_and_there_is_no_change_stream() {
    let upstream = upstream(&[], &[]).await;
    Mock::given(method("GET"))
        .and(path("/inventory/OFF-0001-AA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(stock(
            "central",
            "OFF-0001-AA",
            4
        ))))
        .expect(1)
        .mount(&upstream)
        .await;
    let app = spawn_with(&upstream.uri(), &fresh_prefix(), |s| s.stock_view = None).await;
    assert_eq!(app.json("/inventory/OFF-0001-AA").await["version"], 4);
    let answer = app.get(&format!("/locations/{STORE}/changes")).await;
    assert_eq!(answer.status().as_u16(), 503);
    assert!(app.json("/readyz").await.get("stockView").is_none());
}

/// How many snapshots inventory-service served (each starts with `GET /locations`).
async fn snapshots_taken(upstream: &wiremock::MockServer) -> usize {
    upstream
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == "/locations")
        .count()
}

/// Deletes a queue as an operator would (the view's is exclusive to its connection, so
/// only the broker's own tools may).
async fn delete_queue(queue: &str) {
    let deleted = tokio::process::Command::new("rabbitmqctl")
        .args(["delete_queue", queue])
        .output()
        .await
        .expect("rabbitmqctl, to delete the view's queue");
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
}

fn seq(id: &str) -> u64 {
    id.rsplit_once('-').unwrap().1.parse().unwrap()
}

fn epoch(id: &str) -> &str {
    id.rsplit_once('-').unwrap().0
}

/// Reads served by the view through the whole HTTP stack, with the load generated in
/// the same process (so on the same cores): a floor of what the facade does alone.
/// `cargo test -p inventory-api --release --test view -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a check: run it on purpose, in release"]
async fn reads_from_the_view_measured() {
    let rows: Vec<_> = (0..1000)
        .map(|i| stock("central", &format!("FST-{i:04}-AA"), 1))
        .collect();
    let upstream = upstream(&rows, &[]).await;
    let app = spawn_with(&upstream.uri(), &fresh_prefix(), |s| {
        s.access = s.access.clone().with("MAX_CONCURRENT_REQUESTS", "1024");
    })
    .await;
    app.wait_for("every row", |r| {
        r["state"] == "live" && r["entries"] == 1000
    })
    .await;
    // The same load on `/healthz`, which does nothing: what the stack and the client
    // cost by themselves.
    for (label, path) in [("view reads", "/inventory/FST-"), ("healthz", "/healthz?")] {
        let (reads, per_second, p50, p99) = load(&app.url(path), 64, Duration::from_secs(5)).await;
        println!("{label}: {reads} in 5 s, {per_second:.0}/s, p50 {p50:?}, p99 {p99:?}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("stock_view_reads_total{source=\"view\"}"));
}

/// `clients` keep-alive clients reading `base` + a SKU number for `run_for`: reads done,
/// reads per second, p50 and p99.
async fn load(base: &str, clients: usize, run_for: Duration) -> (usize, f64, Duration, Duration) {
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let client = reqwest::Client::new();
            let base = base.to_owned();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = c;
                while started.elapsed() < run_for {
                    let url = format!("{base}{:04}-AA", i % 1000);
                    let sent = std::time::Instant::now();
                    let answer = client.get(url).send().await.unwrap();
                    assert_eq!(answer.status().as_u16(), 200);
                    answer.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                    i += clients;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let per_second = latencies.len() as f64 / started.elapsed().as_secs_f64();
    (latencies.len(), per_second, at(0.5), at(0.99))
}
