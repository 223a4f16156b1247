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

use crate::figures::{
    Comparison, LimitFigures, LimitKind, Measure, Mode, RunFigures, Scenario, round2,
};

/// The limit a run of `scenario` under `mode` is read against, if any: it is taken
/// under the same mode.
pub fn reference_for(scenario: Scenario, mode: Mode) -> Option<(LimitKind, Measure)> {
    match (scenario, mode) {
        (Scenario::HotReservations, Mode::ClosedLoop { .. }) => {
            Some((LimitKind::PgbenchHotReservation, Measure::Throughput))
        }
        (Scenario::SpreadReservations, Mode::ClosedLoop { .. }) => {
            Some((LimitKind::PgbenchSpreadReservation, Measure::Throughput))
        }
        (Scenario::StockReads, Mode::ClosedLoop { .. }) => {
            Some((LimitKind::PgbenchPointRead, Measure::Throughput))
        }
        (Scenario::EventHop, Mode::OpenLoop { .. }) => {
            Some((LimitKind::BrokerPublishConsume, Measure::P99Latency))
        }
        _ => None,
    }
}

/// `run` against its limit among `limits`; `None` when no limit applies to it.
pub fn compare(run: &RunFigures, limits: &[LimitFigures]) -> Option<Comparison> {
    let (limit, measure) = reference_for(run.scenario, run.mode)?;
    let found = limits
        .iter()
        .find(|l| l.limit == limit && l.mode == run.mode);
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
        limit_mode: run.mode,
        measure,
        system,
        reference,
        ratio: reference.and_then(|r| ratio(system, r)),
    })
}

/// `system / reference` to three decimals; none when the reference is not positive.
pub fn ratio(system: f64, reference: f64) -> Option<f64> {
    (reference > 0.0 && reference.is_finite()).then(|| round2(system / reference * 10.0) / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Latency, sample_run};

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
        let at4 = Mode::ClosedLoop { concurrency: 4 };
        let at16 = Mode::ClosedLoop { concurrency: 16 };
        let limits = [
            limit(LimitKind::PgbenchHotReservation, at4, 900.0, 1.0),
            limit(LimitKind::PgbenchHotReservation, at16, 1_000.0, 1.0),
            limit(LimitKind::PgbenchSpreadReservation, at16, 4_000.0, 1.0),
        ];
        let hot = sample_run(Scenario::HotReservations, at16, 600, 1_000, 0);
        let hot = compare(&hot, &limits).unwrap();
        assert_eq!((hot.reference, hot.ratio), (Some(1_000.0), Some(0.6)));
        let spread = sample_run(Scenario::SpreadReservations, at16, 1_000, 1_000, 0);
        assert_eq!(compare(&spread, &limits).unwrap().ratio, Some(0.25));
    }

    #[test]
    fn the_event_hop_is_compared_by_p99_at_the_same_rate() {
        let rate = Mode::OpenLoop {
            rate_per_sec: 1000.0,
        };
        let flat_out = Mode::FlatOut { in_flight: 512 };
        let limits = [
            limit(LimitKind::BrokerPublishConsume, flat_out, 9e4, 80.0),
            limit(LimitKind::BrokerPublishConsume, rate, 1000.0, 2.0),
        ];
        let hop = compare(&sample_run(Scenario::EventHop, rate, 10, 8_000, 0), &limits).unwrap();
        assert_eq!(hop.measure, Measure::P99Latency);
        assert_eq!((hop.system, hop.ratio), (8.0, Some(4.0)));
    }

    #[test]
    fn a_missing_limit_has_no_ratio_and_open_loop_reservations_no_limit() {
        let at4 = Mode::ClosedLoop { concurrency: 4 };
        let reads = sample_run(Scenario::StockReads, at4, 10, 1_000, 0);
        assert_eq!(compare(&reads, &[]).unwrap().ratio, None);
        let unmeasured = [LimitFigures::unavailable(
            LimitKind::PgbenchPointRead,
            at4,
            "x",
        )];
        assert_eq!(compare(&reads, &unmeasured).unwrap().ratio, None);
        let rate = Mode::OpenLoop {
            rate_per_sec: 300.0,
        };
        for scenario in [
            Scenario::HotReservations,
            Scenario::Checkout,
            Scenario::EventSaga,
        ] {
            assert!(reference_for(scenario, rate).is_none());
        }
    }
}
