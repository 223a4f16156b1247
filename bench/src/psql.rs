//! `psql`, the one way the bench reaches PostgreSQL (it has no database driver of its
//! own): found beside pgbench, which ships with it.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{Context, bail};
use tokio::process::Command;

/// `psql` from the folder `pgbench` is in, or from `PATH` if `pgbench` is a bare name.
pub fn beside(pgbench: &Path) -> PathBuf {
    match pgbench.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("psql"),
        _ => PathBuf::from("psql"),
    }
}

/// Runs psql on `url` with `args` (no startup file, stopping at the first error, giving
/// up connecting after `connect_timeout_secs`); its output, or its error text.
pub async fn run(
    psql: &Path,
    url: &str,
    connect_timeout_secs: &str,
    args: &[&str],
) -> anyhow::Result<String> {
    let output = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
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
        let psql = beside(Path::new("/usr/lib/postgresql/15/bin/pgbench"));
        assert_eq!(psql, Path::new("/usr/lib/postgresql/15/bin/psql"));
        assert_eq!(beside(Path::new("pgbench")), Path::new("psql"));
    }
}
