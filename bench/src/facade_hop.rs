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

use crate::figures::{HopCost, Mode, RunFigures, Scenario, round2};

/// The work measured both ways.
pub const SCENARIOS: [Scenario; 2] = [Scenario::StockReads, Scenario::SpreadReservations];
/// The path through the facade, as a run's `via` names it.
pub const THROUGH_FACADE: &str = "inventory-api";
/// The direct path.
pub const DIRECT: &str = "inventory-service";

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
    use super::*;
    use crate::figures::sample_run;

    fn run(via: &'static str, micros: u64) -> RunFigures {
        let mode = Mode::OpenLoop {
            rate_per_sec: 500.0,
        };
        let mut run = sample_run(Scenario::StockReads, mode, 100, micros, 0);
        run.via = Some(via);
        run
    }

    #[test]
    fn the_cost_is_the_facade_minus_the_direct_path() {
        let costs = costs(&[run(THROUGH_FACADE, 1_500), run(DIRECT, 1_000)]);
        assert_eq!(costs.len(), 1);
        assert_eq!((costs[0].cost_p50_ms, costs[0].cost_p99_ms), (0.5, 0.5));
        assert_eq!(costs[0].rate_per_sec, 500.0);
        assert!(super::costs(&[run(THROUGH_FACADE, 1_500)]).is_empty());
    }
}
