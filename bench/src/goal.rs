//! The performance goals the specification sets, and whether a run met them:
//!
//! - reservations (closed loop) reach at least 60 % of pgbench's throughput for the same
//!   statement at the same concurrency;
//! - HTTP-first checkout: p99 ≤ 20 ms at 300/s;
//! - the same checkout paid by card with the sandbox provider: its p99 at most 2 ms
//!   above the unpaid checkout's, at the same rate;
//! - event hop (commit → consumer): p99 ≤ 5 ms at 1,000/s;
//! - event-driven saga: p99 ≤ 50 ms at 200/s;
//! - stock reads (closed loop), answered from inventory-api's stock view: at least
//!   30,000/s with p99 ≤ 5 ms, every read from the view; they are also read against
//!   PostgreSQL's own point-read limit;
//! - the stock view's lag: over a run that changes stock, the p99 of its event delay
//!   (a change's commit → the view applying it) at most the event hop's p99 (a commit →
//!   a consumer), the same path up to the last step.
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
    figures::{Comparison, GoalCheck, Mode, RunFigures, Scenario, ServiceLevelCheck, ViewFigures},
};

/// Share of the pgbench limit a reservation run must reach.
const RESERVATION_SHARE: f64 = 0.60;
/// Stock reads a closed loop must get from the stock view, per second, and their p99.
const VIEW_READS_PER_SEC: f64 = 30_000.0;
const VIEW_READS_P99_MS: f64 = 5.0;
/// What paying by card (the sandbox) may add to a checkout's p99, in milliseconds.
const PAYMENT_COST_MS: f64 = 2.0;
/// The stock view's lag goal, as the report words it.
const VIEW_LAG: &str = "view delay p99 ≤ event hop p99";

/// A goal of the specification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Throughput at least this share of the comparable limit.
    ShareOfLimit { at_least: f64 },
    /// p99 at most `p99_ms` when the load is `rate_per_sec`.
    P99AtRate { p99_ms: f64, rate_per_sec: f64 },
    /// At least `per_sec` successes a second with p99 at most `p99_ms`, every read
    /// answered from the stock view.
    FromView { per_sec: f64, p99_ms: f64 },
}

impl Goal {
    pub fn describe(self) -> String {
        match self {
            Goal::ShareOfLimit { at_least } => format!("≥ {:.0} % of pgbench", at_least * 100.0),
            Goal::P99AtRate {
                p99_ms,
                rate_per_sec,
            } => format!("p99 ≤ {p99_ms} ms at {rate_per_sec}/s"),
            Goal::FromView { per_sec, p99_ms } => {
                format!("≥ {per_sec}/s, p99 ≤ {p99_ms} ms, from the view")
            }
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
        (Scenario::StockReads, Mode::ClosedLoop { .. }) => Some(Goal::FromView {
            per_sec: VIEW_READS_PER_SEC,
            p99_ms: VIEW_READS_P99_MS,
        }),
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
        Goal::FromView { per_sec, p99_ms } => match (&run.stock_view, clean_p99(run)) {
            (None, _) => (None, Some("view not read".to_owned())),
            (_, Err(why)) => (Some(false), Some(why)),
            (Some(view), Ok(_)) if view.reads_forwarded > 0 => (
                Some(false),
                Some(format!("{} forwarded", view.reads_forwarded)),
            ),
            (Some(_), Ok(p99)) => (
                Some(run.throughput_per_sec >= per_sec && p99 <= p99_ms),
                None,
            ),
        },
    };
    GoalCheck {
        goal: goal.describe(),
        met,
        reason,
    }
}

/// Judges the stock view's lag over a run against the event hop's p99 (of the
/// `event_hop` run, when one was measured).
pub fn judge_view_lag(view: &ViewFigures, event_hop: Option<&RunFigures>) -> GoalCheck {
    let (met, reason) = match (view.event_delay_p99_ms, event_hop) {
        (None, _) => (None, Some("no change applied".to_owned())),
        (_, None) => (None, Some("event hop not measured".to_owned())),
        (_, Some(hop)) if hop.successes == 0 => (None, Some("no event hop timed".to_owned())),
        (Some(p99), Some(hop)) => {
            let hop_p99 = hop.latency_ms.p99;
            // Inside the view's bucket the two cannot be told apart but by interpolation.
            let close = view
                .event_delay_p99_bucket_ms
                .filter(|&(below, bound)| below < hop_p99 && hop_p99 <= bound)
                .map(|(below, bound)| {
                    format!("event hop p99 in the same bucket, {below}–{bound} ms")
                });
            (Some(p99 <= hop_p99), close)
        }
    };
    GoalCheck {
        goal: VIEW_LAG.to_owned(),
        met,
        reason,
    }
}

/// Judges a paid checkout run against the unpaid checkout run at the same rate: the
/// payment step (authorize, capture, with the sandbox) adds at most
/// [`PAYMENT_COST_MS`] to the p99.
pub fn judge_payment_cost(paid: &RunFigures, unpaid: Option<&RunFigures>) -> GoalCheck {
    let (met, reason) = match (unpaid, clean_p99(paid)) {
        (None, _) => (None, Some("no unpaid checkout at this rate".to_owned())),
        (_, Err(why)) => (Some(false), Some(why)),
        (Some(unpaid), Ok(paid_p99)) => match clean_p99(unpaid) {
            Err(why) => (None, Some(format!("unpaid run: {why}"))),
            Ok(unpaid_p99) => {
                let added = paid_p99 - unpaid_p99;
                (
                    Some(added <= PAYMENT_COST_MS),
                    Some(format!("adds {added:.2} ms to {unpaid_p99:.2} ms")),
                )
            }
        },
    };
    GoalCheck {
        goal: format!("payment adds ≤ {PAYMENT_COST_MS} ms to the checkout p99"),
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
        scenarios: &[Scenario::Checkout, Scenario::PaidCheckout],
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
        assert!(goal_for(Scenario::StockReads, open(1.0)).is_none());
    }

    fn view(forwarded: u64, delay_p99_ms: Option<f64>) -> ViewFigures {
        ViewFigures {
            reads_from_view: 1_000,
            reads_forwarded: forwarded,
            events_applied: u64::from(delay_p99_ms.is_some()),
            event_delay_p50_ms: delay_p99_ms,
            event_delay_p99_ms: delay_p99_ms,
            event_delay_p99_bucket_ms: delay_p99_ms.map(|_| (5.0, 10.0)),
            lag_max_ms: None,
            samples: 0,
            samples_not_live: 0,
            lag_goal: None,
        }
    }

    #[test]
    fn reads_meet_their_goal_at_the_rate_and_p99_only_from_the_view() {
        let at64 = Mode::ClosedLoop { concurrency: 64 };
        let goal = goal_for(Scenario::StockReads, at64).unwrap();
        assert_eq!(goal.describe(), "≥ 30000/s, p99 ≤ 5 ms, from the view");
        let reads = |successes, micros, errors, forwarded: Option<u64>| {
            let mut run = sample_run(Scenario::StockReads, at64, successes, micros, errors);
            run.stock_view = forwarded.map(|n| view(n, None));
            let check = judge(goal, &run, None);
            (check.met, check.reason)
        };
        assert_eq!(reads(30_000, 4_000, 0, Some(0)), (Some(true), None));
        assert_eq!(reads(29_999, 4_000, 0, Some(0)), (Some(false), None));
        assert_eq!(reads(30_000, 6_000, 0, Some(0)), (Some(false), None));
        assert_eq!(
            reads(30_000, 4_000, 0, Some(12)),
            (Some(false), Some("12 forwarded".into()))
        );
        assert_eq!(
            reads(30_000, 4_000, 2, Some(0)),
            (Some(false), Some("2 errors".into()))
        );
        assert_eq!(
            reads(30_000, 4_000, 0, None),
            (None, Some("view not read".into()))
        );
    }

    #[test]
    fn the_view_lag_goal_is_the_event_hop_p99() {
        let hop = sample_run(Scenario::EventHop, open(1000.0), 100, 8_000, 0);
        let lag = |delay, hop: Option<&RunFigures>| {
            let check = judge_view_lag(&view(0, delay), hop);
            (check.met, check.reason)
        };
        let close = "event hop p99 in the same bucket, 5–10 ms";
        assert_eq!(lag(Some(8.0), Some(&hop)), (Some(true), Some(close.into())));
        assert_eq!(
            lag(Some(8.5), Some(&hop)),
            (Some(false), Some(close.into()))
        );
        let fast = sample_run(Scenario::EventHop, open(1000.0), 100, 12_000, 0);
        assert_eq!(lag(Some(9.9), Some(&fast)), (Some(true), None));
        assert_eq!(
            lag(None, Some(&hop)),
            (None, Some("no change applied".into()))
        );
        assert_eq!(
            lag(Some(1.0), None),
            (None, Some("event hop not measured".into()))
        );
        let silent = sample_run(Scenario::EventHop, open(1000.0), 0, 1, 0);
        assert_eq!(lag(Some(1.0), Some(&silent)).0, None);
        assert_eq!(
            judge_view_lag(&view(0, None), None).goal,
            "view delay p99 ≤ event hop p99"
        );
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

    #[test]
    fn paying_may_add_two_milliseconds_to_the_checkout_p99_at_the_same_rate() {
        let unpaid = sample_run(Scenario::Checkout, open(300.0), 300, 8_000, 0);
        let cheap = sample_run(Scenario::PaidCheckout, open(300.0), 300, 9_500, 0);
        let dear = sample_run(Scenario::PaidCheckout, open(300.0), 300, 10_500, 0);
        let failing = sample_run(Scenario::PaidCheckout, open(300.0), 300, 8_000, 3);
        assert_eq!(judge_payment_cost(&cheap, Some(&unpaid)).met, Some(true));
        assert_eq!(judge_payment_cost(&dear, Some(&unpaid)).met, Some(false));
        assert_eq!(judge_payment_cost(&failing, Some(&unpaid)).met, Some(false));
        assert_eq!(judge_payment_cost(&cheap, None).met, None);
    }
}
