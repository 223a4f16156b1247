//! Both facades fuzzed from their own OpenAPI documents: schemathesis (pinned, from the
//! virtual environment `infra/local/fuzz-venv.sh` makes) generates valid and invalid
//! requests for every operation of `GET /openapi.json` (examples, coverage, fuzzing and
//! stateful phases) and checks that no answer is a 5xx and that every status is one the
//! document declares for that operation. See docs/runbooks/e2e.md.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use e2e::{Options, Service, System, traffic};

/// SKUs seeded before the run: the documents' example SKU, so the operations the examples
/// drive meet stock that exists, and a small one that runs out.
const STOCK: [(&str, i64); 2] = [("ABC-1234-AB", 1_000), ("AAA-0001-AA", 3)];

/// The settings of every run: the same seed and budget each time, so a failure repeats.
const SEED: &str = "20240917";
const MAX_EXAMPLES: &str = "30";
/// A run (a few seconds on two cores) that takes longer than this is stopped and fails.
const RUN_WITHIN: Duration = Duration::from_secs(75);

/// The schemathesis executable: `SCHEMATHESIS`, else the one in `target/fuzz-venv`.
fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-venv/bin/schemathesis")
}

/// `target/e2e-logs/fuzz-<id>/`, beside the services' logs.
fn output_dir() -> PathBuf {
    let target = std::env::current_exe()
        .expect("the test executable's path")
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let dir = target
        .join("e2e-logs")
        .join(format!("fuzz-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("the fuzz output directory");
    dir
}

/// The command line of one run against the facade at `base`.
fn command(schemathesis: &Path, base: &str) -> Command {
    let mut command = Command::new(schemathesis);
    command.args([
        "run",
        &format!("{base}/openapi.json"),
        "--url",
        base,
        "--checks",
        "not_a_server_error,status_code_conformance",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--continue-on-failure",
        "--generation-database",
        "none",
        "--request-timeout",
        "15",
        // A change stream (Server-Sent Events) is an answer that never ends by design:
        // there is no response to check, only a request timeout to wait out. Its
        // refusals are tested with the stock view's tests.
        "--exclude-path-regex",
        "/changes$",
        "--no-color",
    ]);
    command
}

/// Runs schemathesis against one facade; `Err` carries what it printed.
async fn fuzz(schemathesis: &Path, name: &str, base: &str, dir: &Path) -> Result<(), String> {
    let log = dir.join(format!("{name}.txt"));
    let out = File::create(&log).expect("the schemathesis output file");
    let mut cmd = command(schemathesis, base);
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("a second handle on the output file"))
        .stderr(out);
    let shown = format!("{cmd:?}");
    eprintln!("[fuzz] {name}: {shown}");
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", schemathesis.display()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for schemathesis") {
            break Some(status);
        }
        if started.elapsed() > RUN_WITHIN {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let printed = std::fs::read_to_string(&log).unwrap_or_default();
    eprintln!(
        "[fuzz] {name}: {:?} in {:.0?} (output: {})",
        status,
        started.elapsed(),
        log.display()
    );
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(format!("{name}: schemathesis {s}\n{shown}\n\n{printed}")),
        None => Err(format!(
            "{name}: schemathesis still running after {RUN_WITHIN:?}, stopped\n{shown}\n\n{printed}"
        )),
    }
}

#[tokio::test]
async fn both_facades_answer_every_generated_request_as_documented() {
    let schemathesis = schemathesis();
    assert!(
        schemathesis.exists(),
        "{} is missing: run infra/local/fuzz-venv.sh (which `just test` does) to install \
         the pinned schemathesis, or point SCHEMATHESIS at one",
        schemathesis.display()
    );

    let system = System::start("fuzz", Options::default()).await.unwrap();
    let inventory_api = system.url(Service::InventoryApi);
    for (sku, qty) in STOCK {
        traffic::create_stock(&system.http, &inventory_api, sku, qty)
            .await
            .unwrap();
    }

    let dir = output_dir();
    let mut failures = Vec::new();
    for (name, service) in [
        ("inventory-api", Service::InventoryApi),
        ("order-api", Service::OrderApi),
    ] {
        if let Err(failure) = fuzz(&schemathesis, name, &system.url(service), &dir).await {
            failures.push(failure);
        }
    }
    system.shutdown().await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
