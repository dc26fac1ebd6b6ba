//! The figures of a run, as a table for people and JSON for tools.

use crate::measure::{Idle, MachineShare, PerResult, Process};
use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Joins {
    pub ok: u64,
    pub failed: u64,
    /// The slowest worker's time from its first connection to its last join.
    pub slowest_worker_ms: u64,
    /// Connections closed before their phone joined, tried again (the join counts once).
    #[serde(default)]
    pub retried: u64,
}

impl Joins {
    pub fn add(&mut self, line: &str) -> anyhow::Result<()> {
        let f: Vec<u64> = line
            .strip_prefix("joined ")
            .context("a joined line")?
            .split(' ')
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        self.ok += f[0];
        self.failed += f[1];
        self.slowest_worker_ms = self.slowest_worker_ms.max(f[2]);
        self.retried += f.get(3).copied().unwrap_or(0);
        Ok(())
    }
}

pub fn parse_results(line: &str) -> anyhow::Result<(Vec<u64>, u64)> {
    let mut fields = line.strip_prefix("results ").context("a results line")?.split_whitespace();
    let missing = fields.next().context("a count")?.parse()?;
    Ok((fields.map(str::parse).collect::<Result<_, _>>()?, missing))
}

pub fn parse_count(line: &str, word: &str) -> anyhow::Result<u64> {
    Ok(line.strip_prefix(word).context("a count line")?.trim().parse()?)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fanout {
    pub draw: u32,
    pub received: usize,
    pub missing: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Result frames delivered per second over the fan-out (received / max latency).
    pub frames_per_second: f64,
    /// The server's own time from the result queued to its last write (its `/metrics`), when
    /// it reports one.
    #[serde(default)]
    pub server_last_write_ms: Option<f64>,
}

impl Fanout {
    pub fn from_latencies(draw: u32, mut micros: Vec<u64>, missing: u64) -> Fanout {
        micros.sort_unstable();
        let at = |q: f64| {
            micros.get(((micros.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0) as f64
                / 1_000.0
        };
        let max_ms = at(1.0);
        Fanout {
            draw,
            received: micros.len(),
            missing,
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms,
            frames_per_second: if max_ms > 0.0 { micros.len() as f64 / (max_ms / 1_000.0) } else { 0.0 },
            server_last_write_ms: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StormKind {
    /// Every phone drops its socket at once.
    Drop,
    /// The server is killed (kill -9) and started again.
    Kill,
}

/// One storm: every phone lost its connection while draw `draw` span.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Storm {
    pub kind: StormKind,
    pub draw: u32,
    /// Phones that were never answered again, or never learned the winner, within the deadline.
    pub not_back: u64,
    pub not_current: u64,
    /// Resumes refused (a phone thrown out of its raffle) and connections dropped meanwhile.
    pub refused: u64,
    pub drops: u64,
    /// Reconnections that failed (refused, or the handshake closed) and were tried again.
    #[serde(default)]
    pub failed_reconnects: u64,
    /// From the storm (the drop, or the kill) to each phone's answer.
    pub back_p50_ms: f64,
    pub back_p99_ms: f64,
    pub back_max_ms: f64,
    /// From the storm until every phone was back and knew the winner.
    pub all_current_ms: f64,
    /// From the kill until the host could connect again.
    pub server_down_ms: Option<f64>,
    pub spin_ms: u64,
    /// The server's reveal (its board's `revealed_at`) after the planned one (start + spin).
    pub reveal_late_ms: Option<f64>,
    /// When phones learned the winner, after the planned reveal.
    pub knows_p99_after_planned_ms: Option<f64>,
    pub knows_max_after_planned_ms: Option<f64>,
}

impl Storm {
    #[allow(clippy::too_many_arguments)]
    pub fn from_lines(
        kind: StormKind,
        draw: u32,
        started: u64,
        server_down_ms: Option<f64>,
        spin_ms: u64,
        reveal: Option<(u64, u64)>,
        planned_reveal: Option<u64>,
        lines: &[String],
    ) -> anyhow::Result<Storm> {
        let (mut not_back, mut not_current, mut refused, mut drops, mut failed_reconnects) = (0, 0, 0, 0, 0);
        let (mut back, mut knows) = (Vec::new(), Vec::new());
        for line in lines {
            let rest = line.strip_prefix("storm ").context("a storm line")?;
            let (counts, times) = rest.split_once(" back").context("back times")?;
            let (back_times, knows_times) = times.split_once(" knows").context("knows times")?;
            let c: Vec<u64> = counts.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
            not_back += c[0];
            not_current += c[1];
            refused += c[2];
            drops += c[3];
            failed_reconnects += c[4];
            for t in back_times.split_whitespace() {
                back.push(t.parse::<u64>()?);
            }
            for t in knows_times.split_whitespace() {
                knows.push(t.parse::<u64>()?);
            }
        }
        let since = |times: &[u64], from: u64| -> Vec<u64> {
            let mut v: Vec<u64> = times.iter().map(|t| t.saturating_sub(from)).collect();
            v.sort_unstable();
            v
        };
        let at = |sorted: &[u64], q: f64| {
            sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0) as f64
                / 1_000.0
        };
        let back_since = since(&back, started);
        let last = back.iter().chain(&knows).max().copied().unwrap_or(started);
        let knows_after = planned_reveal.map(|planned| since(&knows, planned));
        Ok(Storm {
            kind,
            draw,
            not_back,
            not_current,
            refused,
            drops,
            failed_reconnects,
            back_p50_ms: at(&back_since, 0.5),
            back_p99_ms: at(&back_since, 0.99),
            back_max_ms: at(&back_since, 1.0),
            all_current_ms: last.saturating_sub(started) as f64 / 1_000.0,
            server_down_ms,
            spin_ms,
            reveal_late_ms: reveal.map(|(s, r)| r as f64 - (s + spin_ms) as f64),
            knows_p99_after_planned_ms: knows_after.as_ref().map(|k| at(k, 0.99)),
            knows_max_after_planned_ms: knows_after.as_ref().map(|k| at(k, 1.0)),
        })
    }
}

/// How the whole machine's cores spent the joins and the draws (see [`MachineShare`]).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Machines {
    pub joins: Option<MachineShare>,
    pub draws: Option<MachineShare>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Room {
    pub players: usize,
    pub joins: Joins,
    pub joins_per_second: f64,
    pub host_updates: u64,
    pub host_updates_per_second: f64,
    pub host_saw_total: u32,
    pub fanouts: Vec<Fanout>,
    /// CPU per result over all the draws, server and load generator (its workers and itself).
    #[serde(default)]
    pub draws_cpu: Option<PerResult>,
    /// The machine's busy, idle and stolen time over the joins and over the draws. This and the
    /// two join readings below are set by the caller after `new`: nothing here derives from them.
    #[serde(default)]
    pub machine: Machines,
    pub storms: Vec<Storm>,
    pub lost_connections: u64,
    pub server_empty: Option<Process>,
    pub server_idle: Option<Idle>,
    pub server_after: Option<Process>,
    /// Resident memory per connection over the empty server, with the room idle.
    pub rss_per_connection_bytes: Option<f64>,
    /// CPU of the server while the room joined, % of one core.
    pub join_cpu_percent: Option<f64>,
    /// The server's CPU time per join while the room joined (µs): what a join costs the server,
    /// whatever share of the two cores the load generator left it.
    #[serde(default)]
    pub join_cpu_us_per_join: Option<f64>,
    /// The load generator's CPU time per join (its workers and itself), over the same span.
    #[serde(default)]
    pub join_generator_us_per_join: Option<f64>,
    /// The server's CPU per join by thread name (µs), the largest first.
    #[serde(default)]
    pub join_cpu_by_thread: Vec<(String, f64)>,
    pub errors: u64,
}

impl Room {
    /// The join rate as if the hypervisor had stolen nothing during the joins: joins per
    /// second of the time the machine's cores were this guest's. While the room joins the
    /// cores are saturated (the generator asks for more than any server takes), so the joins
    /// done follow the CPU time given, and taking the stolen share out compares two runs that
    /// met different neighbours. Shown beside the measured rate, never instead of it.
    pub fn joins_per_unstolen_second(&self) -> Option<f64> {
        let stolen = self.machine.joins?.stolen_percent / 100.0;
        (stolen < 1.0).then(|| self.joins_per_second / (1.0 - stolen))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        players: usize,
        joins: Joins,
        join_secs: f64,
        host_updates: u64,
        host_saw_total: u32,
        fanouts: Vec<Fanout>,
        draws_cpu: Option<PerResult>,
        storms: Vec<Storm>,
        lost_connections: u64,
        empty: Option<Process>,
        before_join: Option<Process>,
        after_join: Option<Process>,
        idle: Option<Idle>,
        after: Option<Process>,
    ) -> Room {
        let joins_per_second = joins.ok as f64 / (joins.slowest_worker_ms.max(1) as f64 / 1_000.0);
        let rss_per_connection_bytes = match (&empty, &idle) {
            (Some(empty), Some(idle)) => {
                Some((idle.rss_kib.saturating_sub(empty.rss_kib) * 1024) as f64 / players.max(1) as f64)
            }
            _ => None,
        };
        let join_cpu = before_join.as_ref().zip(after_join.as_ref());
        let join_cpu_percent = join_cpu.map(|(before, after)| after.cpu_percent_since(before));
        let join_cpu_us_per_join = join_cpu
            .filter(|_| joins.ok > 0)
            .map(|(before, after)| after.cpu_seconds_since(before) * 1e6 / joins.ok as f64);
        let errors = joins.failed
            + lost_connections
            + fanouts.iter().map(|f| f.missing).sum::<u64>()
            + storms.iter().map(|s| s.not_back + s.not_current + s.refused).sum::<u64>();
        Room {
            players,
            joins,
            joins_per_second,
            host_updates,
            host_updates_per_second: host_updates as f64 / join_secs.max(0.001),
            host_saw_total,
            fanouts,
            draws_cpu,
            machine: Machines::default(),
            storms,
            lost_connections,
            server_empty: empty,
            server_idle: idle,
            server_after: after,
            rss_per_connection_bytes,
            join_cpu_percent,
            join_cpu_us_per_join,
            join_generator_us_per_join: None,
            join_cpu_by_thread: Vec::new(),
            errors,
        }
    }
}

/// A machine share as `busy/idle/stolen`, whole per cents.
fn share(m: MachineShare) -> String {
    format!("{:.0}/{:.0}/{:.0}", m.busy_percent, m.idle_percent, m.stolen_percent)
}

pub fn print(rooms: &[Room]) {
    let col = |f: &dyn Fn(&Room) -> String| rooms.iter().map(|r| format!("{:>14}", f(r))).collect::<String>();
    println!("\n{:<38}{}", "players", col(&|r| r.players.to_string()));
    println!("{:<38}{}", "joins accepted / failed", col(&|r| format!("{} / {}", r.joins.ok, r.joins.failed)));
    println!("{:<38}{}", "join rate (joins/s)", col(&|r| format!("{:.0}", r.joins_per_second)));
    println!(
        "{:<38}{}",
        "server CPU per join (µs)",
        col(&|r| r.join_cpu_us_per_join.map_or("-".into(), |us| format!("{us:.0}")))
    );
    println!(
        "{:<38}{}",
        "load generator CPU per join (µs)",
        col(&|r| r.join_generator_us_per_join.map_or("-".into(), |us| format!("{us:.0}")))
    );
    println!(
        "{:<38}{}",
        "joins: machine busy/idle/stolen %",
        col(&|r| r.machine.joins.map_or("-".into(), share))
    );
    println!(
        "{:<38}{}",
        "joins: dropped, accept queue full",
        col(&|r| r.machine.joins.and_then(|m| m.listen_overflows).map_or("-".into(), |n| n.to_string()))
    );
    println!(
        "{:<38}{}",
        "join rate, stolen time out (joins/s)",
        col(&|r| r.joins_per_unstolen_second().map_or("-".into(), |rate| format!("{rate:.0}")))
    );
    println!("{:<38}{}", "handshakes closed, tried again", col(&|r| r.joins.retried.to_string()));
    println!(
        "{:<38}{}",
        "host updates/s while joining",
        col(&|r| format!("{:.1}", r.host_updates_per_second))
    );
    println!("{:<38}{}", "host saw total", col(&|r| r.host_saw_total.to_string()));
    let draws = rooms.iter().map(|r| r.fanouts.len()).max().unwrap_or(0);
    for d in 0..draws {
        let f = |r: &Room, g: &dyn Fn(&Fanout) -> String| r.fanouts.get(d).map_or("-".into(), g);
        println!(
            "{:<38}{}",
            format!("draw {} fan-out p50 / p99 / max (ms)", d + 1),
            col(&|r| f(r, &|x| format!("{:.0}/{:.0}/{:.0}", x.p50_ms, x.p99_ms, x.max_ms)))
        );
        println!(
            "{:<38}{}",
            format!("draw {} results received / missing", d + 1),
            col(&|r| f(r, &|x| format!("{} / {}", x.received, x.missing)))
        );
        println!(
            "{:<38}{}",
            format!("draw {} server's last write (ms)", d + 1),
            col(&|r| f(r, &|x| x.server_last_write_ms.map_or("-".into(), |ms| format!("{ms:.0}"))))
        );
        println!(
            "{:<38}{}",
            format!("draw {} result frames/s", d + 1),
            col(&|r| f(r, &|x| format!("{:.0}", x.frames_per_second)))
        );
    }
    println!(
        "{:<38}{}",
        "CPU per result: server / generator (µs)",
        col(&|r| r.draws_cpu.map_or("-".into(), |c| format!(
            "{} / {:.1}",
            c.server_us.map_or("-".into(), |us| format!("{us:.1}")),
            c.generator_us
        )))
    );
    println!(
        "{:<38}{}",
        "draws: machine busy/idle/stolen %",
        col(&|r| r.machine.draws.map_or("-".into(), share))
    );
    let storms = rooms.iter().map(|r| r.storms.len()).max().unwrap_or(0);
    for i in 0..storms {
        let f = |r: &Room, g: &dyn Fn(&Storm) -> String| r.storms.get(i).map_or("-".into(), g);
        let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
        let name = |r: &Room| {
            r.storms.get(i).map_or("?", |s| match s.kind {
                StormKind::Drop => "drop",
                StormKind::Kill => "kill -9",
            })
        };
        let kind = rooms.first().map_or("?", name);
        let row = |label: &str, g: &dyn Fn(&Storm) -> String| {
            println!("{:<38}{}", format!("storm {} ({kind}) {label}", i + 1), col(&|r| f(r, g)));
        };
        row("back p50/p99/max ms", &|s| {
            format!("{:.0}/{:.0}/{:.0}", s.back_p50_ms, s.back_p99_ms, s.back_max_ms)
        });
        row("all back, knew winner ms", &|s| format!("{:.0}", s.all_current_ms));
        row("server down ms", &|s| ms(s.server_down_ms));
        row("reveal late ms", &|s| ms(s.reveal_late_ms));
        row("knew p99/max after plan", &|s| {
            format!("{}/{}", ms(s.knows_p99_after_planned_ms), ms(s.knows_max_after_planned_ms))
        });
        row("not back/not current", &|s| format!("{} / {}", s.not_back, s.not_current));
        row("refused / drops", &|s| format!("{} / {}", s.refused, s.drops));
        row("failed reconnections", &|s| s.failed_reconnects.to_string());
    }
    println!(
        "{:<38}{}",
        "server RSS empty (KiB)",
        col(&|r| r.server_empty.as_ref().map_or("-".into(), |p| p.rss_kib.to_string()))
    );
    println!(
        "{:<38}{}",
        "server RSS idle room (KiB)",
        col(&|r| r.server_idle.as_ref().map_or("-".into(), |p| p.rss_kib.to_string()))
    );
    println!(
        "{:<38}{}",
        "RSS per connection (bytes)",
        col(&|r| r.rss_per_connection_bytes.map_or("-".into(), |b| format!("{b:.0}")))
    );
    println!(
        "{:<38}{}",
        "server CPU idle room (% of a core)",
        col(&|r| r.server_idle.as_ref().map_or("-".into(), |i| format!("{:.2}", i.cpu_percent_of_one_core)))
    );
    println!(
        "{:<38}{}",
        "server RSS after draws (KiB)",
        col(&|r| r.server_after.as_ref().map_or("-".into(), |p| p.rss_kib.to_string()))
    );
    println!("{:<38}{}", "connections lost", col(&|r| r.lost_connections.to_string()));
    println!("{:<38}{}", "errors", col(&|r| r.errors.to_string()));
    for room in rooms.iter().filter(|r| !r.join_cpu_by_thread.is_empty()) {
        let threads: Vec<String> =
            room.join_cpu_by_thread.iter().map(|(name, us)| format!("{name} {us:.1}")).collect();
        println!("server CPU per join by thread, {} players (µs): {}", room.players, threads.join(", "));
    }
}
