//! Command-line flags and `BENCH_*` environment variables: defaults, then the
//! environment, then `--quick`, then explicit flags, each overriding the one before.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, bail};

pub const USAGE: &str = "\
bench: load generator for inventory-api

USAGE: bench [FLAGS]

  --target URL          inventory-api base URL        [BENCH_TARGET, http://127.0.0.1:3001]
  --duration-secs N     measurement per run           [BENCH_DURATION_SECS, 10]
  --warmup-secs N       discarded warm-up per run     [BENCH_WARMUP_SECS, 2]
  --concurrency N       workers in closed-loop runs   [BENCH_CONCURRENCY, 16]
  --read-rate N         stock reads/s in open-loop    [BENCH_READ_RATE, 5000]
  --reserve-rate N      reservations/s in open-loop   [BENCH_RESERVE_RATE, 2000]
  --event-rate N        reservations/s while timing the event hop [BENCH_EVENT_RATE, 1000]
  --orders-target URL   order-service base URL (saga by events) [BENCH_ORDERS_TARGET, http://127.0.0.1:3002]
  --checkout-target URL order-api base URL            [BENCH_CHECKOUT_TARGET, http://127.0.0.1:3000]
  --checkout-rate N     checkouts/s, HTTP-first       [BENCH_CHECKOUT_RATE, 300]
  --saga-rate N         orders/s placed for the event-driven saga [BENCH_SAGA_RATE, 200]
  --amqp-url URL        broker the event-hop consumer reads       [AMQP_URL, amqp://guest:guest@127.0.0.1:5672/%2f]
  --out-dir PATH        where figures are written     [BENCH_OUT_DIR, bench/results]
  --quick               smoke run: 2 s runs, 1 s warm-up
  --help                this text
";

/// What one run of the bench does.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: String,
    pub duration: Duration,
    pub warmup: Duration,
    pub concurrency: usize,
    pub read_rate: f64,
    pub reserve_rate: f64,
    pub event_rate: f64,
    pub amqp_url: String,
    pub orders_target: String,
    pub checkout_target: String,
    pub checkout_rate: f64,
    pub saga_rate: f64,
    pub out_dir: PathBuf,
}

/// Either options to run with, or a request for the usage text.
#[derive(Debug)]
pub enum Invocation {
    Run(Options),
    Help,
}

impl Options {
    fn defaults() -> Self {
        Self {
            target: "http://127.0.0.1:3001".into(),
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            concurrency: 16,
            read_rate: 5000.0,
            reserve_rate: 2000.0,
            event_rate: 1000.0,
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            orders_target: "http://127.0.0.1:3002".into(),
            checkout_target: "http://127.0.0.1:3000".into(),
            checkout_rate: 300.0,
            saga_rate: 200.0,
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
            ("--read-rate", "BENCH_READ_RATE"),
            ("--reserve-rate", "BENCH_RESERVE_RATE"),
            ("--event-rate", "BENCH_EVENT_RATE"),
            ("--amqp-url", "AMQP_URL"),
            ("--orders-target", "BENCH_ORDERS_TARGET"),
            ("--checkout-target", "BENCH_CHECKOUT_TARGET"),
            ("--checkout-rate", "BENCH_CHECKOUT_RATE"),
            ("--saga-rate", "BENCH_SAGA_RATE"),
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
        }
        for (name, value) in &flags {
            options.set(name, value)?;
        }
        options.check()?;
        Ok(Invocation::Run(options))
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
            "--concurrency" => {
                self.concurrency = value
                    .trim()
                    .parse()
                    .with_context(|| format!("{flag} expects a whole number, got {value:?}"))?;
            }
            "--read-rate" => self.read_rate = number(value)?,
            "--reserve-rate" => self.reserve_rate = number(value)?,
            "--event-rate" => self.event_rate = number(value)?,
            "--amqp-url" => self.amqp_url = value.to_owned(),
            "--orders-target" => self.orders_target = value.trim_end_matches('/').to_owned(),
            "--checkout-target" => self.checkout_target = value.trim_end_matches('/').to_owned(),
            "--checkout-rate" => self.checkout_rate = number(value)?,
            "--saga-rate" => self.saga_rate = number(value)?,
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
        if !(self.read_rate > 0.0 && self.reserve_rate > 0.0 && self.event_rate > 0.0) {
            bail!("--read-rate, --reserve-rate and --event-rate must be positive");
        }
        Ok(())
    }
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
            Invocation::Run(options) => options,
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
    fn unknown_flags_and_missing_values_are_refused() {
        let parse = |args: &[&str]| Options::parse(args.iter().map(|a| (*a).to_owned()), |_| None);
        assert!(parse(&["--nope", "1"]).is_err());
        assert!(parse(&["--concurrency"]).is_err());
        assert!(parse(&["--concurrency", "0"]).is_err());
        assert!(matches!(parse(&["--help"]), Ok(Invocation::Help)));
    }
}
