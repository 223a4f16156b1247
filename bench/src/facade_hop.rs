//! The facade hop: what inventory-api's extra HTTP hop costs a request. The same stock
//! reads and the same spread reservations run at the same fixed rate twice, through
//! inventory-api and straight to inventory-service, which serves the same routes and
//! bodies; the difference of their percentiles is the hop's cost (a second request and
//! answer on loopback, the facade's validation and its access layer). inventory-service
//! asks no key: it trusts its callers, the facade is where they are authenticated.
//!
//! Open loop at a moderate rate, so that both sides carry the same load and neither
//! queues: a closed loop would give the faster side more load, and the difference would
//! be of two loads, not of two paths.

use serde::Serialize;

use crate::{
    report::{Latency, Mode, RunFigures, round2},
    scenario::Scenario,
};

/// The work measured both ways.
pub const SCENARIOS: [Scenario; 2] = [Scenario::StockReads, Scenario::SpreadReservations];
/// The path through the facade, as a run's `via` names it.
pub const THROUGH_FACADE: &str = "inventory-api";
/// The direct path.
pub const DIRECT: &str = "inventory-service";

/// One kind of request, both ways.
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

/// Pairs the runs through the facade with the direct ones of the same work and rate.
pub fn costs(results: &[RunFigures]) -> Vec<HopCost> {
    results
        .iter()
        .filter(|run| run.via == Some(THROUGH_FACADE))
        .filter_map(|facade| {
            let direct = results.iter().find(|run| {
                run.via == Some(DIRECT)
                    && run.scenario == facade.scenario
                    && run.mode == facade.mode
            })?;
            let Mode::OpenLoop { rate_per_sec } = facade.mode else {
                return None;
            };
            Some(HopCost {
                scenario: facade.scenario,
                rate_per_sec,
                through_facade_ms: facade.latency_ms.clone(),
                direct_ms: direct.latency_ms.clone(),
                cost_p50_ms: round2(facade.latency_ms.p50 - direct.latency_ms.p50),
                cost_p99_ms: round2(facade.latency_ms.p99 - direct.latency_ms.p99),
                errors: facade.errors + direct.errors,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        scenario::Outcome,
        tally::{Measurement, Tally},
    };

    fn run(via: &'static str, micros: u64) -> RunFigures {
        let mut tally = Tally::new();
        for _ in 0..100 {
            tally.record(Duration::from_micros(micros), Outcome::Success);
        }
        let mut run = RunFigures::new(
            Scenario::StockReads,
            Mode::OpenLoop {
                rate_per_sec: 500.0,
            },
            &Measurement {
                tally,
                elapsed: Duration::from_secs(1),
                schedule_lag_max: None,
            },
        );
        run.via = Some(via);
        run
    }

    #[test]
    fn the_cost_is_the_facade_minus_the_direct_path() {
        let costs = costs(&[run(THROUGH_FACADE, 1_500), run(DIRECT, 1_000)]);
        assert_eq!(costs.len(), 1);
        assert_eq!(costs[0].cost_p50_ms, 0.5);
        assert_eq!(costs[0].cost_p99_ms, 0.5);
        assert_eq!(costs[0].rate_per_sec, 500.0);
    }

    #[test]
    fn a_run_without_its_other_half_has_no_cost() {
        assert!(costs(&[run(THROUGH_FACADE, 1_500)]).is_empty());
    }
}
