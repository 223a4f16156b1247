//! Command-line flags, each also read from its environment variable; a flag wins over
//! its variable, either over the default. `--quick` only changes the defaults.

use std::{path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

/// What one run of the bench does.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "bench",
    about = "Load generator for the inventory and order services, with the reference limits \
             of PostgreSQL (pgbench) and RabbitMQ measured on the same machine in the same run"
)]
pub struct Options {
    /// inventory-api base URL
    #[arg(long, value_name = "URL", env = "BENCH_TARGET", default_value = "http://127.0.0.1:3001", value_parser = base_url)]
    pub target: String,
    /// Measurement per run, seconds [default: 10, 2 with --quick]
    #[arg(long = "duration-secs", value_name = "SECS", env = "BENCH_DURATION_SECS", value_parser = positive_seconds)]
    duration: Option<Duration>,
    /// Discarded warm-up per run, seconds [default: 2, 1 with --quick]
    #[arg(long = "warmup-secs", value_name = "SECS", env = "BENCH_WARMUP_SECS", value_parser = seconds)]
    warmup: Option<Duration>,
    /// Workers of the closed-loop stock reads, a run at each (and of the point-read limit)
    #[arg(long = "read-concurrencies", visible_alias = "concurrency", value_name = "LIST", env = "BENCH_READ_CONCURRENCIES", default_value = "16,64", value_delimiter = ',', value_parser = workers)]
    pub read_concurrencies: Vec<usize>,
    /// Workers of the closed-loop reservation runs (and of their pgbench limits)
    #[arg(long, value_name = "LIST", env = "BENCH_CONCURRENCIES", default_value = "4,16,64", value_delimiter = ',', value_parser = workers)]
    pub concurrencies: Vec<usize>,
    /// Stock reads per second in open loop
    #[arg(long, value_name = "PER_SEC", env = "BENCH_READ_RATE", default_value = "5000", value_parser = positive)]
    pub read_rate: f64,
    /// Reservations per second in open loop
    #[arg(long, value_name = "PER_SEC", env = "BENCH_RESERVE_RATE", default_value = "2000", value_parser = positive)]
    pub reserve_rate: f64,
    /// Reservations per second while timing the event hop (and the broker limit's rate)
    #[arg(long, value_name = "PER_SEC", env = "BENCH_EVENT_RATE", default_value = "1000", value_parser = positive)]
    pub event_rate: f64,
    /// order-service base URL (the saga by events)
    #[arg(long, value_name = "URL", env = "BENCH_ORDERS_TARGET", default_value = "http://127.0.0.1:3002", value_parser = base_url)]
    pub orders_target: String,
    /// order-api base URL (HTTP-first checkouts)
    #[arg(long, value_name = "URL", env = "BENCH_CHECKOUT_TARGET", default_value = "http://127.0.0.1:3000", value_parser = base_url)]
    pub checkout_target: String,
    /// Checkouts per second, HTTP-first
    #[arg(long, value_name = "PER_SEC", env = "BENCH_CHECKOUT_RATE", default_value = "300", value_parser = positive)]
    pub checkout_rate: f64,
    /// Checkouts per second of the second unpaid/paid pair: a rate both sustain, so
    /// that what paying adds is read on runs without refusals
    #[arg(long, value_name = "PER_SEC", env = "BENCH_PAYMENT_RATE", default_value = "100", value_parser = positive)]
    pub payment_rate: f64,
    /// Orders per second placed for the event-driven saga
    #[arg(long, value_name = "PER_SEC", env = "BENCH_SAGA_RATE", default_value = "200", value_parser = positive)]
    pub saga_rate: f64,
    /// inventory-service base URL: the facade hop's direct path
    #[arg(long, value_name = "URL", env = "BENCH_SERVICE_TARGET", default_value = "http://127.0.0.1:3003", value_parser = base_url)]
    pub service_target: String,
    /// Reads and reservations per second of the facade hop runs
    #[arg(long, value_name = "PER_SEC", env = "BENCH_HOP_RATE", default_value = "500", value_parser = positive)]
    pub hop_rate: f64,
    /// inventory-service's database, read for the quiet start [default: <pg-url>/inventory]
    #[arg(long, value_name = "URL", env = "INVENTORY_DATABASE_URL")]
    inventory_db_url: Option<String>,
    /// order-service's database, read for the quiet start [default: <pg-url>/orders]
    #[arg(long, value_name = "URL", env = "ORDER_DATABASE_URL")]
    orders_db_url: Option<String>,
    /// Longest wait for a quiet system before each run, seconds [default: 120, 30 with --quick]
    #[arg(long = "quiet-wait-secs", value_name = "SECS", env = "BENCH_QUIET_WAIT_SECS", value_parser = seconds)]
    quiet_wait: Option<Duration>,
    /// Broker the event runs, the broker limit and the quiet start use
    #[arg(
        long,
        value_name = "URL",
        env = "AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
    /// PostgreSQL server of the pgbench limits (a throwaway database is created there)
    #[arg(long, value_name = "URL", env = "BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432", value_parser = base_url)]
    pub pg_url: String,
    /// pgbench binary; psql is looked up beside it
    #[arg(
        long,
        value_name = "PATH",
        env = "BENCH_PGBENCH",
        default_value = "pgbench"
    )]
    pub pgbench: PathBuf,
    /// Which half runs
    #[arg(long, env = "BENCH_ONLY", value_enum, default_value_t = Only::All)]
    pub only: Only,
    /// Which of the services' runs are taken [default: every one]
    #[arg(
        long,
        value_name = "LIST",
        env = "BENCH_RUNS",
        value_enum,
        value_delimiter = ','
    )]
    pub runs: Vec<Run>,
    /// Where the figures are written
    #[arg(long, value_name = "PATH", env = "BENCH_OUT_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    pub out_dir: PathBuf,
    /// Smoke run: 2 s runs, 1 s warm-up, at most 30 s of quiet wait, unless given
    #[arg(long)]
    quick: bool,
}

/// Which half of the bench runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    All,
    /// The services only: no pgbench, no raw broker run.
    System,
    /// The reference limits only: needs PostgreSQL and RabbitMQ, not the services.
    Limits,
}

/// One group of the services' runs, named as the tables name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Run {
    StockReads,
    HotSkuReservations,
    SpreadReservations,
    /// The same reads and reservations through inventory-api and straight to
    /// inventory-service.
    FacadeHop,
    EventHop,
    /// HTTP-first checkouts, unpaid and paid, at each rate.
    Checkout,
    EventSaga,
}

impl Only {
    pub fn runs_system(self) -> bool {
        self != Only::Limits
    }

    pub fn runs_limits(self) -> bool {
        self != Only::System
    }
}

impl Options {
    /// Whether `run` is among the selected runs (all are, when none is named).
    pub fn takes(&self, run: Run) -> bool {
        self.runs.is_empty() || self.runs.contains(&run)
    }

    pub fn duration(&self) -> Duration {
        self.duration.unwrap_or(self.by_speed(2, 10))
    }

    pub fn warmup(&self) -> Duration {
        self.warmup.unwrap_or(self.by_speed(1, 2))
    }

    pub fn quiet_wait(&self) -> Duration {
        self.quiet_wait.unwrap_or(self.by_speed(30, 120))
    }

    fn by_speed(&self, quick_secs: u64, secs: u64) -> Duration {
        Duration::from_secs(if self.quick { quick_secs } else { secs })
    }

    /// inventory-service's database: given, or the `inventory` database of `--pg-url`.
    pub fn inventory_db_url(&self) -> String {
        self.inventory_db_url
            .clone()
            .unwrap_or_else(|| format!("{}/inventory", self.pg_url))
    }

    /// order-service's database: given, or the `orders` database of `--pg-url`.
    pub fn orders_db_url(&self) -> String {
        self.orders_db_url
            .clone()
            .unwrap_or_else(|| format!("{}/orders", self.pg_url))
    }

    /// The most workers any closed-loop run uses: what the HTTP pool must hold.
    pub fn most_workers(&self) -> usize {
        self.concurrencies
            .iter()
            .chain(&self.read_concurrencies)
            .copied()
            .fold(1, usize::max)
    }
}

fn base_url(text: &str) -> Result<String, String> {
    Ok(text.trim_end_matches('/').to_owned())
}

fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("expected a positive number, got {text:?}")),
    }
}

fn positive_seconds(text: &str) -> Result<Duration, String> {
    positive(text).map(Duration::from_secs_f64)
}

fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(Duration::from_secs_f64(x)),
        _ => Err(format!("expected seconds, got {text:?}")),
    }
}

fn workers(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least 1, got {text:?}"
        )),
    }
}

#[cfg(test)]
pub fn parse(args: &[&str]) -> Result<Options, clap::Error> {
    Options::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_changes_the_defaults_not_what_is_given() {
        let default = parse(&[]).unwrap();
        assert_eq!(default.duration(), Duration::from_secs(10));
        assert_eq!(default.quiet_wait(), Duration::from_secs(120));
        let quick = parse(&["--quick", "--quiet-wait-secs", "5"]).unwrap();
        assert_eq!(quick.duration(), Duration::from_secs(2));
        assert_eq!(quick.warmup(), Duration::from_secs(1));
        assert_eq!(quick.quiet_wait(), Duration::from_secs(5));
        let given = parse(&["--duration-secs", "5", "--quick"]).unwrap();
        assert_eq!(given.duration(), Duration::from_secs(5));
    }

    #[test]
    fn the_databases_follow_the_server_unless_named() {
        let o = parse(&["--pg-url", "postgres://pg@db:5432/"]).unwrap();
        assert_eq!(o.inventory_db_url(), "postgres://pg@db:5432/inventory");
        assert_eq!(o.orders_db_url(), "postgres://pg@db:5432/orders");
        let o = parse(&["--orders-db-url", "postgres://o@x/ord"]).unwrap();
        assert_eq!(o.orders_db_url(), "postgres://o@x/ord");
    }

    #[test]
    fn concurrencies_are_a_comma_separated_list() {
        let default = parse(&[]).unwrap();
        assert_eq!(default.concurrencies, [4, 16, 64]);
        assert_eq!(default.read_concurrencies, [16, 64]);
        let o = parse(&["--concurrencies", "2, 8,32", "--concurrency=4"]).unwrap();
        assert_eq!(
            (o.concurrencies, o.read_concurrencies),
            (vec![2, 8, 32], vec![4])
        );
        let o = parse(&["--concurrencies=2", "--read-concurrencies", "16,128"]).unwrap();
        assert_eq!(o.most_workers(), 128);
    }

    #[test]
    fn only_picks_a_half() {
        let limits = parse(&["--quick", "--only", "limits"]).unwrap().only;
        assert!(limits.runs_limits() && !limits.runs_system());
        let system = parse(&["--only=system"]).unwrap().only;
        assert!(system.runs_system() && !system.runs_limits());
    }

    #[test]
    fn bad_values_and_unknown_flags_are_refused() {
        for args in [
            &["--nope", "1"][..],
            &["--concurrency"],
            &["--concurrency", "0"],
            &["--read-concurrencies", "16,0"],
            &["--concurrencies", "4,x"],
            &["--duration-secs", "0"],
            &["--read-rate", "-1"],
            &["--only", "everything"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
        assert_eq!(
            parse(&["--help"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
    }
}
