//! Test fixtures shared by the services' tests. Tests talk to a real PostgreSQL and a
//! real RabbitMQ; each test gets its own fresh database and its own broker names (see
//! [`broker`]) so tests run in parallel without seeing each other's data.
//!
//! Where the server comes from, in order:
//! 1. `TEST_DATABASE_URL` or `DATABASE_URL` in the environment (any database on the
//!    server: it is only used to create the test databases);
//! 2. a PostgreSQL container started with Testcontainers, when a Docker engine runs;
//! 3. `postgres://postgres@127.0.0.1:5432/postgres`.

pub mod broker;
mod running;
mod stalled;

pub use running::Running;
pub use stalled::StalledRequest;

use std::path::Path;

use anyhow::Context;
use sqlx::{Connection, PgConnection};
use testcontainers::{ContainerAsync, runners::AsyncRunner};
use testcontainers_modules::postgres::Postgres;
use tokio::sync::OnceCell;

const LOCAL_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test. It is left behind when the test ends (a test may
/// panic while a pool still holds connections); `just test` drops the leftovers of
/// earlier runs before it starts.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

/// Creates an empty database named `test_<label>_<random>` and returns its URL.
pub async fn fresh_database(label: &str) -> TestDatabase {
    let admin = admin_url().await;
    let name = format!("test_{label}_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::connect(&admin)
        .await
        .with_context(|| {
            format!("cannot reach the test PostgreSQL at {admin}; set TEST_DATABASE_URL")
        })
        .unwrap();
    // The name is ours (a fixed prefix, the label and a UUID), never user input.
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    TestDatabase {
        url: with_database(&admin, &name),
        name,
    }
}

/// The admin URL the test databases are created from.
pub async fn admin_url() -> String {
    if let Some(url) = ["TEST_DATABASE_URL", "DATABASE_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    {
        return url;
    }
    if docker_engine_present() {
        static CONTAINER: OnceCell<(ContainerAsync<Postgres>, String)> = OnceCell::const_new();
        let (_, url) = CONTAINER
            .get_or_init(|| async {
                let container = Postgres::default()
                    .start()
                    .await
                    .expect("start PostgreSQL with Testcontainers");
                let port = container
                    .get_host_port_ipv4(5432)
                    .await
                    .expect("mapped port");
                let url = format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres");
                (container, url)
            })
            .await;
        return url.clone();
    }
    LOCAL_ADMIN_URL.to_owned()
}

fn docker_engine_present() -> bool {
    std::env::var_os("DOCKER_HOST").is_some() || Path::new("/var/run/docker.sock").exists()
}

/// Replaces the database name of a `postgres://` URL, keeping its query string.
pub fn with_database(url: &str, database: &str) -> String {
    with_path(url, database)
}

/// Replaces the path of a `scheme://authority/path` URL (a database name, an AMQP
/// virtual host) with `path`, keeping its query string.
pub fn with_path(url: &str, path: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{path}?{q}"),
        None => format!("{base}/{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5432/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "t1"),
            "postgres://u@h:5432/t1"
        );
    }
}
