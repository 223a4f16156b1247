//! The view's metrics, in the process's Prometheus registry: how far behind it is, how
//! many rows it holds, and where reads were answered.

use std::time::Duration;

use metrics::{Counter, Unit, counter, describe_counter, describe_gauge, describe_histogram};

use super::{FeedState, ViewReport};

const LAG_SECONDS: &str = "stock_view_lag_seconds";
const LAG_EVENTS: &str = "stock_view_lag_events";
const EVENT_DELAY: &str = "stock_view_event_delay_seconds";
const ENTRIES: &str = "stock_view_entries";
const LIVE: &str = "stock_view_live";
const READS: &str = "stock_view_reads_total";

fn describe() {
    telemetry::metrics::install();
    describe_gauge!(
        LAG_SECONDS,
        Unit::Seconds,
        "How far behind the stock view is: since the last applied event occurred while events wait in its queue, else that event's delay."
    );
    describe_gauge!(LAG_EVENTS, "Events waiting in the stock view's queue.");
    describe_histogram!(
        EVENT_DELAY,
        Unit::Seconds,
        "Time from an event's occurredAt to its application to the stock view."
    );
    describe_gauge!(ENTRIES, "Stock rows held by the stock view.");
    describe_gauge!(
        LIVE,
        "1 while the stock view is live (subscribed and its snapshot applied), else 0."
    );
    describe_counter!(
        READS,
        "Stock reads, by where they were answered: the view, or inventory-service."
    );
}

/// The two read counters, resolved once: a read only increments one.
#[derive(Debug)]
pub(super) struct Reads {
    view: Counter,
    upstream: Counter,
}

impl Reads {
    /// Describes every metric of the view and creates the read counters at zero.
    pub(super) fn register() -> Self {
        describe();
        let reads = Self {
            view: counter!(READS, "source" => "view"),
            upstream: counter!(READS, "source" => "upstream"),
        };
        reads.view.increment(0);
        reads.upstream.increment(0);
        reads
    }

    pub(super) fn count(&self, from_view: bool) {
        if from_view {
            self.view.increment(1);
        } else {
            self.upstream.increment(1);
        }
    }
}

pub(super) fn event_delay(delay: Duration) {
    metrics::histogram!(EVENT_DELAY).record(delay);
}

pub(super) fn gauges(report: &ViewReport) {
    metrics::gauge!(LAG_SECONDS).set(report.lag_seconds);
    metrics::gauge!(LAG_EVENTS).set(report.events_behind as f64);
    metrics::gauge!(ENTRIES).set(report.entries as f64);
    metrics::gauge!(LIVE).set(if report.state == FeedState::Live {
        1.0
    } else {
        0.0
    });
}
