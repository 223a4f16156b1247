//! A throwaway PostgreSQL database for pgbench: created under a fresh name
//! (`bench_pgbench_<random>`), given inventory-service's tables by running the service's
//! own migration files, seeded, and dropped at the end. The service's database is never
//! touched.
//!
//! Everything goes through `psql`, which ships with pgbench, so the bench needs no
//! database driver of its own.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{Context, bail};
use tokio::process::Command;

use super::pgbench_scripts;

/// inventory-service's migrations, applied in file-name order as the service does.
const MIGRATIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../services/inventory-service/migrations"
);
/// No connection attempt waits longer than this (seconds), so a missing server fails fast.
const CONNECT_TIMEOUT_SECS: &str = "5";

/// The two client programs, found beside each other.
#[derive(Debug, Clone)]
pub struct Tools {
    pub pgbench: PathBuf,
    pub psql: PathBuf,
}

impl Tools {
    /// `psql` from the folder `pgbench` is in, or from `PATH` if `pgbench` is a bare name.
    pub fn beside(pgbench: &Path) -> Self {
        let psql = match pgbench.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("psql"),
            _ => PathBuf::from("psql"),
        };
        Self {
            pgbench: pgbench.to_owned(),
            psql,
        }
    }

    /// pgbench's version line, once both programs are known to run.
    pub async fn check(&self) -> anyhow::Result<String> {
        let version = version_of(&self.pgbench).await?;
        version_of(&self.psql).await?;
        Ok(version)
    }
}

async fn version_of(program: &Path) -> anyhow::Result<String> {
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("{} cannot be run", program.display()))?;
    if !output.status.success() {
        bail!("{} --version failed", program.display());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A database of this run only.
#[derive(Debug)]
pub struct ScratchDatabase {
    psql: PathBuf,
    server_url: String,
    name: String,
}

impl ScratchDatabase {
    /// Creates, migrates and seeds a fresh database on the server at `server_url`
    /// (`postgres://user@host:port`). Drops it again if any step fails.
    pub async fn create(tools: &Tools, server_url: &str) -> anyhow::Result<Self> {
        let database = Self {
            psql: tools.psql.clone(),
            server_url: server_url.trim_end_matches('/').to_owned(),
            name: format!("bench_pgbench_{}", random_suffix()),
        };
        database
            .admin(&format!("CREATE DATABASE {}", database.name))
            .await
            .context("creating the throwaway database")?;
        if let Err(e) = database.prepare().await {
            let _ = database.drop().await;
            return Err(e);
        }
        Ok(database)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL pgbench connects to.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server_url, self.name)
    }

    /// Drops the database, closing any session still in it.
    pub async fn drop(self) -> anyhow::Result<()> {
        self.admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await
        .with_context(|| format!("dropping {}", self.name))
    }

    async fn prepare(&self) -> anyhow::Result<()> {
        for file in migration_files(Path::new(MIGRATIONS))? {
            let path = file.to_string_lossy().into_owned();
            psql(&self.psql, &self.url(), &["-f", &path])
                .await
                .with_context(|| format!("applying {}", file.display()))?;
        }
        for statement in pgbench_scripts::seed() {
            psql(&self.psql, &self.url(), &["-c", &statement])
                .await
                .context("seeding the SKUs")?;
        }
        Ok(())
    }

    async fn admin(&self, statement: &str) -> anyhow::Result<()> {
        let url = format!("{}/postgres", self.server_url);
        psql(&self.psql, &url, &["-c", statement]).await
    }
}

/// Twelve random hex digits: the random tail of a UUIDv7 (its head is the clock).
fn random_suffix() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 12..].to_owned()
}

/// The `.sql` files of `dir`, in name order.
pub fn migration_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the migrations in {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no migrations in {}", dir.display());
    }
    Ok(files)
}

/// Runs psql quietly, stopping at the first error, and reports its error text.
async fn psql(psql: &Path, url: &str, args: &[&str]) -> anyhow::Result<()> {
    let quiet: Vec<&str> = std::iter::once("-q").chain(args.iter().copied()).collect();
    run_psql(psql, url, CONNECT_TIMEOUT_SECS, &quiet).await?;
    Ok(())
}

/// Runs psql on `url` with `args` (no startup file, stopping at the first error, giving
/// up connecting after `connect_timeout_secs`); its output, or its error text.
pub(crate) async fn run_psql(
    psql: &Path,
    url: &str,
    connect_timeout_secs: &str,
    args: &[&str],
) -> anyhow::Result<String> {
    let output = Command::new(psql)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-d", url])
        .args(args)
        .env("PGCONNECT_TIMEOUT", connect_timeout_secs)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", psql.display()))?;
    if !output.status.success() {
        bail!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_is_looked_up_beside_pgbench() {
        let tools = Tools::beside(Path::new("/usr/lib/postgresql/15/bin/pgbench"));
        assert_eq!(tools.psql, Path::new("/usr/lib/postgresql/15/bin/psql"));
        assert_eq!(Tools::beside(Path::new("pgbench")).psql, Path::new("psql"));
    }

    #[test]
    fn the_service_migrations_are_found_in_order() {
        let files = migration_files(Path::new(MIGRATIONS)).unwrap();
        let names: Vec<_> = files
            .iter()
            .filter_map(|f| f.file_name()?.to_str())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(names[0].starts_with("0001"));
    }
}
