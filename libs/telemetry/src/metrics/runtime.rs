//! The process and Tokio runtime gauges, sampled by one task every few seconds:
//!
//! - `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_open_fds`,
//!   `process_start_time_seconds` (and the other `process_*` gauges of the
//!   `metrics-process` collector: threads, virtual memory, fd limit), read from `/proc`
//!   on Linux;
//! - `tokio_workers`, `tokio_alive_tasks`, `tokio_global_queue_depth`, from the stable
//!   part of `tokio::runtime::RuntimeMetrics`.
//!
//! The same task runs the recorder's upkeep, which bounds the memory histograms hold
//! between two scrapes.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use metrics::{describe_gauge, gauge};
use metrics_process::Collector;
use tokio::{
    runtime::Handle,
    time::{self, MissedTickBehavior},
};

/// Often enough for a 15 s scrape interval to see fresh values, rarely enough to cost
/// nothing measurable.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Whether a sampler task is alive in this process.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Starts the sampler on the current Tokio runtime, unless one is running already: call
/// it from every application's start; only the first call per process does anything.
/// The first sample is taken at once.
///
/// When the runtime it runs on shuts down (a test's runtime, at the end of that test),
/// the task is dropped and the next call starts a new one on the caller's runtime.
/// Outside a Tokio runtime it does nothing but log a warning.
pub fn spawn_runtime_sampler() {
    super::install();
    let Ok(runtime) = Handle::try_current() else {
        tracing::warn!("no Tokio runtime: process and runtime metrics will not be sampled");
        return;
    };
    if RUNNING
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let sampled = runtime.clone();
    runtime.spawn(async move {
        let _running = Running;
        let process = Collector::default();
        let mut tick = time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            process.collect();
            sample_tokio(&sampled);
            super::recorder::handle().run_upkeep();
        }
    });
}

/// Clears [`RUNNING`] when the sampler task is dropped, whatever drops it.
struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::Release);
    }
}

fn sample_tokio(runtime: &Handle) {
    let metrics = runtime.metrics();
    // Gauges are f64; these counts are far below 2^53, so the casts are exact.
    gauge!("tokio_workers").set(metrics.num_workers() as f64);
    gauge!("tokio_alive_tasks").set(metrics.num_alive_tasks() as f64);
    gauge!("tokio_global_queue_depth").set(metrics.global_queue_depth() as f64);
}

pub(super) fn describe() {
    Collector::default().describe();
    describe_gauge!("tokio_workers", "Worker threads of the Tokio runtime.");
    describe_gauge!(
        "tokio_alive_tasks",
        "Tasks spawned on the Tokio runtime and not finished yet."
    );
    describe_gauge!(
        "tokio_global_queue_depth",
        "Tasks waiting in the Tokio runtime's global (injection) queue; a queue that stays high means the workers cannot keep up."
    );
}
