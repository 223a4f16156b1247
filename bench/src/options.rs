//! Command-line flags and `BENCH_*` environment variables: defaults, then the
//! environment, then `--quick`, then explicit flags, each overriding the one before.

use std::{path::PathBuf, str::FromStr, time::Duration};

use anyhow::{Context, bail};

pub const USAGE: &str = "\
bench: load generator for the inventory and order services, with the reference limits
of PostgreSQL (pgbench) and RabbitMQ measured on the same machine in the same run

USAGE: bench [FLAGS]

  --target URL          inventory-api base URL        [BENCH_TARGET, http://127.0.0.1:3001]
  --duration-secs N     measurement per run           [BENCH_DURATION_SECS, 10]
  --warmup-secs N       discarded warm-up per run     [BENCH_WARMUP_SECS, 2]
  --concurrency N       workers of the closed-loop stock reads (and the point-read limit)
                                                      [BENCH_CONCURRENCY, 16]
  --concurrencies LIST  workers of the closed-loop reservation runs (and their pgbench
                        limits), comma-separated      [BENCH_CONCURRENCIES, 4,16,64]
  --read-rate N         stock reads/s in open-loop    [BENCH_READ_RATE, 5000]
  --reserve-rate N      reservations/s in open-loop   [BENCH_RESERVE_RATE, 2000]
  --event-rate N        reservations/s while timing the event hop [BENCH_EVENT_RATE, 1000]
  --orders-target URL   order-service base URL (saga by events) [BENCH_ORDERS_TARGET, http://127.0.0.1:3002]
  --checkout-target URL order-api base URL            [BENCH_CHECKOUT_TARGET, http://127.0.0.1:3000]
  --checkout-rate N     checkouts/s, HTTP-first       [BENCH_CHECKOUT_RATE, 300]
  --saga-rate N         orders/s placed for the event-driven saga [BENCH_SAGA_RATE, 200]
  --service-target URL  inventory-service base URL: the facade hop's direct path
                                                      [BENCH_SERVICE_TARGET, http://127.0.0.1:3003]
  --hop-rate N          reads/s and reservations/s of the facade hop runs [BENCH_HOP_RATE, 500]
  --inventory-db-url URL  inventory-service's database, read for the quiet start
                                                      [INVENTORY_DATABASE_URL, <pg-url>/inventory]
  --orders-db-url URL   order-service's database, read for the quiet start
                                                      [ORDER_DATABASE_URL, <pg-url>/orders]
  --quiet-wait-secs N   longest wait for a quiet system before each run [BENCH_QUIET_WAIT_SECS, 120]
  --amqp-url URL        broker the event-hop consumer and the quiet start read [AMQP_URL, amqp://guest:guest@127.0.0.1:5672/%2f]
  --pg-url URL          PostgreSQL server for the pgbench limits (a throwaway database
                        is created there and dropped) [BENCH_PG_URL, postgres://postgres@127.0.0.1:5432]
  --pgbench PATH        pgbench binary; psql is looked up beside it [BENCH_PGBENCH, pgbench]
  --only WHAT           all | system (services only) | limits (pgbench and broker only,
                        no service needed)            [BENCH_ONLY, all]
  --out-dir PATH        where figures are written     [BENCH_OUT_DIR, bench/results]
  --quick               smoke run: 2 s runs, 1 s warm-up, at most 30 s of quiet wait
  --help                this text
";

/// What one run of the bench does.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: String,
    pub duration: Duration,
    pub warmup: Duration,
    pub concurrency: usize,
    pub concurrencies: Vec<usize>,
    pub read_rate: f64,
    pub reserve_rate: f64,
    pub event_rate: f64,
    pub amqp_url: String,
    pub orders_target: String,
    pub checkout_target: String,
    pub checkout_rate: f64,
    pub saga_rate: f64,
    pub service_target: String,
    pub hop_rate: f64,
    /// `None`: the `inventory` database of `pg_url`, as `just up` names it.
    pub inventory_db_url: Option<String>,
    /// `None`: the `orders` database of `pg_url`.
    pub orders_db_url: Option<String>,
    pub quiet_wait: Duration,
    pub pg_url: String,
    pub pgbench: PathBuf,
    pub only: Only,
    pub out_dir: PathBuf,
}

/// Which half of the bench runs: the services' figures, the reference limits, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    All,
    /// The services only: no pgbench, no raw broker run.
    System,
    /// The reference limits only: needs PostgreSQL and RabbitMQ, not the services.
    Limits,
}

impl Only {
    pub fn runs_system(self) -> bool {
        self != Only::Limits
    }

    pub fn runs_limits(self) -> bool {
        self != Only::System
    }
}

impl FromStr for Only {
    type Err = anyhow::Error;

    fn from_str(value: &str) -> anyhow::Result<Self> {
        match value.trim() {
            "all" => Ok(Only::All),
            "system" => Ok(Only::System),
            "limits" => Ok(Only::Limits),
            other => bail!("--only expects all, system or limits, got {other:?}"),
        }
    }
}

/// Either options to run with, or a request for the usage text.
#[derive(Debug)]
pub enum Invocation {
    Run(Box<Options>),
    Help,
}

impl Options {
    fn defaults() -> Self {
        Self {
            target: "http://127.0.0.1:3001".into(),
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            concurrency: 16,
            concurrencies: vec![4, 16, 64],
            read_rate: 5000.0,
            reserve_rate: 2000.0,
            event_rate: 1000.0,
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            orders_target: "http://127.0.0.1:3002".into(),
            checkout_target: "http://127.0.0.1:3000".into(),
            checkout_rate: 300.0,
            saga_rate: 200.0,
            service_target: "http://127.0.0.1:3003".into(),
            hop_rate: 500.0,
            inventory_db_url: None,
            orders_db_url: None,
            quiet_wait: Duration::from_secs(120),
            pg_url: "postgres://postgres@127.0.0.1:5432".into(),
            pgbench: PathBuf::from("pgbench"),
            only: Only::All,
            // Next to this crate, wherever the binary is started from.
            out_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/results")),
        }
    }

    /// Reads the process's arguments and environment.
    pub fn from_process() -> anyhow::Result<Invocation> {
        Self::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    }

    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Invocation> {
        let mut flags = Vec::new();
        let mut quick = false;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--help" | "-h" => return Ok(Invocation::Help),
                "--quick" => quick = true,
                _ if arg.starts_with("--") => {
                    let (name, value) = match arg.split_once('=') {
                        Some((name, value)) => (name.to_owned(), value.to_owned()),
                        None => {
                            let value = args
                                .next()
                                .with_context(|| format!("{arg} needs a value"))?;
                            (arg.clone(), value)
                        }
                    };
                    flags.push((name, value));
                }
                _ => bail!("unexpected argument {arg:?}\n\n{USAGE}"),
            }
        }

        let mut options = Self::defaults();
        for (name, variable) in [
            ("--target", "BENCH_TARGET"),
            ("--duration-secs", "BENCH_DURATION_SECS"),
            ("--warmup-secs", "BENCH_WARMUP_SECS"),
            ("--concurrency", "BENCH_CONCURRENCY"),
            ("--concurrencies", "BENCH_CONCURRENCIES"),
            ("--read-rate", "BENCH_READ_RATE"),
            ("--reserve-rate", "BENCH_RESERVE_RATE"),
            ("--event-rate", "BENCH_EVENT_RATE"),
            ("--amqp-url", "AMQP_URL"),
            ("--orders-target", "BENCH_ORDERS_TARGET"),
            ("--checkout-target", "BENCH_CHECKOUT_TARGET"),
            ("--checkout-rate", "BENCH_CHECKOUT_RATE"),
            ("--saga-rate", "BENCH_SAGA_RATE"),
            ("--service-target", "BENCH_SERVICE_TARGET"),
            ("--hop-rate", "BENCH_HOP_RATE"),
            ("--inventory-db-url", "INVENTORY_DATABASE_URL"),
            ("--orders-db-url", "ORDER_DATABASE_URL"),
            ("--quiet-wait-secs", "BENCH_QUIET_WAIT_SECS"),
            ("--pg-url", "BENCH_PG_URL"),
            ("--pgbench", "BENCH_PGBENCH"),
            ("--only", "BENCH_ONLY"),
            ("--out-dir", "BENCH_OUT_DIR"),
        ] {
            if let Some(value) = env(variable) {
                options
                    .set(name, &value)
                    .with_context(|| format!("from {variable}"))?;
            }
        }
        if quick {
            options.duration = Duration::from_secs(2);
            options.warmup = Duration::from_secs(1);
            options.quiet_wait = options.quiet_wait.min(Duration::from_secs(30));
        }
        for (name, value) in &flags {
            options.set(name, value)?;
        }
        options.check()?;
        Ok(Invocation::Run(Box::new(options)))
    }

    fn set(&mut self, flag: &str, value: &str) -> anyhow::Result<()> {
        let number = |value: &str| -> anyhow::Result<f64> {
            value
                .trim()
                .parse::<f64>()
                .with_context(|| format!("{flag} expects a number, got {value:?}"))
        };
        match flag {
            "--target" => self.target = value.trim_end_matches('/').to_owned(),
            "--duration-secs" => self.duration = Duration::from_secs_f64(number(value)?.max(0.0)),
            "--warmup-secs" => self.warmup = Duration::from_secs_f64(number(value)?.max(0.0)),
            "--concurrency" => self.concurrency = whole_number(flag, value)?,
            "--concurrencies" => {
                self.concurrencies = value
                    .split(',')
                    .filter(|part| !part.trim().is_empty())
                    .map(|part| whole_number(flag, part))
                    .collect::<anyhow::Result<_>>()?;
            }
            "--read-rate" => self.read_rate = number(value)?,
            "--reserve-rate" => self.reserve_rate = number(value)?,
            "--event-rate" => self.event_rate = number(value)?,
            "--amqp-url" => self.amqp_url = value.to_owned(),
            "--orders-target" => self.orders_target = value.trim_end_matches('/').to_owned(),
            "--checkout-target" => self.checkout_target = value.trim_end_matches('/').to_owned(),
            "--checkout-rate" => self.checkout_rate = number(value)?,
            "--saga-rate" => self.saga_rate = number(value)?,
            "--service-target" => self.service_target = value.trim_end_matches('/').to_owned(),
            "--hop-rate" => self.hop_rate = number(value)?,
            "--inventory-db-url" => self.inventory_db_url = Some(value.to_owned()),
            "--orders-db-url" => self.orders_db_url = Some(value.to_owned()),
            "--quiet-wait-secs" => {
                self.quiet_wait = Duration::from_secs_f64(number(value)?.max(0.0));
            }
            "--pg-url" => self.pg_url = value.trim_end_matches('/').to_owned(),
            "--pgbench" => self.pgbench = PathBuf::from(value),
            "--only" => self.only = value.parse()?,
            "--out-dir" => self.out_dir = PathBuf::from(value),
            _ => bail!("unknown flag {flag}\n\n{USAGE}"),
        }
        Ok(())
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.duration.is_zero() {
            bail!("--duration-secs must be positive");
        }
        if self.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        if self.concurrencies.is_empty() || self.concurrencies.contains(&0) {
            bail!("--concurrencies must list at least one number, each at least 1");
        }
        if !(self.read_rate > 0.0
            && self.reserve_rate > 0.0
            && self.event_rate > 0.0
            && self.hop_rate > 0.0)
        {
            bail!("--read-rate, --reserve-rate, --event-rate and --hop-rate must be positive");
        }
        Ok(())
    }

    /// inventory-service's database: the flag, `INVENTORY_DATABASE_URL`, or the
    /// `inventory` database of the PostgreSQL server the limits use.
    pub fn inventory_db_url(&self) -> String {
        self.inventory_db_url
            .clone()
            .unwrap_or_else(|| format!("{}/inventory", self.pg_url))
    }

    /// order-service's database, likewise (`ORDER_DATABASE_URL`, else `orders`).
    pub fn orders_db_url(&self) -> String {
        self.orders_db_url
            .clone()
            .unwrap_or_else(|| format!("{}/orders", self.pg_url))
    }

    /// The most workers any closed-loop run uses: what the HTTP pool must hold.
    pub fn most_workers(&self) -> usize {
        self.concurrencies
            .iter()
            .copied()
            .chain([self.concurrency])
            .max()
            .unwrap_or(self.concurrency)
    }
}

fn whole_number(flag: &str, value: &str) -> anyhow::Result<usize> {
    value
        .trim()
        .parse()
        .with_context(|| format!("{flag} expects a whole number, got {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Options {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let invocation = Options::parse(args.iter().map(|a| (*a).to_owned()), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap();
        match invocation {
            Invocation::Run(options) => *options,
            Invocation::Help => panic!("expected options"),
        }
    }

    #[test]
    fn flags_override_the_environment_which_overrides_the_defaults() {
        let o = run(
            &["--concurrency", "4", "--read-rate=100"],
            &[
                ("BENCH_CONCURRENCY", "8"),
                ("BENCH_TARGET", "http://api:3001/"),
            ],
        );
        assert_eq!(o.concurrency, 4);
        assert_eq!(o.read_rate, 100.0);
        assert_eq!(o.target, "http://api:3001");
        assert_eq!(o.reserve_rate, 2000.0);
        assert_eq!(o.duration, Duration::from_secs(10));
    }

    #[test]
    fn quick_shortens_the_runs_unless_a_duration_is_given() {
        assert_eq!(run(&["--quick"], &[]).duration, Duration::from_secs(2));
        let o = run(&["--duration-secs", "5", "--quick"], &[]);
        assert_eq!(o.duration, Duration::from_secs(5));
    }

    #[test]
    fn the_databases_follow_the_server_unless_named() {
        let o = run(&["--pg-url", "postgres://pg@db:5432/"], &[]);
        assert_eq!(o.inventory_db_url(), "postgres://pg@db:5432/inventory");
        assert_eq!(o.orders_db_url(), "postgres://pg@db:5432/orders");
        let o = run(
            &["--orders-db-url", "postgres://o@x/ord"],
            &[("INVENTORY_DATABASE_URL", "postgres://i@y/inv")],
        );
        assert_eq!(o.inventory_db_url(), "postgres://i@y/inv");
        assert_eq!(o.orders_db_url(), "postgres://o@x/ord");
    }

    #[test]
    fn quick_bounds_the_quiet_wait() {
        assert_eq!(run(&[], &[]).quiet_wait, Duration::from_secs(120));
        assert_eq!(run(&["--quick"], &[]).quiet_wait, Duration::from_secs(30));
        let o = run(&["--quick", "--quiet-wait-secs", "5"], &[]);
        assert_eq!(o.quiet_wait, Duration::from_secs(5));
    }

    #[test]
    fn concurrencies_are_a_comma_separated_list() {
        assert_eq!(run(&[], &[]).concurrencies, vec![4, 16, 64]);
        let o = run(
            &["--concurrencies", "2, 8,32,"],
            &[("BENCH_CONCURRENCIES", "1")],
        );
        assert_eq!(o.concurrencies, vec![2, 8, 32]);
        assert_eq!(o.most_workers(), 32);
    }

    #[test]
    fn only_limits_skips_the_services_and_only_system_skips_the_limits() {
        let limits = run(&["--quick", "--only", "limits"], &[]).only;
        assert!(limits.runs_limits() && !limits.runs_system());
        let system = run(&[], &[("BENCH_ONLY", "system")]).only;
        assert!(system.runs_system() && !system.runs_limits());
        let all = run(&[], &[]).only;
        assert!(all.runs_system() && all.runs_limits());
    }

    #[test]
    fn unknown_flags_and_missing_values_are_refused() {
        let parse = |args: &[&str]| Options::parse(args.iter().map(|a| (*a).to_owned()), |_| None);
        assert!(parse(&["--nope", "1"]).is_err());
        assert!(parse(&["--concurrency"]).is_err());
        assert!(parse(&["--concurrency", "0"]).is_err());
        assert!(parse(&["--concurrencies", "4,x"]).is_err());
        assert!(parse(&["--concurrencies", "4,0"]).is_err());
        assert!(parse(&["--only", "everything"]).is_err());
        assert!(matches!(parse(&["--help"]), Ok(Invocation::Help)));
    }
}
