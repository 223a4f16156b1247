//! Fixed rate (open loop): request `i` is due at `t0 + i / rate` and is sent at that
//! time on its own task, whether or not earlier requests have been answered, the way
//! independent users arrive. Latency is measured from the time the request was DUE,
//! not the time it went out, so a stalled service or a stalled generator shows up in
//! the figures instead of silently lowering the load (coordinated omission).

use std::{future::Future, time::Duration};

use reqwest::Client;
use tokio::{sync::mpsc, time::Instant};

use crate::{
    figures::{Measurement, Outcome, Scenario, Tally},
    scenario,
};

/// Delay before the first request is due, so that spawning the collector does not
/// already put the schedule behind.
const START_OFFSET: Duration = Duration::from_millis(10);

/// `scenario`'s requests to `target` at `rate` per second for `duration`.
pub async fn run(
    client: &Client,
    target: &str,
    scenario: Scenario,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    schedule(rate, duration, |n, _| {
        let (client, target) = (client.clone(), target.to_owned());
        async move { scenario::send(scenario, &client, &target, n).await }
    })
    .await
}

/// Starts `request(i, due)` at its due time, `rate` per second for `duration`, each on
/// its own task; the latency of each is from its due time to its outcome.
pub async fn schedule<F, R>(
    rate: f64,
    duration: Duration,
    mut request: F,
) -> anyhow::Result<Measurement>
where
    F: FnMut(u64, Instant) -> R,
    R: Future<Output = Outcome> + Send + 'static,
{
    let (answers, mut answered) = mpsc::unbounded_channel::<(Duration, Outcome)>();
    let collector = tokio::spawn(async move {
        let mut tally = Tally::default();
        while let Some((latency, outcome)) = answered.recv().await {
            tally.record(latency, outcome);
        }
        tally
    });

    let t0 = Instant::now() + START_OFFSET;
    let count = (rate * duration.as_secs_f64()).round() as u64;
    let mut schedule_lag_max = Duration::ZERO;
    for i in 0..count {
        let due = t0 + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        schedule_lag_max = schedule_lag_max.max(Instant::now().saturating_duration_since(due));
        let sent = request(i, due);
        let answers = answers.clone();
        tokio::spawn(async move {
            let outcome = sent.await;
            // The receiver lives until every sender is dropped: this cannot fail.
            let _ = answers.send((due.elapsed(), outcome));
        });
    }
    // The collector ends once the last in-flight request has reported.
    drop(answers);
    let tally = collector.await?;
    Ok(Measurement {
        tally,
        // The schedule spans `duration` even though its last request is due a little
        // before the end; a tail of slow answers stretches the run past it.
        elapsed: t0.elapsed().max(duration),
        schedule_lag_max: Some(schedule_lag_max),
    })
}
