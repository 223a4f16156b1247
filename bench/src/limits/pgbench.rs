//! PostgreSQL's own limits, by pgbench: the reservation statement on the hot SKU and
//! over the spread SKUs at each reservation concurrency, and the point read at the
//! reads' concurrency, each as `pgbench -n -M prepared -c N -j min(N, cores) -T secs`
//! after a warm-up of the same shape. Percentiles come from the per-transaction log
//! (`-l`), throughput and the average from pgbench's summary.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::process::Command;

use super::{
    LimitFigures, LimitKind, Limits, pgbench_output,
    pgbench_scripts::{self, Skus},
    scratch_database::{ScratchDatabase, Tools},
};
use crate::{
    options::Options,
    report::{self, Latency, Mode},
    tally::Tally,
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

    fn script(self) -> String {
        match self.limit {
            LimitKind::PgbenchHotReservation => pgbench_scripts::reservation(Skus::Hot),
            LimitKind::PgbenchSpreadReservation => pgbench_scripts::reservation(Skus::Spread),
            _ => pgbench_scripts::point_read(),
        }
    }

    /// A file-name friendly name: `hot-c16`.
    fn tag(self) -> String {
        let what = match self.limit {
            LimitKind::PgbenchHotReservation => "hot",
            LimitKind::PgbenchSpreadReservation => "spread",
            _ => "read",
        };
        format!("{what}-c{}", self.clients)
    }
}

/// The pgbench limits this run compares against.
fn plan(options: &Options) -> Vec<Planned> {
    let mut plan = vec![Planned {
        limit: LimitKind::PgbenchPointRead,
        clients: options.concurrency,
    }];
    for limit in [
        LimitKind::PgbenchHotReservation,
        LimitKind::PgbenchSpreadReservation,
    ] {
        plan.extend(
            options
                .concurrencies
                .iter()
                .map(|&clients| Planned { limit, clients }),
        );
    }
    plan
}

/// pgbench's thread count: one per client, at most one per core.
pub fn threads(clients: usize, cores: usize) -> usize {
    clients.min(cores).max(1)
}

/// Whole seconds for `-T`, at least one.
pub fn whole_seconds(duration: Duration) -> u64 {
    (duration.as_secs_f64().ceil() as u64).max(1)
}

/// Measures every planned pgbench limit into `limits`; what cannot be measured is kept
/// as an `n/a` row with its reason.
pub async fn measure(options: &Options, limits: &mut Limits) {
    let plan = plan(options);
    let tools = Tools::beside(&options.pgbench);
    let unavailable = |limits: &mut Limits, why: String| {
        limits.figures.extend(
            plan.iter()
                .map(|p| LimitFigures::unavailable(p.limit, p.mode(), why.clone())),
        );
        limits.notes.push(format!("pgbench limits n/a: {why}"));
    };
    let version = match tools.check().await {
        Ok(version) => version,
        Err(e) => return unavailable(limits, format!("{e:#}")),
    };
    eprintln!("pgbench limits: preparing a throwaway database");
    let database = match ScratchDatabase::create(&tools, &options.pg_url).await {
        Ok(database) => database,
        Err(e) => return unavailable(limits, format!("{e:#}")),
    };
    let workdir =
        std::env::temp_dir().join(format!("bench-pgbench-{}", uuid::Uuid::now_v7().simple()));
    let run = Runner {
        tools: &tools,
        url: database.url(),
        workdir: workdir.clone(),
        cores: report::cores(),
        warmup: options.warmup,
        duration: options.duration,
    };
    match std::fs::create_dir_all(&workdir) {
        Ok(()) => {
            for planned in &plan {
                limits.figures.push(run.limit(*planned).await);
            }
        }
        Err(e) => unavailable(limits, format!("creating {}: {e}", workdir.display())),
    }
    let _ = std::fs::remove_dir_all(&workdir);
    let name = database.name().to_owned();
    if let Err(e) = database.drop().await {
        limits.notes.push(format!("{e:#}: drop it by hand"));
    }
    limits.notes.push(how_it_ran(&version, &name, &run));
}

/// The note that says how the pgbench limits were taken.
fn how_it_ran(version: &str, database: &str, run: &Runner<'_>) -> String {
    format!(
        "{version}: RESERVE_ONE and the point read in the throwaway database {database} \
         (inventory-service's migrations, {} spread SKUs and one hot SKU), -M prepared, \
         -j min(clients, {} cores), {} s after {} s warm-up, while the services are idle; \
         no relay drains that outbox",
        crate::scenario::SPREAD_SKUS,
        run.cores,
        whole_seconds(run.duration),
        run.warmup.as_secs_f64().ceil(),
    )
}

/// Runs pgbench against the throwaway database.
struct Runner<'a> {
    tools: &'a Tools,
    url: String,
    workdir: PathBuf,
    cores: usize,
    warmup: Duration,
    duration: Duration,
}

impl Runner<'_> {
    async fn limit(&self, planned: Planned) -> LimitFigures {
        eprintln!(
            "{}, {}: {:?} warm-up, {} s measured",
            planned.limit.label(),
            planned.mode().label(),
            self.warmup,
            whole_seconds(self.duration)
        );
        match self.measure(planned).await {
            Ok(figures) => figures,
            Err(e) => LimitFigures::unavailable(planned.limit, planned.mode(), format!("{e:#}")),
        }
    }

    async fn measure(&self, planned: Planned) -> anyhow::Result<LimitFigures> {
        let script = self.workdir.join(format!("{}.sql", planned.tag()));
        std::fs::write(&script, planned.script())
            .with_context(|| format!("writing {}", script.display()))?;
        if !self.warmup.is_zero() {
            self.pgbench(planned, &script, self.warmup, None).await?;
        }
        let log_prefix = self.workdir.join(planned.tag());
        let summary = self
            .pgbench(planned, &script, self.duration, Some(&log_prefix))
            .await?;
        let mut tally = Tally::new();
        for log in log_files(&log_prefix)? {
            let text = std::fs::read_to_string(&log)
                .with_context(|| format!("reading {}", log.display()))?;
            pgbench_output::tally_log(&text, &mut tally);
        }
        Ok(LimitFigures {
            throughput_per_sec: Some(report::round2(summary.tps)),
            latency_ms: (!tally.latency_micros.is_empty())
                .then(|| Latency::of(&tally.latency_micros)),
            average_latency_ms: summary.latency_average_ms,
            done: summary.processed,
            errors: summary.failed.max(tally.error_count()),
            ..LimitFigures::unavailable(planned.limit, planned.mode(), "")
        })
    }

    /// One pgbench invocation; its summary.
    async fn pgbench(
        &self,
        planned: Planned,
        script: &Path,
        duration: Duration,
        log_prefix: Option<&Path>,
    ) -> anyhow::Result<pgbench_output::Summary> {
        let mut command = Command::new(&self.tools.pgbench);
        command
            .args(["-n", "-M", "prepared"])
            .arg(format!("--client={}", planned.clients))
            .arg(format!("--jobs={}", threads(planned.clients, self.cores)))
            .arg(format!("--time={}", whole_seconds(duration)))
            .arg(format!("--file={}", script.display()));
        let order_base = pgbench_scripts::order_base(chrono::Utc::now().timestamp_millis());
        for (name, value) in pgbench_scripts::variables(planned.clients, order_base) {
            command.arg(format!("--define={name}={value}"));
        }
        if let Some(prefix) = log_prefix {
            command
                .arg("--log")
                .arg(format!("--log-prefix={}", prefix.display()));
        }
        command
            .arg(&self.url)
            .current_dir(&self.workdir)
            .env("PGCONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(duration + OVERRUN, command.output())
            .await
            .context("pgbench did not finish in time")?
            .context("running pgbench")?;
        if !output.status.success() {
            bail!(
                "pgbench failed: {}",
                last_line(&String::from_utf8_lossy(&output.stderr))
            );
        }
        pgbench_output::parse_summary(&String::from_utf8_lossy(&output.stdout))
    }
}

/// The log files pgbench wrote for `prefix`: `prefix.<pid>` and `prefix.<pid>.<thread>`.
fn log_files(prefix: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = prefix.parent().context("a log prefix has a folder")?;
    let stem = format!(
        "{}.",
        prefix
            .file_name()
            .context("a log prefix has a name")?
            .to_string_lossy()
    );
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&stem))
        })
        .filter(|path| path.extension().is_none_or(|ext| ext != "sql"))
        .collect())
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_uses_a_thread_per_client_up_to_the_cores() {
        assert_eq!(threads(4, 2), 2);
        assert_eq!(threads(1, 2), 1);
        assert_eq!(threads(64, 8), 8);
    }

    #[test]
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_secs(10)), 10);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(10)), 1);
    }

    #[test]
    fn every_reservation_concurrency_gets_a_hot_and_a_spread_limit_and_reads_get_one() {
        let options = match Options::parse(
            ["--concurrencies", "4,64", "--concurrency", "8"].map(String::from),
            |_| None,
        )
        .unwrap()
        {
            crate::options::Invocation::Run(options) => options,
            crate::options::Invocation::Help => unreachable!(),
        };
        let tags: Vec<String> = plan(&options).into_iter().map(Planned::tag).collect();
        assert_eq!(
            tags,
            ["read-c8", "hot-c4", "hot-c64", "spread-c4", "spread-c64"]
        );
    }

    #[test]
    fn the_last_line_of_an_error_is_kept() {
        assert_eq!(
            last_line("pgbench: error: connection failed\nFATAL: too many clients\n\n"),
            "FATAL: too many clients"
        );
    }
}
