//! CPU and memory of the system's processes over a run, read from `/proc` (Linux): the
//! four services, PostgreSQL (every `postgres` process, summed), RabbitMQ (`beam.smp`),
//! the bench itself, and the busy time of the whole machine. On a machine this size the
//! services, the database, the broker and the load generator share the cores: a run's
//! figures mean little without who spent them, and the machine's total above the sum of
//! these processes is something else that ran at the same time.
//!
//! CPU: user + system time over the window (`/proc/<pid>/stat`, in clock ticks) as a %
//! of one core; a process started inside the window counts from its start, one that
//! ended inside it is missed (children's times are left out on purpose: a long-lived
//! PostgreSQL backend closed mid-run would bring its whole life into the window). A
//! process's time is that of all its threads, live and ended (the kernel sums them in
//! the leader's `stat`), so the bench's column is the whole load generator: its HTTP
//! clients and their connection tasks, its timers, and its sampling of `/metrics`.
//! The machine's busy time is its cores' wall time less their idle time (`/proc/stat`):
//! its own user and system fields are sampled at the timer tick, which a tickless idle
//! core skips, so under a light, bursty load they fall below what the processes report.
//! Memory: resident set (`VmRSS` of `/proc/<pid>/status`) at the end of the window,
//! summed over the processes of a kind; for PostgreSQL that counts the shared buffers
//! once per backend that touched them, so it overstates.
//!
//! A local service is the pid `just up` wrote to `.run/<name>.pid` when that process
//! runs, else every process of its name (a test suite may run more at the same time).

use std::{
    collections::BTreeMap,
    future::Future,
    path::PathBuf,
    sync::OnceLock,
    time::{Duration, Instant},
};

use crate::figures::{ProcessUse, Resources, round2};

/// Where `just up` writes the pids of the processes it starts.
const RUN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.run");
/// Clock ticks per second where `getconf` cannot say: what Linux uses everywhere.
const USUAL_CLOCK_TICKS: u64 = 100;

/// A process followed, a column of the report.
#[derive(Debug, Clone, Copy)]
struct Followed {
    name: &'static str,
    /// The executable's name as `/proc/<pid>/comm` shows it: cut to 15 bytes.
    comm: &'static str,
    /// A service `just up` starts as a local process, writing its pid file.
    local_service: bool,
}

const FOLLOWED: [Followed; 7] = [
    service("inventory-api", "inventory-api"),
    service("inventory-service", "inventory-servi"),
    service("order-api", "order-api"),
    service("order-service", "order-service"),
    other("postgres", "postgres"),
    other("rabbitmq", "beam.smp"),
    other("bench", "bench"),
];

const fn service(name: &'static str, comm: &'static str) -> Followed {
    Followed {
        name,
        comm,
        local_service: true,
    }
}

const fn other(name: &'static str, comm: &'static str) -> Followed {
    Followed {
        name,
        comm,
        local_service: false,
    }
}

/// The idle time of all cores since boot, and how many cores there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MachineIdle {
    ticks: u64,
    cores: u64,
}

/// One process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PidFigures {
    /// User + system time since it started.
    ticks: u64,
    rss_kib: u64,
}

/// The figures of every followed process, and of the machine, at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    taken: Instant,
    machine: Option<MachineIdle>,
    processes: BTreeMap<&'static str, BTreeMap<u32, PidFigures>>,
}

impl Snapshot {
    pub fn take() -> Self {
        let comms = all_comms();
        let processes = FOLLOWED
            .into_iter()
            .map(|followed| {
                let figures = pids_of(followed, &comms)
                    .into_iter()
                    .filter_map(|pid| read_pid(pid).map(|f| (pid, f)))
                    .collect();
                (followed.name, figures)
            })
            .collect();
        Self {
            taken: Instant::now(),
            machine: std::fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|text| machine_idle(&text)),
            processes,
        }
    }

    /// What each process used from `start` to this snapshot.
    pub fn since(&self, start: &Snapshot) -> Resources {
        usage(start, self, clock_ticks())
    }
}

/// Runs `work`, and says what the processes used meanwhile.
pub async fn during<T>(work: impl Future<Output = T>) -> (T, Resources) {
    let start = Snapshot::take();
    let output = work.await;
    (output, Snapshot::take().since(&start))
}

/// The processes at rest for `window`: what they use when nothing is asked of them.
pub async fn idle(window: Duration) -> Resources {
    during(tokio::time::sleep(window)).await.1
}

fn usage(start: &Snapshot, end: &Snapshot, ticks_per_sec: u64) -> Resources {
    let seconds = end
        .taken
        .saturating_duration_since(start.taken)
        .as_secs_f64();
    let percent = |ticks: u64| {
        round2(ticks as f64 / ticks_per_sec.max(1) as f64 / seconds.max(f64::EPSILON) * 100.0)
    };
    let processes = FOLLOWED
        .into_iter()
        .map(|Followed { name, .. }| {
            let before = start.processes.get(name);
            let now = end.processes.get(name).cloned().unwrap_or_default();
            let ticks = now
                .iter()
                .map(|(pid, figures)| {
                    let earlier = before.and_then(|b| b.get(pid)).map_or(0, |f| f.ticks);
                    figures.ticks.saturating_sub(earlier)
                })
                .sum();
            ProcessUse {
                process: name,
                count: now.len(),
                cpu_percent: percent(ticks),
                rss_mib: round2(now.values().map(|f| f.rss_kib).sum::<u64>() as f64 / 1024.0),
            }
        })
        .collect();
    Resources {
        window_secs: round2(seconds),
        machine_cpu_percent: start.machine.zip(end.machine).map(|(before, after)| {
            let all = after.cores as f64 * 100.0;
            (all - percent(after.ticks.saturating_sub(before.ticks))).clamp(0.0, all)
        }),
        processes,
    }
}

/// `sysconf(_SC_CLK_TCK)`, asked of `getconf` once (the bench has no unsafe code to
/// call it itself), else the usual 100.
fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|ticks| *ticks > 0)
            .unwrap_or(USUAL_CLOCK_TICKS)
    })
}

/// Every process's pid and name.
fn all_comms() -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid = entry.ok()?.file_name().to_str()?.parse::<u32>().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            Some((pid, comm.trim_end().to_owned()))
        })
        .collect()
}

/// The pids counted as `process`: the bench's own, a service's pid file when its
/// process runs, else every process of the name.
fn pids_of(followed: Followed, comms: &[(u32, String)]) -> Vec<u32> {
    if followed.name == "bench" {
        return vec![std::process::id()];
    }
    let named: Vec<u32> = comms
        .iter()
        .filter(|(_, comm)| comm == followed.comm)
        .map(|(pid, _)| *pid)
        .collect();
    let started = followed
        .local_service
        .then(|| PathBuf::from(RUN_DIR).join(format!("{}.pid", followed.name)))
        .and_then(|file| std::fs::read_to_string(file).ok())
        .and_then(|text| text.trim().parse::<u32>().ok())
        .filter(|pid| named.contains(pid));
    match started {
        Some(pid) => vec![pid],
        None => named,
    }
}

fn read_pid(pid: u32) -> Option<PidFigures> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(PidFigures {
        ticks: cpu_ticks(&stat)?,
        // A kernel thread or a zombie has no resident set.
        rss_kib: vm_rss_kib(&status).unwrap_or(0),
    })
}

/// utime + stime of a `/proc/<pid>/stat` line. The name, in parentheses, may hold spaces
/// and parentheses: the fields are counted from the last `)`, which follows it.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the line; the first after the name is field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS:  12345 kB` of `/proc/<pid>/status`.
fn vm_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The idle and iowait ticks of all cores, from the `cpu` line of `/proc/stat`, and the
/// number of cores (its `cpuN` lines).
fn machine_idle(stat: &str) -> Option<MachineIdle> {
    let mut fields = stat
        .lines()
        .find(|l| l.starts_with("cpu "))?
        .split_whitespace()
        .skip(4);
    let idle: u64 = fields.next()?.parse().ok()?;
    let iowait: u64 = fields.next()?.parse().ok()?;
    let cores = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count() as u64;
    (cores > 0).then_some(MachineIdle {
        ticks: idle + iowait,
        cores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_the_name_even_when_it_holds_spaces() {
        let stat =
            "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 2000 0 0 0 150 25 7 3 20 0 9 0 100 0 0";
        assert_eq!(cpu_ticks(stat), Some(175));
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn resident_memory_and_machine_time_are_read_from_proc() {
        let status = "Name:\tpostgres\nVmPeak:\t  9000 kB\nVmRSS:\t   20480 kB\nThreads:\t1\n";
        assert_eq!(vm_rss_kib(status), Some(20480));
        assert_eq!(vm_rss_kib("Name:\tkthreadd\n"), None);
        let stat = "cpu  100 5 50 9000 40 3 2 1 0 0\ncpu0 50 2 25 4500 20 1 1 0 0 0\n\
                    cpu1 50 3 25 4500 20 2 1 1 0 0\nintr 1 2 3\n";
        assert_eq!(
            machine_idle(stat),
            Some(MachineIdle {
                ticks: 9040,
                cores: 2
            })
        );
    }

    fn snapshot(at: Instant, idle: u64, postgres: &[(u32, u64, u64)]) -> Snapshot {
        let pids = postgres
            .iter()
            .map(|&(pid, ticks, rss_kib)| (pid, PidFigures { ticks, rss_kib }))
            .collect();
        Snapshot {
            taken: at,
            machine: Some(MachineIdle {
                ticks: idle,
                cores: 2,
            }),
            processes: BTreeMap::from([("postgres", pids)]),
        }
    }

    #[test]
    fn usage_is_a_share_of_one_core_and_memory_is_summed_at_the_end() {
        let t0 = Instant::now();
        let start = snapshot(t0, 1_000, &[(10, 500, 1024), (11, 100, 1024)]);
        // Over 2 s: pid 10 used 50 ticks, pid 11 ended, pid 12 started and used 30; the
        // two cores were idle for 100 of their 400 ticks.
        let end = snapshot(
            t0 + Duration::from_secs(2),
            1_100,
            &[(10, 550, 2048), (12, 30, 1024)],
        );
        let used = usage(&start, &end, 100);
        assert_eq!(used.window_secs, 2.0);
        assert_eq!(used.machine_cpu_percent, Some(150.0));
        let postgres = used
            .processes
            .iter()
            .find(|p| p.process == "postgres")
            .unwrap();
        assert_eq!(postgres.count, 2);
        assert_eq!(postgres.cpu_percent, 40.0);
        assert_eq!(postgres.rss_mib, 3.0);
        let api = &used.processes[0];
        assert_eq!(
            (api.process, api.count, api.cpu_percent),
            ("inventory-api", 0, 0.0)
        );
    }
}
