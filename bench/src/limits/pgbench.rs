//! PostgreSQL's own limits, by pgbench: the reservation statement on the hot SKU and
//! over the spread SKUs at each reservation concurrency, and the point read at each of
//! the reads' concurrencies, each as `pgbench -n -M prepared -c N -j min(N, cores)
//! -T secs` after a warm-up of the same shape. Throughput is pgbench's own (without connecting);
//! the latencies come from its per-transaction log (`-l`).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::process::Command;

use super::{
    Limits,
    pgbench_scripts::{self, Skus},
    scratch_database::ScratchDatabase,
};
use crate::{
    figures::{LimitFigures, LimitKind, Measurement, Mode, Outcome, Tally, round2},
    options::Options,
    psql,
    report::cores,
    scenario::SPREAD_SKUS,
};

/// A pgbench run that has not ended this long after its planned end is stopped.
const OVERRUN: Duration = Duration::from_secs(60);

/// One pgbench limit to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Planned {
    limit: LimitKind,
    clients: usize,
}

impl Planned {
    fn mode(self) -> Mode {
        Mode::ClosedLoop {
            concurrency: self.clients,
        }
    }

    /// A file-name friendly name and the script: `hot-c16`.
    fn script(self) -> (String, String) {
        let (what, script) = match self.limit {
            LimitKind::PgbenchHotReservation => ("hot", pgbench_scripts::reservation(Skus::Hot)),
            LimitKind::PgbenchSpreadReservation => {
                ("spread", pgbench_scripts::reservation(Skus::Spread))
            }
            _ => ("read", pgbench_scripts::point_read()),
        };
        (format!("{what}-c{}", self.clients), script)
    }
}

/// The point read at each of the reads' concurrencies, the reservations at each of
/// theirs.
fn plan(options: &Options) -> Vec<Planned> {
    let reads = options.read_concurrencies.iter().map(|&clients| Planned {
        limit: LimitKind::PgbenchPointRead,
        clients,
    });
    let reservations = [
        LimitKind::PgbenchHotReservation,
        LimitKind::PgbenchSpreadReservation,
    ]
    .into_iter()
    .flat_map(|limit| {
        options
            .concurrencies
            .iter()
            .map(move |&clients| Planned { limit, clients })
    });
    reads.chain(reservations).collect()
}

/// Measures every planned pgbench limit into `limits`; what cannot be measured is kept
/// as an `n/a` row with its reason.
pub async fn measure(options: &Options, limits: &mut Limits) {
    let plan = plan(options);
    let workdir =
        std::env::temp_dir().join(format!("bench-pgbench-{}", uuid::Uuid::now_v7().simple()));
    let prepared = async {
        let version = run(Command::new(&options.pgbench).arg("--version"), OVERRUN).await?;
        std::fs::create_dir_all(&workdir)
            .with_context(|| format!("creating {}", workdir.display()))?;
        eprintln!("pgbench limits: preparing a throwaway database");
        let psql = psql::beside(&options.pgbench);
        let database = ScratchDatabase::create(psql, &options.pg_url).await?;
        anyhow::Ok((version.trim().to_owned(), database))
    };
    let (version, database) = match prepared.await {
        Ok(prepared) => prepared,
        Err(e) => {
            let why = format!("{e:#}");
            limits.notes.push(format!("pgbench limits n/a: {why}"));
            limits.figures.extend(
                plan.iter()
                    .map(|p| LimitFigures::unavailable(p.limit, p.mode(), why.clone())),
            );
            let _ = std::fs::remove_dir_all(&workdir);
            return;
        }
    };
    for planned in plan {
        eprintln!(
            "{}, {}: {:?} warm-up, {} s measured",
            planned.limit.label(),
            planned.mode().label(),
            options.warmup(),
            whole_seconds(options.duration())
        );
        let figures = limit(options, &database.url(), &workdir, planned).await;
        limits.figures.push(figures.unwrap_or_else(|e| {
            LimitFigures::unavailable(planned.limit, planned.mode(), format!("{e:#}"))
        }));
    }
    let _ = std::fs::remove_dir_all(&workdir);
    limits.notes.push(format!(
        "{version}: RESERVE_ONE and the point read in the throwaway database {} \
         (inventory-service's migrations, {SPREAD_SKUS} spread SKUs and one hot SKU), \
         -M prepared, -j min(clients, {} cores), {} s after {} s warm-up, while the \
         services are idle; no relay drains that outbox",
        database.name,
        cores(),
        whole_seconds(options.duration()),
        options.warmup().as_secs_f64().ceil(),
    ));
    if let Err(e) = database.drop().await {
        limits.notes.push(format!("{e:#}"));
    }
}

/// One limit: the warm-up, then the measured run with its per-transaction log.
async fn limit(
    options: &Options,
    url: &str,
    workdir: &Path,
    planned: Planned,
) -> anyhow::Result<LimitFigures> {
    let (tag, script) = planned.script();
    let script_path = workdir.join(format!("{tag}.sql"));
    std::fs::write(&script_path, script)
        .with_context(|| format!("writing {}", script_path.display()))?;
    let pgbench = |duration: Duration| {
        let mut command = Command::new(&options.pgbench);
        command
            .args(["-n", "-M", "prepared"])
            .arg(format!("--client={}", planned.clients))
            .arg(format!("--jobs={}", planned.clients.min(cores()).max(1)))
            .arg(format!("--time={}", whole_seconds(duration)))
            .arg(format!("--file={}", script_path.display()));
        let order_base = pgbench_scripts::order_base(chrono::Utc::now().timestamp_millis());
        for (name, value) in pgbench_scripts::variables(planned.clients, order_base) {
            command.arg(format!("--define={name}={value}"));
        }
        command.current_dir(workdir).env("PGCONNECT_TIMEOUT", "5");
        command
    };
    if !options.warmup().is_zero() {
        run(
            pgbench(options.warmup()).arg(url),
            options.warmup() + OVERRUN,
        )
        .await?;
    }
    let log_prefix = format!("--log-prefix={tag}");
    let mut measured = pgbench(options.duration());
    measured.args(["--log", &log_prefix, url]);
    let summary = run(&mut measured, options.duration() + OVERRUN).await?;
    let mut tally = Tally::default();
    for log in logs(workdir, &tag)? {
        let text =
            std::fs::read_to_string(&log).with_context(|| format!("reading {}", log.display()))?;
        tally_log(&text, &mut tally);
    }
    let measurement = Measurement {
        tally,
        elapsed: Duration::from_secs(whole_seconds(options.duration())),
        schedule_lag_max: None,
    };
    Ok(LimitFigures {
        throughput_per_sec: Some(round2(tps(&summary)?)),
        ..LimitFigures::measured(planned.limit, planned.mode(), &measurement)
    })
}

/// Runs `command` to its end, within `limit`; its standard output, or the last line
/// of its error.
async fn run(command: &mut Command, limit: Duration) -> anyhow::Result<String> {
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let output = tokio::time::timeout(
        limit,
        command.stdin(Stdio::null()).kill_on_drop(true).output(),
    )
    .await
    .with_context(|| format!("{program} did not finish in time"))?
    .with_context(|| format!("running {program}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        bail!("{program} failed: {}", last.unwrap_or("no message"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whole seconds for `-T`, at least one.
fn whole_seconds(duration: Duration) -> u64 {
    (duration.as_secs_f64().ceil() as u64).max(1)
}

/// The log files pgbench wrote for `tag`: `tag.<pid>` and `tag.<pid>.<thread>`.
fn logs(workdir: &Path, tag: &str) -> anyhow::Result<Vec<PathBuf>> {
    let stem = format!("{tag}.");
    Ok(std::fs::read_dir(workdir)
        .with_context(|| format!("reading {}", workdir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&stem))
        })
        .filter(|path| path.extension().is_none_or(|ext| ext != "sql"))
        .collect())
}

/// Transactions per second without the time spent connecting: the last `tps = ` line
/// (PostgreSQL 14 on prints one, older versions end with the one excluding it).
fn tps(summary: &str) -> anyhow::Result<f64> {
    let line = summary
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("tps = "))
        .context("pgbench printed no throughput (no `tps = ` line)")?;
    let number = line.split_whitespace().next().unwrap_or_default();
    number
        .parse()
        .with_context(|| format!("reading tps = {line:?}"))
}

/// Adds the transactions of one `-l` log file to `tally`.
///
/// A line is `client_id transaction_no time script_no time_epoch time_us [...]`; `time`
/// is the latency in microseconds, or `failed` / `serialization` / `deadlock` /
/// `skipped` for a transaction that did not complete, counted as an error of that kind.
fn tally_log(log: &str, tally: &mut Tally) {
    for time in log
        .lines()
        .filter_map(|line| line.split_whitespace().nth(2))
    {
        match time.parse::<u64>() {
            Ok(micros) => tally.record(Duration::from_micros(micros), Outcome::Success),
            Err(_) if time.chars().all(|c| c.is_ascii_alphabetic()) => tally.count_error(time),
            Err(_) => tally.count_error("unreadable log line"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reservation_concurrency_gets_a_hot_and_a_spread_limit_and_every_read_one_a_read() {
        let options = crate::options::parse(&["--concurrencies", "4,64", "--concurrency", "8,32"]);
        let tags: Vec<String> = plan(&options.unwrap())
            .into_iter()
            .map(|p| p.script().0)
            .collect();
        assert_eq!(
            tags,
            [
                "read-c8",
                "read-c32",
                "hot-c4",
                "hot-c64",
                "spread-c4",
                "spread-c64"
            ]
        );
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(10)), 1);
    }

    #[test]
    fn the_throughput_is_the_one_without_connecting() {
        let pg15 = "number of transactions actually processed: 1207\n\
                    latency average = 6.482 ms\n\
                    tps = 617.087022 (without initial connection time)\n";
        assert_eq!(tps(pg15).unwrap(), 617.087022);
        let pg13 = "tps = 2401.5 (including connections establishing)\n\
                    tps = 2500.25 (excluding connections establishing)\n";
        assert_eq!(tps(pg13).unwrap(), 2500.25);
        assert!(tps("pgbench: error: connection to server failed\n").is_err());
    }

    #[test]
    fn the_log_gives_latencies_and_counts_failures_by_kind() {
        let mut tally = Tally::default();
        tally_log(
            "0 1 15237 0 1795638548 682790\n\
             1 1 failed 0 1795638548 688201\n\
             \n\
             3 7 serialization 0 1795638548 689514 0 1\n",
            &mut tally,
        );
        assert_eq!(tally.successes, 1);
        assert_eq!(tally.errors["failed"], 1);
        assert_eq!(tally.errors["serialization"], 1);
    }
}
