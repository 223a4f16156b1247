//! The broker side of a run: every system gets its own RabbitMQ virtual host, so its
//! exchanges and queues are its own and its connections can be cut without touching
//! anybody else's. Chaos goes through `rabbitmqctl` (`RABBITMQCTL` names another
//! command, e.g. `docker exec rabbitmq rabbitmqctl` for a broker in a container).

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::Command;

/// A virtual host made for one run; [`VirtualHost::delete`] removes it with everything in it.
#[derive(Debug, Clone)]
pub struct VirtualHost {
    name: String,
    url: String,
}

impl VirtualHost {
    /// Creates `e2e-<label>-<unix seconds>-<random>` (the time lets a later run tell a
    /// leftover from a live one) and lets the broker URL's user use it.
    pub async fn create(label: &str) -> anyhow::Result<Self> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let name = format!("e2e-{label}-{now}-{:04x}", fastrand::u16(..));
        let base = testkit::broker::amqp_url();
        let user = user_of(&base).unwrap_or("guest").to_owned();
        rabbitmqctl(&["add_vhost", &name]).await?;
        rabbitmqctl(&["set_permissions", "-p", &name, &user, ".*", ".*", ".*"]).await?;
        Ok(Self {
            url: testkit::with_path(&base, &name),
            name,
        })
    }

    /// The AMQP URL of this virtual host.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes every client connection to this virtual host, as a network cut or a broker
    /// failover would; the services must reconnect on their own.
    pub async fn close_connections(&self) -> anyhow::Result<()> {
        rabbitmqctl(&[
            "close_all_connections",
            "--vhost",
            &self.name,
            "--limit",
            "1000",
            "end-to-end chaos: connection cut",
        ])
        .await
    }

    /// The broker goes away for this virtual host only: its user loses the permission to
    /// use it and every connection is closed, so the services' reconnections are refused
    /// until [`VirtualHost::restore`]. What was queued stays queued.
    pub async fn outage(&self) -> anyhow::Result<()> {
        rabbitmqctl(&["clear_permissions", "-p", &self.name, &self.user()]).await?;
        self.close_connections().await
    }

    /// Ends an [`VirtualHost::outage`].
    pub async fn restore(&self) -> anyhow::Result<()> {
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            &self.name,
            &self.user(),
            ".*",
            ".*",
            ".*",
        ])
        .await
    }

    fn user(&self) -> String {
        user_of(&self.url).unwrap_or("guest").to_owned()
    }

    pub async fn delete(&self) -> anyhow::Result<()> {
        rabbitmqctl(&["delete_vhost", &self.name]).await
    }
}

/// Stops and starts the RabbitMQ application on its node: every connection of every
/// client drops and the listener is gone until it is back. Affects every user of the
/// broker, so only a test that runs alone may do it.
pub async fn restart_broker(down_for: Duration) -> anyhow::Result<()> {
    rabbitmqctl(&["stop_app"]).await?;
    tokio::time::sleep(down_for).await;
    rabbitmqctl(&["start_app"]).await?;
    rabbitmqctl(&["await_startup"]).await
}

/// Longest wait for one `rabbitmqctl` command (a node start included).
const RABBITMQCTL_WITHIN: Duration = Duration::from_secs(60);

async fn rabbitmqctl(args: &[&str]) -> anyhow::Result<()> {
    let configured = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_owned());
    let mut words = configured.split_whitespace();
    let program = words.next().context("RABBITMQCTL is empty")?;
    let running = Command::new(program)
        .args(words)
        .arg("--quiet")
        .args(args)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RABBITMQCTL_WITHIN, running)
        .await
        .with_context(|| {
            format!(
                "{configured} {} had no end within {RABBITMQCTL_WITHIN:?}",
                args.join(" ")
            )
        })?
        .with_context(|| {
            format!("run {program} (the end-to-end suite drives RabbitMQ with it; set RABBITMQCTL)")
        })?;
    if !output.status.success() {
        bail!(
            "{configured} {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn user_of(url: &str) -> Option<&str> {
    let authority = url.split_once("://")?.1.split('/').next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    Some(userinfo.split(':').next().unwrap_or(userinfo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_is_read_from_the_url() {
        assert_eq!(user_of("amqp://guest:guest@h:5672/%2f"), Some("guest"));
        assert_eq!(user_of("amqp://alice@h/%2f"), Some("alice"));
        assert_eq!(user_of("amqp://h:5672/%2f"), None);
    }
}
