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

use serde::Serialize;

use crate::{
    comparison::Comparison,
    facade_hop,
    report::{Mode, RunFigures},
    scenario::Scenario,
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
            Goal::ShareOfLimit { at_least } => {
                format!("≥ {:.0} % of pgbench", at_least * 100.0)
            }
            Goal::P99AtRate {
                p99_ms,
                rate_per_sec,
            } => format!("p99 ≤ {p99_ms} ms at {rate_per_sec}/s"),
            Goal::AgainstLimit => "vs PostgreSQL point read".to_owned(),
        }
    }
}

/// The verdict on one run.
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

impl GoalCheck {
    /// The table's cell: `yes`, `no`, `no (3 errors)`, `n/a (...)` or `-`.
    pub fn cell(&self) -> String {
        let verdict = match self.met {
            Some(true) => "yes",
            Some(false) => "no",
            None if self.reason.is_none() => return "-".to_owned(),
            None => "n/a",
        };
        match &self.reason {
            Some(reason) => format!("{verdict} ({reason})"),
            None => verdict.to_owned(),
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
        } => judge_p99(run, p99_ms, rate_per_sec),
        Goal::AgainstLimit => (None, None),
    };
    GoalCheck {
        goal: goal.describe(),
        met,
        reason,
    }
}

fn judge_p99(run: &RunFigures, p99_ms: f64, rate_per_sec: f64) -> (Option<bool>, Option<String>) {
    match run.mode {
        Mode::OpenLoop { rate_per_sec: rate } if rate == rate_per_sec => {}
        Mode::OpenLoop { rate_per_sec: rate } => {
            return (None, Some(format!("run at {rate}/s")));
        }
        _ => return (None, Some("not a fixed-rate run".to_owned())),
    }
    if run.successes == 0 {
        return (Some(false), Some("no successes".to_owned()));
    }
    if run.errors > 0 {
        return (Some(false), Some(format!("{} errors", run.errors)));
    }
    (Some(run.latency_ms.p99 <= p99_ms), None)
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

impl ServiceLevelCheck {
    /// `met`, `not met`, `not met (3 errors)` or `not measured`.
    pub fn verdict(&self) -> String {
        let verdict = match self.met {
            Some(true) => "met",
            Some(false) => "not met",
            None => "not measured",
        };
        match &self.reason {
            Some(reason) => format!("{verdict} ({reason})"),
            None => verdict.to_owned(),
        }
    }
}

/// Every service level against every run it applies to, in the runs' order.
pub fn check_service_levels(results: &[RunFigures]) -> Vec<ServiceLevelCheck> {
    let mut checks = Vec::new();
    for level in SERVICE_LEVELS {
        let before = checks.len();
        for run in results.iter().filter(|run| level.applies_to(run)) {
            let (met, reason) = judge_below(run, level.p99_below_ms);
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

/// Strictly under the bound, with no errors: as the goals, a fast p99 of the few
/// requests that succeeded is not a level kept.
fn judge_below(run: &RunFigures, p99_below_ms: f64) -> (bool, Option<String>) {
    if run.successes == 0 {
        return (false, Some("no successes".to_owned()));
    }
    if run.errors > 0 {
        return (false, Some(format!("{} errors", run.errors)));
    }
    (run.latency_ms.p99 < p99_below_ms, None)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        comparison::Measure,
        limits::LimitKind,
        scenario::Outcome,
        tally::{Measurement, Tally},
    };

    fn run(scenario: Scenario, mode: Mode, p99_micros: u64, errors: u64) -> RunFigures {
        let mut tally = Tally::new();
        for _ in 0..100 {
            tally.record(Duration::from_micros(p99_micros), Outcome::Success);
        }
        for _ in 0..errors {
            tally.record(Duration::ZERO, Outcome::Transport);
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
        let r = run(Scenario::SpreadReservations, at16, 1_000, 0);
        assert_eq!(judge(goal, &r, Some(&share(Some(0.6)))).cell(), "yes");
        assert_eq!(judge(goal, &r, Some(&share(Some(0.59)))).cell(), "no");
        assert_eq!(
            judge(goal, &r, Some(&share(None))).cell(),
            "n/a (no limit measured)"
        );
        assert_eq!(goal.describe(), "≥ 60 % of pgbench");
    }

    #[test]
    fn a_latency_goal_is_judged_at_its_rate_and_without_errors() {
        let at300 = Mode::OpenLoop {
            rate_per_sec: 300.0,
        };
        let goal = goal_for(Scenario::Checkout, at300).unwrap();
        assert_eq!(goal.describe(), "p99 ≤ 20 ms at 300/s");
        let fast = run(Scenario::Checkout, at300, 19_000, 0);
        let slow = run(Scenario::Checkout, at300, 21_000, 0);
        let failing = run(Scenario::Checkout, at300, 1_000, 3);
        assert_eq!(judge(goal, &fast, None).met, Some(true));
        assert_eq!(judge(goal, &slow, None).met, Some(false));
        assert_eq!(judge(goal, &failing, None).cell(), "no (3 errors)");
        let elsewhere = run(
            Scenario::Checkout,
            Mode::OpenLoop { rate_per_sec: 50.0 },
            1_000,
            0,
        );
        assert_eq!(judge(goal, &elsewhere, None).cell(), "n/a (run at 50/s)");
    }

    #[test]
    fn the_event_paths_have_their_own_latency_goals() {
        let hop = goal_for(Scenario::EventHop, Mode::OpenLoop { rate_per_sec: 1.0 });
        assert_eq!(hop.unwrap().describe(), "p99 ≤ 5 ms at 1000/s");
        let saga = goal_for(Scenario::EventSaga, Mode::OpenLoop { rate_per_sec: 1.0 });
        assert_eq!(saga.unwrap().describe(), "p99 ≤ 50 ms at 200/s");
    }

    #[test]
    fn service_levels_are_read_on_every_fixed_rate_run_of_their_path() {
        let open = |rate_per_sec| Mode::OpenLoop { rate_per_sec };
        let mut direct = run(Scenario::SpreadReservations, open(500.0), 1_000, 0);
        direct.via = Some(facade_hop::DIRECT);
        let results = [
            run(
                Scenario::SpreadReservations,
                Mode::ClosedLoop { concurrency: 4 },
                1_000,
                0,
            ),
            run(Scenario::SpreadReservations, open(2000.0), 60_000, 0),
            run(Scenario::HotReservations, open(2000.0), 10_000, 7),
            direct,
            run(Scenario::Checkout, open(300.0), 79_000, 0),
        ];
        let checks = check_service_levels(&results);
        let verdicts: Vec<(String, String)> = checks
            .iter()
            .map(|c| (c.level.clone(), c.verdict()))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("reserve p99 < 50 ms".into(), "not met".into()),
                ("reserve p99 < 50 ms".into(), "not met (7 errors)".into()),
                ("order (checkout) p99 < 80 ms".into(), "met".into()),
                ("event hop p99 < 30 ms".into(), "not measured".into()),
            ]
        );
        assert_eq!(
            checks[0].run.as_deref(),
            Some("spread_reservations, open loop, 2000/s")
        );
    }

    #[test]
    fn reads_are_reported_against_their_limit_without_a_verdict() {
        let at16 = Mode::ClosedLoop { concurrency: 16 };
        let goal = goal_for(Scenario::StockReads, at16).unwrap();
        let check = judge(goal, &run(Scenario::StockReads, at16, 1_000, 0), None);
        assert_eq!(check.met, None);
        assert_eq!(check.cell(), "-");
        assert!(goal_for(Scenario::StockReads, Mode::OpenLoop { rate_per_sec: 1.0 }).is_none());
    }
}
