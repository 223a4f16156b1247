//! A throwaway PostgreSQL database for pgbench: created under a fresh name
//! (`bench_pgbench_<random>`), given inventory-service's tables by running the same
//! migration files as the service, seeded, and dropped at the end. The service's database is never
//! touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::pgbench_scripts;
use crate::psql;

/// The migrations inventory-service's database gets: the messaging library's tables
/// (outbox, inbox) and the service's own, applied in file-name order across both.
const MIGRATIONS: [&str; 2] = [
    concat!(env!("CARGO_MANIFEST_DIR"), "/../libs/messaging/migrations"),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../services/inventory-service/migrations"
    ),
];
/// No connection attempt waits longer than this (seconds), so a missing server fails fast.
const CONNECT_TIMEOUT_SECS: &str = "5";

/// A database of this run only.
#[derive(Debug)]
pub struct ScratchDatabase {
    psql: PathBuf,
    server_url: String,
    pub name: String,
}

impl ScratchDatabase {
    /// Creates, migrates and seeds a fresh database on the server at `server_url`
    /// (`postgres://user@host:port`). Drops it again if any step fails.
    pub async fn create(psql: PathBuf, server_url: &str) -> anyhow::Result<Self> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let database = Self {
            psql,
            server_url: server_url.to_owned(),
            // The random tail of a UUIDv7 (its head is the clock).
            name: format!("bench_pgbench_{}", &id[id.len() - 12..]),
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

    /// The URL pgbench connects to.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server_url, self.name)
    }

    /// Drops the database, closing any session still in it.
    pub async fn drop(self) -> anyhow::Result<()> {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        self.admin(&drop)
            .await
            .with_context(|| format!("dropping {}: drop it by hand", self.name))
    }

    async fn prepare(&self) -> anyhow::Result<()> {
        for file in migration_files(&MIGRATIONS.map(Path::new))? {
            let path = file.to_string_lossy();
            self.run(&self.url(), &["-f", &path])
                .await
                .with_context(|| format!("applying {path}"))?;
        }
        for statement in pgbench_scripts::seed() {
            self.run(&self.url(), &["-c", &statement])
                .await
                .context("seeding the SKUs")?;
        }
        Ok(())
    }

    async fn admin(&self, statement: &str) -> anyhow::Result<()> {
        let url = format!("{}/postgres", self.server_url);
        self.run(&url, &["-c", statement]).await
    }

    async fn run(&self, url: &str, args: &[&str]) -> anyhow::Result<()> {
        psql::run(&self.psql, url, CONNECT_TIMEOUT_SECS, args).await?;
        Ok(())
    }
}

/// The `.sql` files of `dirs`, in file-name order; a folder that does not exist adds none.
fn migration_files(dirs: &[&Path]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        bail!("no migrations in {dirs:?}");
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_applied_in_file_name_order_across_folders() {
        let files = migration_files(&MIGRATIONS.map(Path::new)).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap()).collect();
        assert!(names.is_sorted(), "{names:?}");
        assert!(files.iter().any(|f| f.starts_with(MIGRATIONS[1])));
    }
}
