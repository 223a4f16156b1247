//! A whole system for one scenario: two fresh databases, a virtual host of its own on
//! the broker, and the four service binaries as processes on free loopback ports, wired
//! to each other as in production.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::{
    auditor::{self, Report},
    broker::VirtualHost,
    process::ServiceProcess,
};

/// The admin key the domain services are started with (their dead-letter routes).
pub const ADMIN_KEY: &str = "e2e-admin-key-for-dead-letters";

/// The four services, in start order (a facade after the service it calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    InventoryService,
    InventoryApi,
    OrderService,
    OrderApi,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::InventoryService,
        Service::InventoryApi,
        Service::OrderService,
        Service::OrderApi,
    ];

    pub fn binary(self) -> &'static str {
        match self {
            Service::InventoryService => "inventory-service",
            Service::InventoryApi => "inventory-api",
            Service::OrderService => "order-service",
            Service::OrderApi => "order-api",
        }
    }
}

/// Durations a scenario may shorten; the rest of the settings are fixed for the suite.
#[derive(Debug, Clone)]
pub struct Options {
    /// `RESERVATION_TTL_SECS` of inventory-service.
    pub hold_ttl_secs: u64,
    /// `SAGA_TIMEOUT_SECS` of order-service.
    pub saga_timeout_secs: u64,
    /// `HANDOVER_GRACE_MS` of order-service.
    pub handover_grace_ms: u64,
    /// Services [`System::start`] leaves stopped (a deploy that starts some first).
    pub deferred: Vec<Service>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            hold_ttl_secs: 900,
            saga_timeout_secs: 120,
            handover_grace_ms: 500,
            deferred: Vec::new(),
        }
    }
}

/// A running system. Dropping it kills the processes; [`System::shutdown`] also stops
/// them gracefully and removes the virtual host.
#[derive(Debug)]
pub struct System {
    services: Vec<ServiceProcess>,
    pub vhost: VirtualHost,
    pub inventory_db: PgPool,
    pub orders_db: PgPool,
    pub http: reqwest::Client,
    label: String,
}

impl System {
    /// Starts a system named after the scenario (`label`: lowercase, digits, `_`).
    pub async fn start(label: &str, options: Options) -> anyhow::Result<Self> {
        let bin_dir = binaries_dir()?;
        let logs = logs_dir(label)?;
        let inventory = testkit::fresh_database(&format!("e2e_inv_{label}")).await;
        let orders = testkit::fresh_database(&format!("e2e_ord_{label}")).await;
        let vhost = VirtualHost::create(&label.replace('_', "-")).await?;
        let ports = free_ports(4)?;
        let url = |i: usize| format!("http://127.0.0.1:{}", ports[i]);
        let retry = ("RETRY_DELAYS_MS", "100,200,400".to_owned());
        // Debug builds on a machine shared with other tests: the events' backpressure is
        // on, with bounds wide enough that only an event path that is really stuck refuses.
        let max_lag = ("OUTBOX_MAX_LAG_MS", "3000".to_owned());
        let max_queued = ("CONSUMERS_MAX_QUEUED", "20000".to_owned());
        let common = |extra: Vec<(&str, String)>| -> Vec<(String, String)> {
            let mut env = vec![
                ("RUST_LOG", "info".to_owned()),
                ("AMQP_URL", vhost.url().to_owned()),
            ];
            env.extend(extra);
            env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
        };
        let envs = [
            common(vec![
                ("DATABASE_URL", inventory.url.clone()),
                ("RESERVATION_TTL_SECS", options.hold_ttl_secs.to_string()),
                ("EXPIRY_SWEEP_INTERVAL_MS", "200".to_owned()),
                ("OUTBOX_POLL_INTERVAL_MS", "200".to_owned()),
                ("ADMIN_API_KEY", ADMIN_KEY.to_owned()),
                ("DATABASE_MAX_CONNECTIONS", "8".to_owned()),
                max_lag.clone(),
                max_queued.clone(),
                retry.clone(),
            ]),
            common(vec![("INVENTORY_SERVICE_URL", url(0))]),
            common(vec![
                ("DATABASE_URL", orders.url.clone()),
                ("HANDOVER_GRACE_MS", options.handover_grace_ms.to_string()),
                ("SAGA_TIMEOUT_SECS", options.saga_timeout_secs.to_string()),
                ("SAGA_TIMER_INTERVAL_MS", "100".to_owned()),
                // The sandbox's `tok_slow`: slow enough to kill order-service while it
                // waits, or to outlive a short hold; quicker than order-api's timeout.
                ("PAYMENT_SANDBOX_SLOW_MS", "1500".to_owned()),
                ("OUTBOX_POLL_INTERVAL_MS", "200".to_owned()),
                ("ADMIN_API_KEY", ADMIN_KEY.to_owned()),
                ("DATABASE_MAX_CONNECTIONS", "8".to_owned()),
                max_lag,
                max_queued,
                retry,
            ]),
            common(vec![
                ("ORDER_SERVICE_URL", url(2)),
                ("INVENTORY_API_URL", url(1)),
                ("BREAKER_OPEN_MS", "1000".to_owned()),
            ]),
        ];
        let services = Service::ALL
            .iter()
            .zip(envs)
            .zip(ports)
            .map(|((service, env), port)| {
                let name = service.binary();
                ServiceProcess::new(
                    name,
                    bin_dir.join(name),
                    port,
                    env,
                    logs.join(format!("{name}.log")),
                )
            })
            .collect();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        let mut system = Self {
            services,
            vhost,
            inventory_db: pool(&inventory.url),
            orders_db: pool(&orders.url),
            http,
            label: label.to_owned(),
        };
        for service in Service::ALL {
            if options.deferred.contains(&service) {
                continue;
            }
            if options.deferred.is_empty() {
                system.start_service(service).await?;
            } else {
                // A peer it needs may be one of those left stopped.
                system.start_service_alive(service).await?;
            }
        }
        Ok(system)
    }

    fn process(&mut self, service: Service) -> &mut ServiceProcess {
        &mut self.services[service as usize]
    }

    pub fn url(&self, service: Service) -> String {
        self.services[service as usize].url()
    }

    pub async fn start_service(&mut self, service: Service) -> anyhow::Result<()> {
        let http = self.http.clone();
        self.process(service).start(&http).await
    }

    /// Starts a service and waits only until it is alive, not ready (its broker or a
    /// peer is away on purpose).
    pub async fn start_service_alive(&mut self, service: Service) -> anyhow::Result<()> {
        let http = self.http.clone();
        self.process(service).start_alive(&http).await
    }

    /// SIGKILL.
    pub async fn kill(&mut self, service: Service) {
        self.process(service).kill().await;
    }

    /// SIGTERM, waiting for the process to exit.
    pub async fn stop(&mut self, service: Service) {
        self.process(service).stop().await;
    }

    /// SIGKILL, then start again and wait until ready.
    pub async fn restart(&mut self, service: Service) -> anyhow::Result<()> {
        let http = self.http.clone();
        self.process(service).restart(&http).await
    }

    pub fn is_running(&self, service: Service) -> bool {
        self.services[service as usize].is_running()
    }

    /// Audits until the system has converged (or `within` passes); on violations the
    /// report comes with where each service's log is.
    pub async fn settle(&self, within: Duration) -> Report {
        let report = auditor::settle(&self.inventory_db, &self.orders_db, within).await;
        if !report.is_clean() {
            for s in &self.services {
                eprintln!("{} log: {}", s.name(), s.log_path().display());
            }
        }
        eprintln!("[{}] audit: {report}", self.label);
        report
    }

    /// The last `lines` lines of every service's log, headed by its name and path.
    /// The order `id` as order-api answers it.
    pub async fn order(&self, id: &str) -> serde_json::Value {
        crate::traffic::order(&self.http, &self.url(Service::OrderApi), id)
            .await
            .unwrap_or_else(|e| panic!("reading order {id}: {e:#}"))
    }

    /// Reads the order `id` until its status is `wanted`, and answers it; panics with
    /// the last answer and the services' logs when `within` passes first.
    pub async fn wait_for_status(
        &self,
        id: &str,
        wanted: &str,
        within: Duration,
    ) -> serde_json::Value {
        self.wait_for_order(id, &format!("became {wanted}"), within, |order| {
            order["status"] == wanted
        })
        .await
    }

    /// Reads the order `id` until `done` holds of it, and answers it; panics with the
    /// last answer and the services' logs when `within` passes first (`what` says what
    /// never happened).
    pub async fn wait_for_order(
        &self,
        id: &str,
        what: &str,
        within: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let current = self.order(id).await;
            if done(&current) {
                return current;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order {id} never {what}: {current}\n{}",
                self.log_tails(30)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_tails(&self, lines: usize) -> String {
        self.services
            .iter()
            .map(|s| {
                format!(
                    "--- {} ({})\n{}",
                    s.name(),
                    s.log_path().display(),
                    s.log_tail(lines)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Stops every service gracefully and deletes the virtual host. The databases stay
    /// for inspection (`just test` drops the leftovers of earlier runs).
    pub async fn shutdown(mut self) {
        for service in Service::ALL.iter().rev() {
            self.stop(*service).await;
        }
        self.inventory_db.close().await;
        self.orders_db.close().await;
        if let Err(e) = self.vhost.delete().await {
            eprintln!("could not delete {}: {e:#}", self.vhost.name());
        }
    }
}

fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect_lazy(url)
        .expect("a valid database URL")
}

/// Where cargo put the service binaries: next to this test's own executable
/// (`target/<profile>/deps/<test>` → `target/<profile>/`), or `E2E_BIN_DIR`.
fn binaries_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("E2E_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("the test executable has no parent directory")?
        .to_path_buf();
    for service in Service::ALL {
        let bin = dir.join(service.binary());
        anyhow::ensure!(
            bin.exists(),
            "{} is missing: build the services first (`cargo build --workspace --bins`, \
             which `cargo test --workspace` does) or set E2E_BIN_DIR",
            bin.display()
        );
    }
    Ok(dir)
}

/// `target/e2e-logs/<label>-<time>/`, one log file per service.
fn logs_dir(label: &str) -> anyhow::Result<PathBuf> {
    let target = std::env::current_exe()?
        .ancestors()
        .nth(3)
        .map(|p| p.to_path_buf())
        .unwrap_or_else(std::env::temp_dir);
    let dir = target
        .join("e2e-logs")
        .join(format!("{label}-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Ports the kernel reports free now; each is kept by its service for the whole run.
/// `n` loopback ports free now, from below the kernel's ephemeral range: a port the
/// kernel hands out (`bind(0)`) can be handed out again, as the local end of any
/// outgoing connection (the services' own database and broker connections among them),
/// between the moment it is chosen and the moment the service binds it. Below the range,
/// only another chooser of this kind could take it, and each chooses at random.
fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let below = 20_000..ephemeral_from.max(20_001);
    let mut chosen = Vec::with_capacity(n);
    for _ in 0..n * 200 {
        if chosen.len() == n {
            break;
        }
        let port = fastrand::u16(below.clone());
        // Bound (and released) once, so it is free at least now.
        if !chosen.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            chosen.push(port);
        }
    }
    anyhow::ensure!(
        chosen.len() == n,
        "no {n} free ports below {ephemeral_from}"
    );
    Ok(chosen)
}
