//! Reading typed settings from the environment (12-factor), with a default for each.
//! A variable that is set but does not parse is an error naming it, so a typo in a
//! deployment stops the service at start-up instead of silently falling back.

use std::{str::FromStr, time::Duration};

use anyhow::Context;

/// `name` parsed as `T`, or `default` when unset or blank.
pub fn var<T>(name: &str, default: T) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    read(&|name| std::env::var(name).ok(), name, default)
}

/// [`var`], looking variables up through `lookup` (a test's map, say) instead of the
/// process environment.
pub fn read<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match lookup(name) {
        Some(raw) if !raw.trim().is_empty() => raw
            .trim()
            .parse()
            .with_context(|| format!("{name}={raw:?} is not valid")),
        _ => Ok(default),
    }
}

/// `name` as a number of milliseconds.
pub fn millis(name: &str, default_ms: u64) -> anyhow::Result<Duration> {
    var(name, default_ms).map(Duration::from_millis)
}

/// `name` as milliseconds where 0 (or unset) means "none".
pub fn optional_millis(name: &str) -> anyhow::Result<Option<Duration>> {
    Ok(match var(name, 0u64)? {
        0 => None,
        ms => Some(Duration::from_millis(ms)),
    })
}

/// `name` as a comma-separated list of milliseconds, e.g. `1000,2000,4000`.
pub fn millis_list(name: &str, default: &[Duration]) -> anyhow::Result<Vec<Duration>> {
    let raw: String = var(name, String::new())?;
    if raw.trim().is_empty() {
        return Ok(default.to_vec());
    }
    raw.split(',')
        .map(|part| {
            part.trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .with_context(|| format!("{name}={raw:?} is not a list of milliseconds"))
        })
        .collect()
}

/// `name` as a secret that is absent when unset or empty.
pub fn secret(name: &str) -> anyhow::Result<Option<String>> {
    Ok(Some(var(name, String::new())?).filter(|s| !s.is_empty()))
}
