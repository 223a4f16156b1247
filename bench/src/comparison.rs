//! Each run of the services read against the reference limit it is comparable with:
//!
//! - closed-loop reservations against pgbench running the same reservation statement
//!   at the same concurrency and on the same kind of SKU (hot or spread): throughput;
//! - closed-loop stock reads against pgbench's point read at the same concurrency:
//!   throughput;
//! - the event hop against a raw publish → consume through RabbitMQ at the same rate:
//!   p99 latency.
//!
//! Pure: it only matches figures and divides.

use serde::Serialize;

use crate::{
    goal,
    limits::{LimitFigures, LimitKind},
    report::{Mode, RunFigures, round2},
    scenario::Scenario,
};

/// What is compared.
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

impl Comparison {
    /// The table's cell: `21.4 % of 7312.40/s` or `p99 8.20 × 1.21 ms`.
    pub fn cell(&self) -> String {
        match (self.measure, self.reference, self.ratio) {
            (Measure::Throughput, Some(reference), Some(ratio)) => {
                format!("{:.1} % of {reference:.2}/s", ratio * 100.0)
            }
            (Measure::P99Latency, Some(reference), Some(ratio)) => {
                format!("p99 {ratio:.2} × {reference:.2} ms")
            }
            _ => "n/a".to_owned(),
        }
    }
}

/// The limit a run of `scenario` under `mode` is read against, if any.
pub fn reference_for(scenario: Scenario, mode: Mode) -> Option<(LimitKind, Mode, Measure)> {
    let limit = match (scenario, mode) {
        (Scenario::HotReservations, Mode::ClosedLoop { .. }) => LimitKind::PgbenchHotReservation,
        (Scenario::SpreadReservations, Mode::ClosedLoop { .. }) => {
            LimitKind::PgbenchSpreadReservation
        }
        (Scenario::StockReads, Mode::ClosedLoop { .. }) => LimitKind::PgbenchPointRead,
        (Scenario::EventHop, Mode::OpenLoop { .. }) => {
            return Some((LimitKind::BrokerPublishConsume, mode, Measure::P99Latency));
        }
        _ => return None,
    };
    Some((limit, mode, Measure::Throughput))
}

/// `run` against its limit among `limits`; `None` when no limit applies to it.
pub fn compare(run: &RunFigures, limits: &[LimitFigures]) -> Option<Comparison> {
    let (limit, limit_mode, measure) = reference_for(run.scenario, run.mode)?;
    let found = limits
        .iter()
        .find(|l| l.limit == limit && l.mode == limit_mode);
    let (system, reference) = match measure {
        Measure::Throughput => (
            run.throughput_per_sec,
            found.and_then(|l| l.throughput_per_sec),
        ),
        Measure::P99Latency => (
            run.latency_ms.p99,
            found.and_then(|l| l.latency_ms.as_ref().map(|l| l.p99)),
        ),
    };
    Some(Comparison {
        limit,
        limit_mode,
        measure,
        system,
        reference,
        ratio: reference.and_then(|r| ratio(system, r)),
    })
}

/// Sets every run's comparison and goal.
pub fn annotate(results: &mut [RunFigures], limits: &[LimitFigures]) {
    for run in results {
        run.vs_limit = compare(run, limits);
        run.goal = goal::goal_for(run.scenario, run.mode)
            .map(|goal| goal::judge(goal, run, run.vs_limit.as_ref()));
    }
}

/// `system / reference` to three decimals; none when the reference is not positive.
pub fn ratio(system: f64, reference: f64) -> Option<f64> {
    (reference > 0.0 && reference.is_finite()).then(|| round2(system / reference * 10.0) / 10.0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        report::Latency,
        scenario::Outcome,
        tally::{Measurement, Tally},
    };

    fn run(scenario: Scenario, mode: Mode, successes: u64, micros: u64) -> RunFigures {
        let mut tally = Tally::new();
        for _ in 0..successes {
            tally.record(Duration::from_micros(micros), Outcome::Success);
        }
        RunFigures::new(
            scenario,
            mode,
            &Measurement {
                tally,
                elapsed: Duration::from_secs(1),
                schedule_lag_max: None,
            },
        )
    }

    fn limit(limit: LimitKind, mode: Mode, tps: f64, p99: f64) -> LimitFigures {
        LimitFigures {
            throughput_per_sec: Some(tps),
            latency_ms: Some(Latency {
                p50: p99 / 2.0,
                p95: p99,
                p99,
                max: p99,
            }),
            ..LimitFigures::unavailable(limit, mode, "")
        }
    }

    #[test]
    fn the_ratio_is_the_system_over_the_reference_to_three_decimals() {
        assert_eq!(ratio(1_395.0, 7_300.0), Some(0.191));
        assert_eq!(ratio(12.0, 4.0), Some(3.0));
        assert_eq!(ratio(1.0, 0.0), None);
    }

    #[test]
    fn reservations_are_compared_at_equal_concurrency_and_sku_kind() {
        let at16 = Mode::ClosedLoop { concurrency: 16 };
        let limits = [
            limit(
                LimitKind::PgbenchHotReservation,
                Mode::ClosedLoop { concurrency: 4 },
                900.0,
                1.0,
            ),
            limit(LimitKind::PgbenchHotReservation, at16, 1_000.0, 1.0),
            limit(LimitKind::PgbenchSpreadReservation, at16, 4_000.0, 1.0),
        ];
        let hot = compare(&run(Scenario::HotReservations, at16, 600, 1_000), &limits).unwrap();
        assert_eq!(hot.reference, Some(1_000.0));
        assert_eq!(hot.ratio, Some(0.6));
        assert_eq!(hot.cell(), "60.0 % of 1000.00/s");
        let spread = compare(
            &run(Scenario::SpreadReservations, at16, 1_000, 1_000),
            &limits,
        );
        assert_eq!(spread.unwrap().ratio, Some(0.25));
    }

    #[test]
    fn the_event_hop_is_compared_by_p99_at_the_same_rate() {
        let rate = Mode::OpenLoop {
            rate_per_sec: 1000.0,
        };
        let limits = [
            limit(
                LimitKind::BrokerPublishConsume,
                Mode::FlatOut { in_flight: 512 },
                9e4,
                80.0,
            ),
            limit(LimitKind::BrokerPublishConsume, rate, 1000.0, 2.0),
        ];
        let hop = compare(&run(Scenario::EventHop, rate, 10, 8_000), &limits).unwrap();
        assert_eq!(hop.measure, Measure::P99Latency);
        assert_eq!(hop.system, 8.0);
        assert_eq!(hop.ratio, Some(4.0));
        assert_eq!(hop.cell(), "p99 4.00 × 2.00 ms");
    }

    #[test]
    fn a_missing_or_unmeasured_limit_reads_not_available() {
        let at4 = Mode::ClosedLoop { concurrency: 4 };
        let reads = run(Scenario::StockReads, at4, 10, 1_000);
        let missing = compare(&reads, &[]).unwrap();
        assert_eq!(missing.cell(), "n/a");
        let unmeasured = [LimitFigures::unavailable(
            LimitKind::PgbenchPointRead,
            at4,
            "no pgbench",
        )];
        assert_eq!(compare(&reads, &unmeasured).unwrap().ratio, None);
    }

    #[test]
    fn open_loop_reservations_and_checkouts_have_no_limit() {
        let rate = Mode::OpenLoop {
            rate_per_sec: 300.0,
        };
        assert!(reference_for(Scenario::HotReservations, rate).is_none());
        assert!(reference_for(Scenario::Checkout, rate).is_none());
        assert!(reference_for(Scenario::EventSaga, rate).is_none());
    }
}
