//! Readings from /proc: the server's resident memory and CPU time, and the whole machine's
//! share of busy, idle and stolen time (a virtual machine's cores are shared with others).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every common build.
const TICKS_PER_SECOND: f64 = 100.0;

pub fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_micros() as u64
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Process {
    pub rss_kib: u64,
    pub cpu_ticks: u64,
    #[serde(skip)]
    pub at: Option<Instant>,
}

impl Process {
    pub fn read(pid: u32) -> anyhow::Result<Process> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        let cpu_ticks = stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?);
        Ok(Process { rss_kib, cpu_ticks, at: Some(Instant::now()) })
    }

    /// CPU seconds used between two readings.
    pub fn cpu_seconds_since(&self, earlier: &Process) -> f64 {
        seconds_between(earlier.cpu_ticks, self.cpu_ticks)
    }

    /// CPU used between two readings, as a percentage of one core.
    pub fn cpu_percent_since(&self, earlier: &Process) -> f64 {
        let (Some(now), Some(then)) = (self.at, earlier.at) else { return 0.0 };
        let seconds = now.duration_since(then).as_secs_f64();
        self.cpu_seconds_since(earlier) / seconds * 100.0
    }
}

/// User and system clock ticks from a `stat` file of /proc (a process's or a thread's).
fn stat_ticks(stat: &str) -> u64 {
    // Fields after the command name (which may contain spaces): utime is 14th, stime 15th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// A process's CPU clock ticks by thread name (threads of one name summed: a runtime's
/// workers), to say which part of a server a join costs: its accept loop, its runtime's
/// workers, its database thread.
#[derive(Debug, Clone, Default)]
pub struct Threads(BTreeMap<String, u64>);

impl Threads {
    pub fn read(pid: u32) -> anyhow::Result<Threads> {
        let mut by_name = BTreeMap::new();
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
            let dir = task?.path();
            // A thread may end between the listing and the reading: it is left out.
            let (Ok(name), Ok(stat)) =
                (std::fs::read_to_string(dir.join("comm")), std::fs::read_to_string(dir.join("stat")))
            else {
                continue;
            };
            *by_name.entry(name.trim().to_owned()).or_insert(0) += stat_ticks(&stat);
        }
        Ok(Threads(by_name))
    }

    /// CPU µs per `count` (joins) by thread name since `earlier`, the largest first; names that
    /// spent nothing are left out. A thread that ended meanwhile takes its ticks with it, so a
    /// name's figure is a floor.
    pub fn per_since(&self, earlier: &Threads, count: u64) -> Vec<(String, f64)> {
        let mut per: Vec<(String, f64)> = self
            .0
            .iter()
            .map(|(name, &now)| {
                let then = earlier.0.get(name).copied().unwrap_or(0);
                (name.clone(), seconds_between(then, now) * 1e6 / count.max(1) as f64)
            })
            .filter(|(_, us)| *us > 0.0)
            .collect();
        per.sort_by(|a, b| b.1.total_cmp(&a.1));
        per
    }
}

/// CPU ticks of the server and of the load generator's processes, read together (around the
/// joins, around the draws).
pub struct SidesCpu {
    server: Option<u64>,
    generator: u64,
}

/// What one phone's result cost each side, in CPU µs: the server's writes and the generator's
/// reads of the same frames.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct PerResult {
    pub server_us: Option<f64>,
    pub generator_us: f64,
}

impl SidesCpu {
    pub fn read(server: Option<u32>, generator: &[u32]) -> anyhow::Result<SidesCpu> {
        let mut ticks = 0;
        for &pid in generator {
            ticks += Process::read(pid)?.cpu_ticks;
        }
        Ok(SidesCpu { server: server.map(Process::read).transpose()?.map(|p| p.cpu_ticks), generator: ticks })
    }

    /// CPU µs per result received between `earlier` and this reading.
    pub fn per_result_since(&self, earlier: &SidesCpu, results: u64) -> Option<PerResult> {
        let us = |then: u64, now: u64| seconds_between(then, now) * 1e6 / results as f64;
        (results > 0).then(|| PerResult {
            server_us: earlier.server.zip(self.server).map(|(then, now)| us(then, now)),
            generator_us: us(earlier.generator, self.generator),
        })
    }
}

/// CPU seconds between two readings of a process's clock ticks.
fn seconds_between(then: u64, now: u64) -> f64 {
    now.saturating_sub(then) as f64 / TICKS_PER_SECOND
}

/// The machine's CPU clock ticks by kind, summed over its cores (the `cpu` line of /proc/stat),
/// and how many connections its TCP stack dropped for a full accept queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct Machine {
    busy: u64,
    idle: u64,
    stolen: u64,
    listen_overflows: Option<u64>,
}

/// How the machine's cores spent a span, in % of all their time. `stolen` is time the
/// hypervisor gave another guest while this one had work: on this project's virtual machines
/// it went from a few per cent to more than half under load, from one minute to the next,
/// which is most of why the same server's join rate moved by half between runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct MachineShare {
    pub busy_percent: f64,
    pub idle_percent: f64,
    pub stolen_percent: f64,
    /// Connections the kernel dropped because a listener's accept queue was full
    /// (`TcpExtListenOverflows`, the whole machine's): each such client sends its SYN again
    /// a second later. Every listener on the machine counts, but during a bench only the
    /// server under test takes connections.
    #[serde(default)]
    pub listen_overflows: Option<u64>,
}

impl Machine {
    pub fn read() -> anyhow::Result<Machine> {
        let mut machine = Machine::parse(&std::fs::read_to_string("/proc/stat")?)?;
        machine.listen_overflows = std::fs::read_to_string("/proc/net/netstat")
            .ok()
            .and_then(|text| tcp_ext(&text, "ListenOverflows"));
        Ok(machine)
    }

    /// From /proc/stat's first line: user nice system idle iowait irq softirq steal guest
    /// guest_nice (guest time is already counted in user and nice).
    fn parse(stat: &str) -> anyhow::Result<Machine> {
        let line =
            stat.lines().find(|l| l.starts_with("cpu ")).ok_or_else(|| anyhow::anyhow!("no cpu line"))?;
        let t: Vec<u64> = line.split_whitespace().skip(1).map(str::parse).collect::<Result<_, _>>()?;
        let at = |i: usize| t.get(i).copied().unwrap_or(0);
        Ok(Machine {
            busy: at(0) + at(1) + at(2) + at(5) + at(6),
            idle: at(3) + at(4),
            stolen: at(7),
            listen_overflows: None,
        })
    }

    /// The share of each kind since `earlier`; none if no tick passed.
    pub fn share_since(&self, earlier: &Machine) -> Option<MachineShare> {
        let busy = self.busy.saturating_sub(earlier.busy) as f64;
        let idle = self.idle.saturating_sub(earlier.idle) as f64;
        let stolen = self.stolen.saturating_sub(earlier.stolen) as f64;
        let all = busy + idle + stolen;
        (all > 0.0).then(|| MachineShare {
            busy_percent: busy / all * 100.0,
            idle_percent: idle / all * 100.0,
            stolen_percent: stolen / all * 100.0,
            listen_overflows: self
                .listen_overflows
                .zip(earlier.listen_overflows)
                .map(|(now, then)| now.saturating_sub(then)),
        })
    }
}

/// One counter of /proc/net/netstat's `TcpExt:` lines (a line of names, then one of values).
fn tcp_ext(netstat: &str, name: &str) -> Option<u64> {
    let mut lines = netstat.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (lines.next()?, lines.next()?);
    let at = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(at)?.parse().ok()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Idle {
    pub rss_kib: u64,
    pub cpu_percent_of_one_core: f64,
    pub seconds: f64,
}

/// The server's CPU while nothing happens but heartbeats.
pub async fn idle(pid: u32, window: Duration) -> anyhow::Result<Idle> {
    let before = Process::read(pid)?;
    tokio::time::sleep(window).await;
    let after = Process::read(pid)?;
    Ok(Idle {
        rss_kib: after.rss_kib,
        cpu_percent_of_one_core: after.cpu_percent_since(&before),
        seconds: window.as_secs_f64(),
    })
}

/// One gauge from the server's `/metrics` (at the WebSocket URL's address), if it has one: the
/// peers have no such page, and then there is none.
pub fn server_metric(ws_url: &str, name: &str) -> Option<f64> {
    let address = ws_url.trim_start_matches("ws://").split('/').next()?;
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {address}\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_summed_by_name_and_given_per_join_largest_first() {
        let ticks = |pairs: &[(&str, u64)]| Threads(pairs.iter().map(|(n, t)| (n.to_string(), *t)).collect());
        let before = ticks(&[("worker", 100), ("server", 10), ("store", 5)]);
        // 0.9 s of the workers, 0.1 s of the accept loop, none of the store, 0.02 s of a thread
        // born meanwhile, over 10,000 joins.
        let after = ticks(&[("worker", 190), ("server", 20), ("store", 5), ("new", 2)]);
        let per = after.per_since(&before, 10_000);
        let rounded: Vec<(&str, f64)> = per.iter().map(|(n, us)| (n.as_str(), us.round())).collect();
        assert_eq!(rounded, [("worker", 90.0), ("server", 10.0), ("new", 2.0)]);
        assert_eq!(stat_ticks("42 (tokio rt) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14"), 23, "utime 11 + stime 12");
        // This very process has at least its main thread.
        assert!(!Threads::read(std::process::id()).unwrap().0.is_empty());
    }

    #[test]
    fn the_machine_share_counts_steal_apart_from_busy_and_idle() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        let before = Machine::parse("cpu  100 0 50 1000 10 0 10 40 0 0\ncpu0 1 2 3\n").unwrap();
        let after = Machine::parse("cpu  140 0 70 1030 20 0 20 80 5 0\n").unwrap();
        // 70 busy (40 user, 20 system, 10 softirq), 40 idle (30 idle, 10 iowait), 40 stolen.
        let share = after.share_since(&before).unwrap();
        assert_eq!(share.busy_percent.round(), 47.0);
        assert_eq!(share.idle_percent.round(), 27.0);
        assert_eq!(share.stolen_percent.round(), 27.0);
        assert!(after.share_since(&after).is_none(), "no time passed, no share");
        assert!(Machine::parse("intr 1 2\n").is_err());
        assert_eq!(share.listen_overflows, None, "no netstat reading, no count");
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 3 650975 650975\n\
                       IpExt: InNoRoutes\nIpExt: 0\n";
        assert_eq!(tcp_ext(netstat, "ListenOverflows"), Some(650_975));
        assert_eq!(tcp_ext(netstat, "Missing"), None);
        let with = |n| Machine { listen_overflows: Some(n), ..after };
        assert_eq!(
            with(120)
                .share_since(&Machine { listen_overflows: Some(100), ..before })
                .unwrap()
                .listen_overflows,
            Some(20)
        );
    }

    #[test]
    fn cpu_per_result_is_ticks_over_results_in_microseconds() {
        let before = SidesCpu { server: Some(1_000), generator: 500 };
        // 36 ticks (0.36 s) of the server and 18 of the generator over 18,000 results.
        let after = SidesCpu { server: Some(1_036), generator: 518 };
        let per = after.per_result_since(&before, 18_000).unwrap();
        assert_eq!(per.server_us.map(|us| us.round()), Some(20.0));
        assert_eq!(per.generator_us.round(), 10.0);
        assert!(after.per_result_since(&before, 0).is_none(), "no results, no figure");
        let peer = SidesCpu { server: None, generator: 518 };
        let no_pid = peer.per_result_since(&SidesCpu { server: None, generator: 500 }, 18_000).unwrap();
        assert_eq!(no_pid.server_us, None, "a server without a pid has no CPU figure");
    }
}
