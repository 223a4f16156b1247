//! The performance goals the specification sets, and whether a run met them:
//!
//! - reservations (closed loop) reach at least 60 % of pgbench's throughput for the same
//!   statement at the same concurrency;
//! - HTTP-first checkout: p99 ≤ 20 ms at 300/s;
//! - event hop (commit → consumer): p99 ≤ 5 ms at 1,000/s;
//! - event-driven saga: p99 ≤ 50 ms at 200/s;
//! - stock reads are read against PostgreSQL's own point-read limit, with no threshold.
//!
//! A latency goal is judged only at its own rate, and only on a run without errors: a
//! fast p99 of the few requests that succeeded is not a goal met.
//!
//! Beside them, the service levels (SLA) the system promises, a p99 bound per path with
//! no rate named: reserve (inventory-api) < 50 ms, order (checkout, order-api) < 80 ms,
//! event hop < 30 ms. Each is read on every fixed-rate run of its path, so the report
//! shows up to which load it holds; closed loops are left out, their latencies hide
//! queueing.

use crate::{
    facade_hop,
    figures::{Comparison, GoalCheck, Mode, RunFigures, Scenario, ServiceLevelCheck},
};

/// Share of the pgbench limit a reservation run must reach.
const RESERVATION_SHARE: f64 = 0.60;

/// A goal of the specification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Throughput at least this share of the comparable limit.
    ShareOfLimit { at_least: f64 },
    /// p99 at most `p99_ms` when the load is `rate_per_sec`.
    P99AtRate { p99_ms: f64, rate_per_sec: f64 },
    /// Reported against its limit, with no threshold.
    AgainstLimit,
}

impl Goal {
    pub fn describe(self) -> String {
        match self {
            Goal::ShareOfLimit { at_least } => format!("≥ {:.0} % of pgbench", at_least * 100.0),
            Goal::P99AtRate {
                p99_ms,
                rate_per_sec,
            } => format!("p99 ≤ {p99_ms} ms at {rate_per_sec}/s"),
            Goal::AgainstLimit => "vs PostgreSQL point read".to_owned(),
        }
    }
}

/// The goal that applies to a run of `scenario` under `mode`, if any.
pub fn goal_for(scenario: Scenario, mode: Mode) -> Option<Goal> {
    let p99_at = |p99_ms, rate_per_sec| Goal::P99AtRate {
        p99_ms,
        rate_per_sec,
    };
    match (scenario, mode) {
        (Scenario::HotReservations | Scenario::SpreadReservations, Mode::ClosedLoop { .. }) => {
            Some(Goal::ShareOfLimit {
                at_least: RESERVATION_SHARE,
            })
        }
        (Scenario::Checkout, Mode::OpenLoop { .. }) => Some(p99_at(20.0, 300.0)),
        (Scenario::EventHop, Mode::OpenLoop { .. }) => Some(p99_at(5.0, 1000.0)),
        (Scenario::EventSaga, Mode::OpenLoop { .. }) => Some(p99_at(50.0, 200.0)),
        (Scenario::StockReads, Mode::ClosedLoop { .. }) => Some(Goal::AgainstLimit),
        _ => None,
    }
}

/// Judges `run` (with its comparison, if any) against `goal`.
pub fn judge(goal: Goal, run: &RunFigures, vs_limit: Option<&Comparison>) -> GoalCheck {
    let (met, reason) = match goal {
        Goal::ShareOfLimit { at_least } => match vs_limit.and_then(|c| c.ratio) {
            Some(ratio) => (Some(ratio >= at_least), None),
            None => (None, Some("no limit measured".to_owned())),
        },
        Goal::P99AtRate {
            p99_ms,
            rate_per_sec,
        } => match run.mode {
            Mode::OpenLoop { rate_per_sec: rate } if rate != rate_per_sec => {
                (None, Some(format!("run at {rate}/s")))
            }
            Mode::OpenLoop { .. } => match clean_p99(run) {
                Ok(p99) => (Some(p99 <= p99_ms), None),
                Err(why) => (Some(false), Some(why)),
            },
            _ => (None, Some("not a fixed-rate run".to_owned())),
        },
        Goal::AgainstLimit => (None, None),
    };
    GoalCheck {
        goal: goal.describe(),
        met,
        reason,
    }
}

/// A service level: the p99 of a path stays under a bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceLevel {
    pub work: &'static str,
    pub p99_below_ms: f64,
    /// The runs of the path.
    scenarios: &'static [Scenario],
}

impl ServiceLevel {
    pub fn describe(&self) -> String {
        format!("{} p99 < {} ms", self.work, self.p99_below_ms)
    }

    /// A fixed-rate run of this path through its public door (not the facade hop's
    /// direct run, which skips inventory-api).
    fn applies_to(&self, run: &RunFigures) -> bool {
        self.scenarios.contains(&run.scenario)
            && matches!(run.mode, Mode::OpenLoop { .. })
            && run.via != Some(facade_hop::DIRECT)
    }
}

pub const SERVICE_LEVELS: [ServiceLevel; 3] = [
    ServiceLevel {
        work: "reserve",
        p99_below_ms: 50.0,
        scenarios: &[Scenario::HotReservations, Scenario::SpreadReservations],
    },
    ServiceLevel {
        work: "order (checkout)",
        p99_below_ms: 80.0,
        scenarios: &[Scenario::Checkout],
    },
    ServiceLevel {
        work: "event hop",
        p99_below_ms: 30.0,
        scenarios: &[Scenario::EventHop],
    },
];

/// Every service level against every run it applies to, in the runs' order; a level
/// with no run is listed as not measured.
pub fn check_service_levels(results: &[RunFigures]) -> Vec<ServiceLevelCheck> {
    let mut checks = Vec::new();
    for level in SERVICE_LEVELS {
        let before = checks.len();
        for run in results.iter().filter(|run| level.applies_to(run)) {
            let (met, reason) = match clean_p99(run) {
                Ok(p99) => (p99 < level.p99_below_ms, None),
                Err(why) => (false, Some(why)),
            };
            checks.push(ServiceLevelCheck {
                level: level.describe(),
                run: Some(run.label()),
                p99_ms: Some(run.latency_ms.p99),
                errors: run.errors,
                met: Some(met),
                reason,
            });
        }
        if checks.len() == before {
            checks.push(ServiceLevelCheck {
                level: level.describe(),
                run: None,
                p99_ms: None,
                errors: 0,
                met: None,
                reason: None,
            });
        }
    }
    checks
}

/// The run's p99, unless the run has errors or no successes: a fast p99 of the few
/// requests that succeeded keeps no goal and no level.
fn clean_p99(run: &RunFigures) -> Result<f64, String> {
    if run.successes == 0 {
        return Err("no successes".to_owned());
    }
    if run.errors > 0 {
        return Err(format!("{} errors", run.errors));
    }
    Ok(run.latency_ms.p99)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{LimitKind, Measure, sample_run};

    fn open(rate_per_sec: f64) -> Mode {
        Mode::OpenLoop { rate_per_sec }
    }

    fn share(ratio: Option<f64>) -> Comparison {
        Comparison {
            limit: LimitKind::PgbenchSpreadReservation,
            limit_mode: Mode::ClosedLoop { concurrency: 16 },
            measure: Measure::Throughput,
            system: 1.0,
            reference: ratio.map(|_| 1.0),
            ratio,
        }
    }

    #[test]
    fn reservations_meet_their_goal_from_sixty_percent_of_pgbench() {
        let at16 = Mode::ClosedLoop { concurrency: 16 };
        let goal = goal_for(Scenario::SpreadReservations, at16).unwrap();
        let r = sample_run(Scenario::SpreadReservations, at16, 100, 1_000, 0);
        assert_eq!(judge(goal, &r, Some(&share(Some(0.6)))).met, Some(true));
        assert_eq!(judge(goal, &r, Some(&share(Some(0.59)))).met, Some(false));
        let unmeasured = judge(goal, &r, Some(&share(None)));
        assert_eq!(unmeasured.reason.as_deref(), Some("no limit measured"));
        assert_eq!(goal.describe(), "≥ 60 % of pgbench");
    }

    #[test]
    fn a_latency_goal_is_judged_at_its_rate_and_without_errors() {
        let goal = goal_for(Scenario::Checkout, open(300.0)).unwrap();
        assert_eq!(goal.describe(), "p99 ≤ 20 ms at 300/s");
        let at = |rate, micros, errors| {
            let run = sample_run(Scenario::Checkout, open(rate), 100, micros, errors);
            let check = judge(goal, &run, None);
            (check.met, check.reason)
        };
        assert_eq!(at(300.0, 19_000, 0), (Some(true), None));
        assert_eq!(at(300.0, 21_000, 0), (Some(false), None));
        assert_eq!(at(300.0, 1_000, 3), (Some(false), Some("3 errors".into())));
        assert_eq!(at(50.0, 1_000, 0), (None, Some("run at 50/s".into())));
        let saga = goal_for(Scenario::EventSaga, open(1.0)).unwrap();
        assert_eq!(saga.describe(), "p99 ≤ 50 ms at 200/s");
        let reads = goal_for(Scenario::StockReads, Mode::ClosedLoop { concurrency: 1 });
        assert_eq!(reads, Some(Goal::AgainstLimit));
        assert!(goal_for(Scenario::StockReads, open(1.0)).is_none());
    }

    #[test]
    fn service_levels_are_read_on_every_fixed_rate_run_of_their_path() {
        let mut direct = sample_run(Scenario::SpreadReservations, open(500.0), 100, 1_000, 0);
        direct.via = Some(facade_hop::DIRECT);
        let closed = Mode::ClosedLoop { concurrency: 4 };
        let results = [
            sample_run(Scenario::SpreadReservations, closed, 100, 1_000, 0),
            sample_run(Scenario::SpreadReservations, open(2000.0), 100, 60_000, 0),
            sample_run(Scenario::HotReservations, open(2000.0), 100, 10_000, 7),
            direct,
            sample_run(Scenario::Checkout, open(300.0), 100, 79_000, 0),
        ];
        let checks = check_service_levels(&results);
        let verdicts: Vec<_> = checks
            .iter()
            .map(|c| (c.level.as_str(), c.met, c.reason.as_deref()))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("reserve p99 < 50 ms", Some(false), None),
                ("reserve p99 < 50 ms", Some(false), Some("7 errors")),
                ("order (checkout) p99 < 80 ms", Some(true), None),
                ("event hop p99 < 30 ms", None, None),
            ]
        );
        assert_eq!(
            checks[0].run.as_deref(),
            Some("spread_reservations, open loop, 2000/s")
        );
    }
}
