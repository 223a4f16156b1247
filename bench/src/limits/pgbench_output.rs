//! Reading what pgbench reports: the summary it prints (throughput, average latency,
//! failures) and the per-transaction log it writes with `-l` (one line per transaction,
//! from which the percentiles come).

use std::time::Duration;

use anyhow::{Context, bail};

use crate::{scenario::Outcome, tally::Tally};

/// pgbench's closing summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Transactions per second, without the time spent connecting.
    pub tps: f64,
    pub latency_average_ms: Option<f64>,
    pub processed: u64,
    pub failed: u64,
}

/// Reads the summary from pgbench's standard output.
///
/// Two spellings of the throughput exist: `tps = N (without initial connection time)`
/// since PostgreSQL 14, and a pair `(including connections establishing)` /
/// `(excluding connections establishing)` before; the one without connecting wins.
pub fn parse_summary(stdout: &str) -> anyhow::Result<Summary> {
    let mut tps: Option<f64> = None;
    let mut latency_average_ms = None;
    let mut processed = None;
    let mut failed = 0;
    for line in stdout.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("tps = ") {
            let value = leading_number(rest).with_context(|| format!("reading {line:?}"))?;
            let without_connecting = rest.contains("without") || rest.contains("excluding");
            if tps.is_none() || without_connecting {
                tps = Some(value);
            }
        } else if let Some(rest) = line.strip_prefix("latency average = ") {
            latency_average_ms =
                Some(leading_number(rest).with_context(|| format!("reading {line:?}"))?);
        } else if let Some(rest) = line.strip_prefix("number of transactions actually processed: ")
        {
            processed = Some(leading_number(rest)? as u64);
        } else if let Some(rest) = line.strip_prefix("number of failed transactions: ") {
            failed = leading_number(rest)? as u64;
        }
    }
    let Some(tps) = tps else {
        bail!("pgbench printed no throughput (no `tps = ` line)");
    };
    Ok(Summary {
        tps,
        latency_average_ms,
        processed: processed.unwrap_or_default(),
        failed,
    })
}

/// Adds the transactions of one `-l` log file to `tally`.
///
/// A line is `client_id transaction_no time script_no time_epoch time_us [...]`; `time`
/// is the latency in microseconds, or `failed` / `serialization` / `deadlock` /
/// `skipped` for a transaction that did not complete, counted as an error of that kind.
pub fn tally_log(log: &str, tally: &mut Tally) {
    for line in log.lines() {
        let Some(time) = line.split_whitespace().nth(2) else {
            continue;
        };
        match time.parse::<u64>() {
            Ok(micros) => tally.record(Duration::from_micros(micros), Outcome::Success),
            Err(_) if time.chars().all(|c| c.is_ascii_alphabetic()) => tally.count_error(time),
            Err(_) => tally.count_error("unreadable log line"),
        }
    }
}

/// The number a value starts with: `617.087022 (without ...)` → 617.087022.
fn leading_number(text: &str) -> anyhow::Result<f64> {
    let number = text.split_whitespace().next().unwrap_or_default();
    let number = number.split('/').next().unwrap_or_default();
    number
        .parse()
        .with_context(|| format!("expected a number at the start of {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG15: &str = "\
pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: spread.sql
scaling factor: 1
query mode: prepared
number of clients: 4
number of threads: 2
maximum number of tries: 1
duration: 2 s
number of transactions actually processed: 1207
number of failed transactions: 3 (0.248%)
latency average = 6.482 ms
initial connection time = 51.574 ms
tps = 617.087022 (without initial connection time)
";

    const PG13: &str = "\
number of transactions actually processed: 5000/5000
latency average = 1.600 ms
tps = 2401.5 (including connections establishing)
tps = 2500.25 (excluding connections establishing)
";

    #[test]
    fn the_summary_of_a_recent_pgbench_is_read() {
        let summary = parse_summary(PG15).unwrap();
        assert_eq!(
            summary,
            Summary {
                tps: 617.087022,
                latency_average_ms: Some(6.482),
                processed: 1207,
                failed: 3,
            }
        );
    }

    #[test]
    fn an_older_pgbench_counts_without_connecting() {
        let summary = parse_summary(PG13).unwrap();
        assert_eq!(summary.tps, 2500.25);
        assert_eq!(summary.processed, 5000);
        assert_eq!(summary.failed, 0);
    }

    #[test]
    fn output_without_a_throughput_is_an_error() {
        assert!(parse_summary("pgbench: error: connection to server failed\n").is_err());
    }

    #[test]
    fn the_log_gives_latencies_and_counts_failures_by_kind() {
        let mut tally = Tally::new();
        tally_log(
            "0 1 15237 0 1795638548 682790\n\
             0 2 3781 0 1795638548 686599\n\
             1 1 failed 0 1795638548 688201\n\
             \n\
             3 7 serialization 0 1795638548 689514 0 1\n",
            &mut tally,
        );
        tally_log("2 1 2000 0 1795638548 689514\n", &mut tally);
        assert_eq!(tally.successes, 3);
        // 3 significant figures: within 0.1 %.
        assert!((15_237..=15_253).contains(&tally.latency_micros.max()));
        assert_eq!(tally.errors["failed"], 1);
        assert_eq!(tally.errors["serialization"], 1);
    }
}
