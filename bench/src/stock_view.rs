//! inventory-api's stock view over a run, read from the service's `/metrics`: scraped
//! when the measured window starts and when it ends, and sampled every 100 ms between.
//!
//! - Reads: the difference of `stock_view_reads_total` between the two scrapes, by
//!   `source`: answered from the view (`view`) or forwarded to inventory-service (any
//!   other source).
//! - The view's delay: the difference of the `stock_view_event_delay_seconds` buckets
//!   (from a change's commit to the view applying it) between the two scrapes, its p50
//!   and p99 interpolated inside their bucket as PromQL's `histogram_quantile` does; they
//!   are no finer than the buckets (0.5, 1, 2.5, 5, 10, 25, 50 ms, ...).
//! - The view's lag: the highest `stock_view_lag_seconds` among the samples (the service
//!   refreshes that gauge every 250 ms, so a spike shorter than that may be missed), and
//!   how many samples found the view not live (`stock_view_live` 0: reads then go to
//!   inventory-service).
//!
//! `/metrics` sits outside the service's request limits and access log, so the samples
//! neither take a slot from the load nor count among its requests.

use std::{collections::BTreeMap, future::Future, time::Duration};

use anyhow::{Context, bail};
use reqwest::Client;
use tokio::sync::oneshot;

use crate::{
    figures::{ViewFigures, round2},
    prometheus_text::Scrape,
};

/// How often the lag is sampled during a run.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
const READS: &str = "stock_view_reads_total";
const EVENT_DELAY: &str = "stock_view_event_delay_seconds";
const LAG: &str = "stock_view_lag_seconds";
const LIVE: &str = "stock_view_live";
/// The `source` of a read the view answered; any other source is a forwarded read.
const FROM_VIEW: &str = "view";

/// Runs `work` while following the stock view of the inventory-api at `target`. The
/// view's figures are an error, saying why, when they could not be read (no answer at
/// `/metrics`, or no view on that instance); `work` runs either way.
pub async fn during<T>(
    client: &Client,
    target: &str,
    work: impl Future<Output = T>,
) -> (T, Result<ViewFigures, String>) {
    let start = match scrape(client, target).await {
        Ok(start) => start,
        Err(e) => return (work.await, Err(format!("{e:#}"))),
    };
    let (stop, stopped) = oneshot::channel();
    let sampler = tokio::spawn(sample(client.clone(), target.to_owned(), stopped));
    let output = work.await;
    let _ = stop.send(());
    let mut sampled = sampler.await.unwrap_or_default();
    let figures = match scrape(client, target).await {
        Ok(end) => {
            sampled.add(&start);
            sampled.add(&end);
            Ok(figures(&start, &end, &sampled))
        }
        Err(e) => Err(format!("{e:#}")),
    };
    (output, figures)
}

/// `GET {target}/metrics`, parsed; an error when it does not answer or holds no view.
async fn scrape(client: &Client, target: &str) -> anyhow::Result<Scrape> {
    let url = format!("{target}/metrics");
    let text = client
        .get(&url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("no answer at {url}"))?
        .text()
        .await
        .with_context(|| format!("reading {url}"))?;
    let scrape = Scrape::parse(&text);
    if !scrape.has(READS) {
        bail!("{url} has no {READS}: no stock view on this instance");
    }
    Ok(scrape)
}

/// The lag and the state of the view, as sampled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sampled {
    samples: u64,
    not_live: u64,
    lag_max_seconds: Option<f64>,
}

impl Sampled {
    fn add(&mut self, scrape: &Scrape) {
        self.samples += 1;
        if scrape.sum(LIVE).is_some_and(|live| live < 1.0) {
            self.not_live += 1;
        }
        if let Some(lag) = scrape.sum(LAG) {
            self.lag_max_seconds = Some(self.lag_max_seconds.map_or(lag, |max| max.max(lag)));
        }
    }
}

/// Scrapes every `SAMPLE_EVERY` until told to stop; a scrape that fails is skipped.
async fn sample(client: Client, target: String, mut stop: oneshot::Receiver<()>) -> Sampled {
    let mut sampled = Sampled::default();
    let mut every = tokio::time::interval(SAMPLE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The first tick is at once: the start's scrape was just taken.
    every.tick().await;
    loop {
        tokio::select! {
            _ = &mut stop => return sampled,
            _ = every.tick() => {
                if let Ok(scrape) = scrape(&client, &target).await {
                    sampled.add(&scrape);
                }
            }
        }
    }
}

/// The view's figures from the scrapes at the start and the end, and the samples.
fn figures(start: &Scrape, end: &Scrape, sampled: &Sampled) -> ViewFigures {
    let reads = counted_since(&end.sum_by(READS, "source"), &start.sum_by(READS, "source"));
    let from_view = reads.get(FROM_VIEW).copied().unwrap_or(0);
    let delays = end
        .histogram(EVENT_DELAY)
        .and_then(|now| match start.histogram(EVENT_DELAY) {
            Some(before) => now.since(&before),
            // Not rendered before the first event: all of it is new.
            None => Some(now),
        });
    let quantile_ms = |q| {
        delays
            .as_ref()
            .and_then(|d| d.quantile(q))
            .map(|seconds| round2(seconds * 1000.0))
    };
    ViewFigures {
        reads_from_view: from_view,
        reads_forwarded: reads.values().sum::<u64>() - from_view,
        events_applied: delays.as_ref().map_or(0, |d| d.count().round() as u64),
        event_delay_p50_ms: quantile_ms(0.50),
        event_delay_p99_ms: quantile_ms(0.99),
        event_delay_p99_bucket_ms: delays
            .as_ref()
            .and_then(|d| d.bucket_of(0.99))
            .map(|(below, bound)| (round2(below * 1000.0), round2(bound * 1000.0))),
        lag_max_ms: sampled.lag_max_seconds.map(|s| round2(s * 1000.0)),
        samples: sampled.samples,
        samples_not_live: sampled.not_live,
        lag_goal: None,
    }
}

/// Per label value, how much a counter grew; a counter that went down (the service
/// restarted) counts what it holds now.
fn counted_since(
    now: &BTreeMap<String, f64>,
    before: &BTreeMap<String, f64>,
) -> BTreeMap<String, u64> {
    now.iter()
        .map(|(key, &value)| {
            let earlier = before.get(key).copied().unwrap_or(0.0);
            let grown = if value >= earlier {
                value - earlier
            } else {
                value
            };
            (key.clone(), grown.round() as u64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(view: u64, upstream: u64, buckets: [u64; 4], lag: f64, live: u8) -> Scrape {
        let bounds = ["0.0005", "0.001", "0.0025", "+Inf"];
        let mut text = format!(
            "stock_view_reads_total{{source=\"view\"}} {view}\n\
             stock_view_reads_total{{source=\"upstream\"}} {upstream}\n\
             stock_view_lag_seconds {lag}\nstock_view_live {live}\n"
        );
        for (bound, count) in bounds.iter().zip(buckets) {
            text.push_str(&format!(
                "stock_view_event_delay_seconds_bucket{{le=\"{bound}\"}} {count}\n"
            ));
        }
        Scrape::parse(&text)
    }

    #[test]
    fn reads_and_delays_are_what_changed_between_the_two_scrapes() {
        let start = scrape(1_000, 10, [5, 5, 5, 5], 0.0001, 1);
        let end = scrape(31_000, 12, [5, 55, 105, 105], 0.0007, 1);
        let mut sampled = Sampled::default();
        for s in [&start, &scrape(0, 0, [0; 4], 0.0031, 0), &end] {
            sampled.add(s);
        }
        let view = figures(&start, &end, &sampled);
        assert_eq!((view.reads_from_view, view.reads_forwarded), (30_000, 2));
        assert_eq!(view.events_applied, 100);
        // 50 events in (0.5, 1] ms and 50 in (1, 2.5] ms.
        assert_eq!(view.event_delay_p50_ms, Some(1.0));
        assert_eq!(view.event_delay_p99_ms, Some(2.47));
        assert_eq!(view.event_delay_p99_bucket_ms, Some((1.0, 2.5)));
        assert_eq!(view.lag_max_ms, Some(3.1));
        assert_eq!((view.samples, view.samples_not_live), (3, 1));
        assert_eq!(view.share_from_view(), Some(30_000.0 / 30_002.0));
    }

    #[test]
    fn a_run_that_changes_nothing_has_no_delays() {
        let start = scrape(7, 0, [5, 5, 5, 5], 0.0, 1);
        let view = figures(&start, &start.clone(), &Sampled::default());
        assert_eq!(view.events_applied, 0);
        assert_eq!(
            (view.event_delay_p50_ms, view.event_delay_p99_ms),
            (None, None)
        );
        assert_eq!(view.share_from_view(), None);
        assert_eq!(view.lag_max_ms, None);
    }

    #[test]
    fn a_histogram_first_rendered_during_the_run_counts_whole_and_a_reset_counter_from_zero() {
        let start = Scrape::parse("stock_view_reads_total{source=\"view\"} 900\n");
        let end = scrape(40, 0, [0, 10, 10, 10], 0.0, 1);
        let view = figures(&start, &end, &Sampled::default());
        assert_eq!(view.events_applied, 10);
        assert_eq!(view.event_delay_p50_ms, Some(0.75));
        assert_eq!(view.reads_from_view, 40);
    }
}
