//! One service binary run as a child process: started with its own environment on a
//! fixed loopback port (kept across restarts, so its peers' URLs stay right), stopped
//! gracefully (SIGTERM), killed (SIGKILL) and restarted. Its output goes to a log file
//! that outlives the process, so a failing scenario can show what each service said.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// How long a service may take to answer `/readyz` after it starts.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long a graceful stop may take before the process is killed.
const STOP_WITHIN: Duration = Duration::from_secs(15);

/// A service binary, its settings, and the process running it (if any).
#[derive(Debug)]
pub struct ServiceProcess {
    name: &'static str,
    binary: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl ServiceProcess {
    pub fn new(
        name: &'static str,
        binary: PathBuf,
        port: u16,
        env: Vec<(String, String)>,
        log: PathBuf,
    ) -> Self {
        Self {
            name,
            binary,
            port,
            env,
            log,
            child: None,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the process (nothing if it runs) and waits until `/readyz` answers 200.
    pub async fn start(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        self.spawn()?;
        self.wait_for(http, "/readyz").await
    }

    /// Starts the process and waits only until it is alive (`/healthz`): for a service
    /// whose broker or peer is away on purpose, which is not ready and should not be.
    pub async fn start_alive(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        self.spawn()?;
        self.wait_for(http, "/healthz").await
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("open {}", self.log.display()))?;
        let mut command = Command::new(&self.binary);
        // Only what we pass: a developer's DATABASE_URL or OTEL_* must not leak in.
        command
            .env_clear()
            .envs(std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME"))
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", self.port.to_string())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("start {}", self.binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    async fn wait_for(&mut self, http: &reqwest::Client, probe: &str) -> anyhow::Result<()> {
        let url = format!("{}{probe}", self.url());
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        while tokio::time::Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!(
                    "{} exited ({status}) before it was ready; its log ends with:\n{}",
                    self.name,
                    self.log_tail(40)
                );
            }
            let ready = http
                .get(&url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "{} was not ready within {READY_WITHIN:?}; its log ends with:\n{}",
            self.name,
            self.log_tail(40)
        )
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.ok();
        }
    }

    /// SIGTERM, then SIGKILL if the process has not exited in time.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            // `kill` from the system: signalling needs no unsafe code this way.
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(STOP_WITHIN, child.wait())
            .await
            .is_err()
        {
            child.kill().await.ok();
        }
    }

    /// Kills the process and starts it again, waiting until it is ready.
    pub async fn restart(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        self.kill().await;
        self.start(http).await
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the service's log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log, lines).unwrap_or_else(|e| format!("(cannot read the log: {e})"))
    }
}

fn tail(path: &Path, lines: usize) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    Ok(all[all.len().saturating_sub(lines)..].join("\n"))
}
