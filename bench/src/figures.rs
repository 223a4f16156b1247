//! The bench's vocabulary: what a run is (its scenario, how it applied load), what it
//! counted, the figures of a run of the services and of a reference limit, the verdicts
//! read on them, and the conditions each run was taken in.
//!
//! Pure data, shared by every other module: it imports none of them.

use std::{collections::BTreeMap, fmt, time::Duration};

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use serde::{Serialize, Serializer};

/// Slowest latency the histogram resolves: slower ones are recorded as this.
const HIGHEST_MICROS: u64 = 60_000_000;

/// A workload (the requests behind each are in `scenario`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `GET /inventory/{sku}` over the spread SKUs.
    StockReads,
    /// Reservations of one unit, a fresh order each time, all on the one hot SKU.
    HotReservations,
    /// Reservations of one unit, a fresh order each time, over the spread SKUs.
    SpreadReservations,
    /// Spread reservations as the load, timed from each event's `occurredAt` to its
    /// arrival at a consumer: commit → outbox → relay → broker → consumer.
    EventHop,
    /// Orders placed on order-service and handed over: placement → `OrderConfirmed`.
    EventSaga,
    /// `POST /checkout` on order-api with two lines: the HTTP-first saga.
    Checkout,
    /// The same checkout paid by card (`tok_visa`, the sandbox provider): authorize
    /// between reserve and commit, capture on confirm.
    PaidCheckout,
}

impl Scenario {
    /// The scenarios run closed loop at each concurrency, then open loop.
    pub const ALL: [Scenario; 3] = [
        Scenario::StockReads,
        Scenario::HotReservations,
        Scenario::SpreadReservations,
    ];

    pub fn is_read(self) -> bool {
        self == Scenario::StockReads
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::StockReads => "stock_reads",
            Scenario::HotReservations => "hot_sku_reservations",
            Scenario::SpreadReservations => "spread_reservations",
            Scenario::EventHop => "event_hop",
            Scenario::EventSaga => "event_saga",
            Scenario::Checkout => "checkout_http_first",
            Scenario::PaidCheckout => "checkout_paid_http_first",
        })
    }
}

/// Written as its name, the same word the tables use.
impl Serialize for Scenario {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How a run applied load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum Mode {
    /// N workers, each waiting for its answer before sending again.
    ClosedLoop { concurrency: usize },
    /// Requests due at a fixed rate, sent whatever the answers.
    OpenLoop { rate_per_sec: f64 },
    /// As fast as the other side confirms, with at most `in_flight` unconfirmed.
    FlatOut { in_flight: usize },
}

impl Mode {
    pub fn label(&self) -> String {
        match self {
            Mode::ClosedLoop { concurrency } => format!("closed loop, {concurrency} workers"),
            Mode::OpenLoop { rate_per_sec } => format!("open loop, {rate_per_sec}/s"),
            Mode::FlatOut { in_flight } => format!("flat out, {in_flight} unconfirmed"),
        }
    }
}

/// How one request (or message) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The server answered with a non-2xx status.
    Status(u16),
    /// No answer: connection error or client timeout.
    Transport,
}

/// Latencies (microseconds) of the successes, and the errors by kind.
#[derive(Debug, Clone)]
pub struct Tally {
    pub latency_micros: Histogram<u64>,
    pub successes: u64,
    /// `"409"`, `"503"`, `"transport"`, `"nack"`, ... → count.
    pub errors: BTreeMap<String, u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            // 3 significant figures: 0.1 % precision from 1 µs to a minute.
            latency_micros: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .expect("static histogram bounds are valid"),
            successes: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl Tally {
    /// Only successes enter the latencies: a fast refusal is not fast service.
    pub fn record(&mut self, latency: Duration, outcome: Outcome) {
        match outcome {
            Outcome::Success => {
                self.successes += 1;
                let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                self.latency_micros.saturating_record(micros.max(1));
            }
            Outcome::Status(code) => self.count_error(&code.to_string()),
            Outcome::Transport => self.count_error("transport"),
        }
    }

    pub fn count_error(&mut self, kind: &str) {
        self.add_errors(kind, 1);
    }

    pub fn add_errors(&mut self, kind: &str, count: u64) {
        if count > 0 {
            *self.errors.entry(kind.to_owned()).or_default() += count;
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        self.latency_micros
            .add(&other.latency_micros)
            .expect("histograms of the same bounds add up");
        self.successes += other.successes;
        self.merge_errors(other);
    }

    pub fn merge_errors(&mut self, other: &Tally) {
        for (kind, count) in &other.errors {
            self.add_errors(kind, *count);
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// A finished run: its tally and how long it took.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub tally: Tally,
    /// From the first request sent (or scheduled) to the last answer.
    pub elapsed: Duration,
    /// Open loop only: how far behind its schedule the generator itself fell at worst.
    /// A large value means the figures describe the generator, not the service.
    pub schedule_lag_max: Option<Duration>,
}

/// Latency percentiles in milliseconds, two decimals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// The percentiles of a histogram of microseconds; all zero when it is empty.
    pub fn of(micros: &Histogram<u64>) -> Self {
        let at = |q: f64| {
            if micros.is_empty() {
                0.0
            } else {
                millis(micros.value_at_quantile(q))
            }
        };
        Self {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// One scenario of the services under one mode.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFigures {
    pub scenario: Scenario,
    pub mode: Mode,
    /// The service the requests went to, where the facade hop names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'static str>,
    pub requests: u64,
    pub successes: u64,
    /// Non-2xx answers and transport errors.
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Successes per second of the run; for a closed loop, the throughput it sustains.
    pub throughput_per_sec: f64,
    /// Of successful requests; open loop: from the time each was due.
    pub latency_ms: Latency,
    pub elapsed_secs: f64,
    /// Open loop only: worst delay of the generator behind its own schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_lag_max_ms: Option<f64>,
    /// This run against the reference limit it is read with, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_limit: Option<Comparison>,
    /// The goal the specification sets for this run, where it sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<GoalCheck>,
    /// How long the wait for a quiet system took before the run, and what it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_start: Option<QuietStart>,
    /// CPU and memory of the system's processes over the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// inventory-api's stock view over the run, for the runs sent to inventory-api.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_view: Option<ViewFigures>,
}

impl RunFigures {
    pub fn new(scenario: Scenario, mode: Mode, measured: &Measurement) -> Self {
        let tally = &measured.tally;
        Self {
            scenario,
            mode,
            via: None,
            requests: tally.successes + tally.error_count(),
            successes: tally.successes,
            errors: tally.error_count(),
            errors_by_kind: tally.errors.clone(),
            throughput_per_sec: per_second(tally.successes, measured.elapsed),
            latency_ms: Latency::of(&tally.latency_micros),
            elapsed_secs: round2(measured.elapsed.as_secs_f64()),
            schedule_lag_max_ms: measured.schedule_lag_max.map(duration_millis),
            vs_limit: None,
            goal: None,
            quiet_start: None,
            resources: None,
            stock_view: None,
        }
    }

    /// With how the run started and what it used.
    pub fn under(mut self, quiet_start: QuietStart, resources: Resources) -> Self {
        self.quiet_start = Some(quiet_start);
        self.resources = Some(resources);
        self
    }

    /// The scenario, and the service it went to when named: `stock_reads via inventory-api`.
    pub fn work(&self) -> String {
        match self.via {
            Some(via) => format!("{} via {via}", self.scenario),
            None => self.scenario.to_string(),
        }
    }

    /// `spread_reservations, open loop, 2000/s`.
    pub fn label(&self) -> String {
        format!("{}, {}", self.work(), self.mode.label())
    }
}

/// inventory-api's stock view over one run: where the stock reads were answered, and
/// how far the view trailed the database, from its `/metrics` scraped when the measured
/// window started and ended and sampled in between.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewFigures {
    /// Stock reads the view answered.
    pub reads_from_view: u64,
    /// Stock reads forwarded to inventory-service (the view was not live, too far
    /// behind, or had not the row at the version asked for).
    pub reads_forwarded: u64,
    /// Stock-change events the view took in.
    pub events_applied: u64,
    /// From a change's commit to the view applying it: p50 and p99 over the run,
    /// interpolated inside their bucket; `None` when no event was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_delay_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_delay_p99_ms: Option<f64>,
    /// The bucket that holds the p99, milliseconds: the p99 is known no finer. The upper
    /// bound is infinite (`null`) past the last finite bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_delay_p99_bucket_ms: Option<(f64, f64)>,
    /// The highest lag the view reported among the samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_max_ms: Option<f64>,
    /// Samples taken, and how many found the view not live.
    pub samples: u64,
    pub samples_not_live: u64,
    /// The view's lag against the event hop, for a run that changes stock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_goal: Option<GoalCheck>,
}

impl ViewFigures {
    /// Reads served from the view, as a share of all the reads counted; `None`: none.
    pub fn share_from_view(&self) -> Option<f64> {
        let all = self.reads_from_view + self.reads_forwarded;
        (all > 0).then(|| self.reads_from_view as f64 / all as f64)
    }
}

/// The best a scenario sustained among its closed-loop runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peak {
    pub scenario: Scenario,
    pub concurrency: usize,
    pub throughput_per_sec: f64,
    pub p99_ms: f64,
}

/// Which reference a limit row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// pgbench, the reservation statement, every client on the one hot SKU.
    PgbenchHotReservation,
    /// pgbench, the reservation statement over 10,000 SKUs.
    PgbenchSpreadReservation,
    /// pgbench, the service's read of one SKU.
    PgbenchPointRead,
    /// Persistent publish with confirms → consume, on a throwaway queue.
    BrokerPublishConsume,
}

impl LimitKind {
    /// The name of its table row.
    pub fn label(self) -> &'static str {
        match self {
            LimitKind::PgbenchHotReservation => "limit: pgbench hot-SKU reservation",
            LimitKind::PgbenchSpreadReservation => "limit: pgbench spread reservation",
            LimitKind::PgbenchPointRead => "limit: pgbench point read",
            LimitKind::BrokerPublishConsume => "limit: broker publish → consume",
        }
    }
}

/// One reference limit. Figures are `None` when it could not be measured (`note` says why).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitFigures {
    pub limit: LimitKind,
    pub mode: Mode,
    /// Transactions (pgbench) or messages consumed (broker) per second.
    pub throughput_per_sec: Option<f64>,
    /// pgbench: from its per-transaction log; broker: publish → consume.
    pub latency_ms: Option<Latency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_latency_ms: Option<f64>,
    /// Transactions or messages done.
    pub done: u64,
    /// Failed transactions, or messages refused, lost or unconfirmed.
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_lag_max_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl LimitFigures {
    /// A row for a limit that could not be measured.
    pub fn unavailable(limit: LimitKind, mode: Mode, note: impl Into<String>) -> Self {
        let note = note.into();
        Self {
            limit,
            mode,
            throughput_per_sec: None,
            latency_ms: None,
            average_latency_ms: None,
            done: 0,
            errors: 0,
            schedule_lag_max_ms: None,
            note: (!note.is_empty()).then_some(note),
        }
    }

    pub fn measured(limit: LimitKind, mode: Mode, measured: &Measurement) -> Self {
        let tally = &measured.tally;
        let latencies = &tally.latency_micros;
        Self {
            throughput_per_sec: Some(per_second(tally.successes, measured.elapsed)),
            latency_ms: (!latencies.is_empty()).then(|| Latency::of(latencies)),
            average_latency_ms: (!latencies.is_empty()).then(|| round2(latencies.mean() / 1e3)),
            done: tally.successes,
            errors: tally.error_count(),
            schedule_lag_max_ms: measured.schedule_lag_max.map(duration_millis),
            ..Self::unavailable(limit, mode, "")
        }
    }
}

/// What a run and its limit are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Measure {
    /// Successes per second; the ratio is the share of the limit reached (higher is better).
    Throughput,
    /// p99 latency; the ratio is how many times the limit's p99 (lower is better).
    P99Latency,
}

/// One run against one limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub limit: LimitKind,
    pub limit_mode: Mode,
    pub measure: Measure,
    /// The run's figure: ok/s or milliseconds.
    pub system: f64,
    /// The limit's figure, when it was measured.
    pub reference: Option<f64>,
    /// `system / reference`, three decimals.
    pub ratio: Option<f64>,
}

/// The verdict of a goal of the specification on one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GoalCheck {
    pub goal: String,
    /// `None`: not judged (no threshold, no limit measured, or another rate).
    pub met: Option<bool>,
    /// Why it was missed or not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A service level read on one run, or found with no run to read it on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceLevelCheck {
    pub level: String,
    /// The run's label; `None`: no run of the path was measured.
    pub run: Option<String>,
    pub p99_ms: Option<f64>,
    pub errors: u64,
    /// `None`: not measured.
    pub met: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What inventory-api's hop costs one kind of request, from a run each way.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HopCost {
    pub scenario: Scenario,
    pub rate_per_sec: f64,
    pub through_facade_ms: Latency,
    pub direct_ms: Latency,
    /// Through the facade minus direct, milliseconds; may come out below zero by noise.
    pub cost_p50_ms: f64,
    pub cost_p99_ms: f64,
    /// Errors of both runs: a side with errors is not the same work as the other.
    pub errors: u64,
}

/// What waits to be done, as far as it could be read (`None`: not read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    pub inventory_outbox: Option<u64>,
    pub orders_outbox: Option<u64>,
    /// Active holds due more than 5 s ago.
    pub overdue_holds: Option<u64>,
    /// Ready in the consumers' queues.
    pub ready: Option<u64>,
    /// Delivered to a consumer, not yet acknowledged.
    pub unacked: Option<u64>,
    /// In the consumers' retry queues, to come back.
    pub retrying: Option<u64>,
}

impl Backlog {
    fn figures(&self) -> [(&'static str, Option<u64>); 6] {
        [
            ("inventory outbox", self.inventory_outbox),
            ("orders outbox", self.orders_outbox),
            ("overdue holds", self.overdue_holds),
            ("ready", self.ready),
            ("unacked", self.unacked),
            ("retrying", self.retrying),
        ]
    }

    /// Everything read, summed.
    pub fn total(&self) -> u64 {
        self.figures().iter().filter_map(|(_, n)| *n).sum()
    }

    /// `none`, or the figures that are not zero: `inventory outbox 4200, ready 310`.
    pub fn describe(&self) -> String {
        let busy: Vec<String> = self
            .figures()
            .iter()
            .filter_map(|(name, n)| n.filter(|n| *n > 0).map(|n| format!("{name} {n}")))
            .collect();
        if busy.is_empty() {
            "none".to_owned()
        } else {
            busy.join(", ")
        }
    }
}

/// How a run started: how long the wait for quiet took, and what it found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuietStart {
    pub waited_secs: f64,
    /// At the first look.
    pub found: Backlog,
    /// Why the wait ended before the system was quiet; `None`: it was quiet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gave_up: Option<String>,
    /// At the last look, when the wait gave up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<Backlog>,
}

impl QuietStart {
    /// `quiet`, or why not and what was left.
    pub fn outcome(&self) -> String {
        match (&self.gave_up, &self.left) {
            (Some(why), Some(left)) => format!("{why}: {}", left.describe()),
            (Some(why), None) => why.clone(),
            _ => "quiet".to_owned(),
        }
    }
}

/// CPU and memory of every followed process over one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub window_secs: f64,
    /// Busy time of the whole machine, % of one core (at most cores × 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_cpu_percent: Option<f64>,
    /// Every followed process, always in the same order.
    pub processes: Vec<ProcessUse>,
}

/// One kind of process over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessUse {
    /// `inventory-api`, ..., `postgres`, `rabbitmq`, `bench`.
    pub process: &'static str,
    /// Processes of this kind found at the end of the window; 0: not running.
    pub count: usize,
    /// % of one core over the window.
    pub cpu_percent: f64,
    /// Resident memory at the end of the window, summed.
    pub rss_mib: f64,
}

/// The whole bench run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub started_at: DateTime<Utc>,
    pub target: String,
    /// `std::thread::available_parallelism` of the machine that ran everything.
    pub cores: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    pub duration_secs: f64,
    pub warmup_secs: f64,
    pub spread_skus: u64,
    /// The services' runs.
    pub results: Vec<RunFigures>,
    /// PostgreSQL and RabbitMQ alone, on the same machine, in the same run.
    pub limits: Vec<LimitFigures>,
    /// Per scenario, its best closed-loop throughput.
    pub peaks: Vec<Peak>,
    /// The service levels (SLA), read on every fixed-rate run of their paths.
    pub service_levels: Vec<ServiceLevelCheck>,
    /// What inventory-api's hop costs, from the facade hop's pairs of runs.
    pub facade_hops: Vec<HopCost>,
    /// The processes at rest before any load (after the first quiet start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle: Option<Resources>,
    /// The wait for quiet before the reference limits, when the services ran first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits_quiet_start: Option<QuietStart>,
    /// What could not be measured, and how the limits were taken.
    pub notes: Vec<String>,
}

/// Events per second over `elapsed`, two decimals.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    round2(count as f64 / elapsed.as_secs_f64().max(f64::EPSILON))
}

pub fn millis(micros: u64) -> f64 {
    round2(micros as f64 / 1000.0)
}

pub fn duration_millis(d: Duration) -> f64 {
    round2(d.as_secs_f64() * 1000.0)
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A run over one second: `successes` answers of `micros` each, and `errors` failures.
#[cfg(test)]
pub fn sample_run(
    scenario: Scenario,
    mode: Mode,
    successes: u64,
    micros: u64,
    errors: u64,
) -> RunFigures {
    let mut tally = Tally::default();
    for _ in 0..successes {
        tally.record(Duration::from_micros(micros), Outcome::Success);
    }
    tally.add_errors("transport", errors);
    let measured = Measurement {
        tally,
        elapsed: Duration::from_secs(1),
        schedule_lag_max: None,
    };
    RunFigures::new(scenario, mode, &measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_in_milliseconds_with_two_decimals_and_errors_kept_apart() {
        let mut tally = Tally::default();
        for micros in [1_234, 2_000, 3_000] {
            tally.record(Duration::from_micros(micros), Outcome::Success);
        }
        tally.record(Duration::from_millis(1), Outcome::Status(503));
        let mut other = Tally::default();
        other.record(Duration::from_secs(5), Outcome::Transport);
        tally.merge(&other);
        let measured = Measurement {
            tally,
            elapsed: Duration::from_secs(2),
            schedule_lag_max: Some(Duration::from_micros(1_506)),
        };
        let run = RunFigures::new(
            Scenario::StockReads,
            Mode::OpenLoop { rate_per_sec: 2.0 },
            &measured,
        );
        assert_eq!((run.requests, run.errors), (5, 2));
        assert_eq!(run.errors_by_kind["transport"], 1);
        assert_eq!(run.throughput_per_sec, 1.5);
        assert_eq!(run.latency_ms.p50, 2.0);
        assert_eq!(run.latency_ms.max, 3.0);
        assert_eq!(run.schedule_lag_max_ms, Some(1.51));
        assert_eq!(Latency::of(&Tally::default().latency_micros).p99, 0.0);
    }

    #[test]
    fn a_backlog_names_only_what_waits_and_a_start_that_gave_up_what_was_left() {
        let backlog = Backlog {
            inventory_outbox: Some(4200),
            orders_outbox: Some(0),
            ready: Some(310),
            ..Backlog::default()
        };
        assert_eq!(backlog.describe(), "inventory outbox 4200, ready 310");
        assert_eq!(Backlog::default().describe(), "none");
        let quiet = QuietStart {
            waited_secs: 0.5,
            found: backlog.clone(),
            gave_up: None,
            left: None,
        };
        assert_eq!(quiet.outcome(), "quiet");
        let stalled = QuietStart {
            gave_up: Some("stalled for 20s".into()),
            left: Some(backlog),
            ..quiet
        };
        assert_eq!(
            stalled.outcome(),
            "stalled for 20s: inventory outbox 4200, ready 310"
        );
    }
}
