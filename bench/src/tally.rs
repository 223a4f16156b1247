//! What one measurement counted: a latency histogram of the successful requests, the
//! number of successes, and the errors by kind.

use std::{collections::BTreeMap, time::Duration};

use hdrhistogram::Histogram;

use crate::scenario::Outcome;

/// Slowest latency the histogram resolves: slower ones are recorded as this.
const HIGHEST_MICROS: u64 = 60_000_000;

/// Latencies (microseconds) and outcomes of a run.
#[derive(Debug, Clone)]
pub struct Tally {
    pub latency_micros: Histogram<u64>,
    pub successes: u64,
    /// `"409"`, `"503"`, ..., or `"transport"` → count.
    pub errors: BTreeMap<String, u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

impl Tally {
    pub fn new() -> Self {
        Self {
            // 3 significant figures: 0.1 % precision from 1 µs to a minute.
            latency_micros: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .expect("static histogram bounds are valid"),
            successes: 0,
            errors: BTreeMap::new(),
        }
    }

    /// Only successes enter the latency figures: a fast refusal is not fast service.
    /// Errors are counted apart, by kind.
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

    /// Counts an error of a kind other than an HTTP answer: `"nack"`, `"failed"`, ...
    pub fn count_error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        self.latency_micros
            .add(&other.latency_micros)
            .expect("histograms of the same bounds add up");
        self.successes += other.successes;
        for (kind, count) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += count;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_by_kind_and_kept_out_of_the_latencies() {
        let mut tally = Tally::new();
        tally.record(Duration::from_millis(2), Outcome::Success);
        tally.record(Duration::from_millis(1), Outcome::Status(409));
        tally.record(Duration::from_secs(5), Outcome::Transport);
        let mut other = Tally::new();
        other.record(Duration::from_millis(4), Outcome::Status(409));
        tally.merge(&other);

        assert_eq!(tally.successes, 1);
        assert_eq!(tally.latency_micros.len(), 1);
        assert_eq!(tally.errors["409"], 2);
        assert_eq!(tally.errors["transport"], 1);
        assert_eq!(tally.error_count(), 3);
    }
}
