//! `--compare`: runs of the same load against different servers (their `--json` files), side by
//! side per room size, with the first server's figures as a ratio of each other's. A ratio
//! under 1 means the first is faster (or smaller).
//!
//! The absolute figures move ±20 % between runs on a shared machine, and even one run's ratios
//! move ±0.15, so a bench may run every server several times, in rounds (Raffler and each peer
//! once per round; `scripts/bench.sh` puts Raffler first and last in turn): a name given more than once (`raffler=a1.json raffler=a2.json`) is one
//! file per round, in round order. Each figure is then the median of its rounds, and each ratio
//! the median of the rounds' own ratios, each round's first server against the same round's
//! other, measured minutes apart rather than a quarter of an hour; the lowest and highest
//! round's ratio are printed beside it.

use crate::report::Room;
use anyhow::Context;
use std::fmt::Write as _;

/// One figure of a room, or none (a peer reports no server-side time).
type Figure = fn(&Room) -> Option<f64>;

/// The middle value; between the two middle ones when there is an even number.
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The draws after the first: the first follows the idle minute and is measured on its own.
fn later_p99(room: &Room) -> Option<f64> {
    median(room.fanouts.iter().skip(1).map(|f| f.p99_ms).collect())
}

/// The server's own time from a later draw's result queued to its last write (median).
fn later_last_write(room: &Room) -> Option<f64> {
    median(room.fanouts.iter().skip(1).filter_map(|f| f.server_last_write_ms).collect())
}

const FIGURES: [(&str, Figure); 17] = [
    ("p99 fan-out, first draw after idle (ms)", |r| r.fanouts.first().map(|f| f.p99_ms)),
    ("p99 fan-out, later draws, median (ms)", later_p99),
    ("first draw's p99 / later draws'", |r| Some(r.fanouts.first()?.p99_ms / later_p99(r)?)),
    ("server: result queued to last write (ms)", later_last_write),
    // The question of "first draw's p99 / later draws'" without the load generator's share:
    // whether the server itself is slower to write the first draw after an idle room.
    ("server: first draw's last write / later's", |r| {
        Some(r.fanouts.first()?.server_last_write_ms? / later_last_write(r)?)
    }),
    ("server CPU per result, all draws (µs)", |r| r.draws_cpu?.server_us),
    ("load generator CPU per result (µs)", |r| r.draws_cpu.map(|c| c.generator_us)),
    ("RSS per idle phone (KiB)", |r| r.rss_per_connection_bytes.map(|b| b / 1024.0)),
    ("join rate (joins/s)", |r| Some(r.joins_per_second)),
    ("join rate, stolen time out (joins/s)", Room::joins_per_unstolen_second),
    ("machine's time stolen, joins (%)", |r| r.machine.joins.map(|m| m.stolen_percent)),
    ("machine's time stolen, draws (%)", |r| r.machine.draws.map(|m| m.stolen_percent)),
    ("connections dropped, accept queue full", |r| r.machine.joins?.listen_overflows.map(|n| n as f64)),
    ("server CPU per join (µs)", |r| r.join_cpu_us_per_join),
    ("load generator CPU per join (µs)", |r| r.join_generator_us_per_join),
    ("handshakes closed, tried again", |r| Some(r.joins.retried as f64)),
    ("errors", |r| Some(r.errors as f64)),
];

/// One server's runs: each round's rooms, in round order.
struct Server {
    name: String,
    rounds: Vec<Vec<Room>>,
}

impl Server {
    /// `figure` of the room of `players` in each round that has it.
    fn per_round(&self, players: usize, figure: Figure) -> Vec<Option<f64>> {
        self.rounds.iter().map(|rooms| rooms.iter().find(|r| r.players == players).and_then(figure)).collect()
    }
}

/// The specs grouped by name, in the order each name first appears.
fn group(runs: Vec<(String, Vec<Room>)>) -> Vec<Server> {
    let mut servers: Vec<Server> = Vec::new();
    for (name, rooms) in runs {
        match servers.iter_mut().find(|s| s.name == name) {
            Some(server) => server.rounds.push(rooms),
            None => servers.push(Server { name, rounds: vec![rooms] }),
        }
    }
    servers
}

/// The median of the rounds' ratios `first / other`, with the lowest and highest, over the
/// rounds both have the figure in.
fn ratios(first: &[Option<f64>], other: &[Option<f64>]) -> Option<(f64, f64, f64)> {
    let each: Vec<f64> =
        first.iter().zip(other).filter_map(|(a, b)| Some((*a)? / (*b)?)).filter(|r| r.is_finite()).collect();
    let low = each.iter().copied().reduce(f64::min)?;
    let high = each.iter().copied().reduce(f64::max)?;
    Some((median(each)?, low, high))
}

pub fn print(specs: &[String]) -> anyhow::Result<()> {
    let mut runs: Vec<(String, Vec<Room>)> = Vec::new();
    for spec in specs {
        let (name, path) = spec.split_once('=').context("NAME=FILE")?;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        runs.push((name.to_owned(), serde_json::from_str(&text).with_context(|| format!("parsing {path}"))?));
    }
    print!("{}", table(&group(runs)));
    Ok(())
}

fn table(servers: &[Server]) -> String {
    let mut out = String::new();
    let Some(first) = servers.first() else { return out };
    let rounds = servers.iter().map(|s| s.rounds.len()).max().unwrap_or(0);
    // A column as wide as its name and a space, at least 12; with rounds, wide enough for a
    // ratio and its range ("1.05 0.92-1.23").
    let least = if rounds > 1 { 17 } else { 12 };
    let names: Vec<String> = servers
        .iter()
        .map(|s| s.name.clone())
        .chain(servers.iter().skip(1).map(|s| format!("{}/{}", first.name, s.name)))
        .collect();
    let width = |name: &str| (name.len() + 2).max(least);
    if rounds > 1 {
        let _ = writeln!(
            out,
            "\n{rounds} rounds (every server once per round, one after the other): each figure is the \
             median of its rounds; each ratio the median of the rounds' own ratios, then the lowest \
             and highest."
        );
    }
    let Some(first_rooms) = first.rounds.first() else { return out };
    for room in first_rooms {
        let _ = writeln!(out, "\n{} players", room.players);
        let header: String = names.iter().map(|n| format!("{n:>w$}", w = width(n))).collect();
        let _ = writeln!(out, "{:<42}{header}", "");
        for (label, figure) in FIGURES {
            let values: Vec<Vec<Option<f64>>> =
                servers.iter().map(|s| s.per_round(room.players, figure)).collect();
            let medians = values.iter().map(|v| median(v.iter().flatten().copied().collect()));
            let ratio_cells = values[1..].iter().map(|other| match ratios(&values[0], other) {
                None => "-".to_owned(),
                Some((mid, _, _)) if rounds <= 1 => format!("{mid:.2}"),
                Some((mid, low, high)) => format!("{mid:.2} {low:.2}-{high:.2}"),
            });
            let cells: String = medians
                .map(|v| v.map_or("-".into(), |v| format!("{v:.1}")))
                .chain(ratio_cells)
                .zip(&names)
                .map(|(c, n)| format!("{c:>w$}", w = width(n)))
                .collect();
            let _ = writeln!(out, "{label:<42}{cells}");
        }
    }
    let _ = writeln!(
        out,
        "\nEach draw sends Raffler's phones two frames (draw_started, then winner_drawn) where the \
         peers send one (winner_drawn); fan-out is measured to winner_drawn."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::MachineShare;
    use crate::report::{Fanout, Joins, Machines};

    /// A room of `players` that joined at `joins_per_second` and whose draws' p99 were `p99s`.
    fn room(players: usize, joins_per_second: u64, p99s: &[f64]) -> Room {
        let joins = Joins { ok: joins_per_second, failed: 0, slowest_worker_ms: 1_000, retried: 0 };
        let fanouts = p99s
            .iter()
            .enumerate()
            .map(|(i, &p99)| Fanout::from_latencies(i as u32 + 1, vec![(p99 * 1_000.0) as u64], 0))
            .collect();
        Room::new(players, joins, 1.0, 0, 0, fanouts, None, Vec::new(), 0, None, None, None, None, None)
    }

    #[test]
    fn stolen_time_is_taken_out_of_the_join_rate_beside_the_measured_one() {
        let stolen = |percent: f64| {
            let mut room = room(100, 1_000, &[10.0]);
            let share = MachineShare {
                busy_percent: 100.0 - percent,
                idle_percent: 0.0,
                stolen_percent: percent,
                listen_overflows: None,
            };
            room.machine = Machines { joins: Some(share), draws: None };
            room
        };
        // Both joined 1,000 a second, one while half the machine was stolen, the other a fifth.
        let table =
            table(&group(vec![("raffler".into(), vec![stolen(50.0)]), ("peer".into(), vec![stolen(20.0)])]));
        assert_eq!(row(&table, "join rate (joins/s)"), ["1000.0", "1000.0", "1.00"]);
        assert_eq!(row(&table, "join rate, stolen time out (joins/s)"), ["2000.0", "1250.0", "1.60"]);
        assert_eq!(row(&table, "machine's time stolen, joins (%)"), ["50.0", "20.0", "2.50"]);
        // A run without the reading (older JSON) has no such figure.
        let old = super::table(&group(vec![("raffler".into(), vec![room(100, 1_000, &[10.0])])]));
        assert_eq!(row(&old, "join rate, stolen time out (joins/s)"), ["-"]);
    }

    fn row<'a>(table: &'a str, label: &str) -> Vec<&'a str> {
        let line = table.lines().find(|l| l.starts_with(label)).expect("the row");
        line[label.len()..].split_whitespace().collect()
    }

    #[test]
    fn medians_split_the_middle_of_an_even_count() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn one_round_prints_each_figure_and_its_ratio() {
        let servers = group(vec![
            ("raffler".into(), vec![room(100, 900, &[10.0, 20.0])]),
            ("peer".into(), vec![room(100, 1_000, &[20.0, 25.0])]),
        ]);
        let table = table(&servers);
        assert_eq!(row(&table, "join rate (joins/s)"), ["900.0", "1000.0", "0.90"]);
        assert_eq!(row(&table, "p99 fan-out, later draws, median (ms)"), ["20.0", "25.0", "0.80"]);
        assert!(!table.contains("rounds"), "{table}");
    }

    #[test]
    fn rounds_pair_each_round_and_take_the_median_ratio() {
        // Round 2 is slow for everyone (a busy machine): the paired ratios stay near 1 where
        // medians of each server's own figures would mix a fast round with a slow one.
        let servers = group(vec![
            ("raffler".into(), vec![room(100, 1_000, &[0.0, 10.0])]),
            ("peer".into(), vec![room(100, 1_000, &[0.0, 12.0])]),
            ("raffler".into(), vec![room(100, 500, &[0.0, 30.0])]),
            ("peer".into(), vec![room(100, 400, &[0.0, 30.0])]),
            ("raffler".into(), vec![room(100, 1_100, &[0.0, 11.0])]),
            ("peer".into(), vec![room(100, 1_000, &[0.0, 10.0])]),
        ]);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].rounds.len(), 3);
        let table = table(&servers);
        assert!(table.contains("3 rounds"), "{table}");
        // Each server's median round, then the median of 1.0, 1.25 and 1.1, lowest and highest.
        assert_eq!(row(&table, "join rate (joins/s)"), ["1000.0", "1000.0", "1.10", "1.00-1.25"]);
        // 10/12, 30/30, 11/10.
        assert_eq!(
            row(&table, "p99 fan-out, later draws, median (ms)"),
            ["11.0", "12.0", "1.00", "0.83-1.10"]
        );
    }

    #[test]
    fn the_servers_own_first_draw_is_set_against_its_later_ones() {
        let mut raffler = room(100, 900, &[30.0, 20.0, 25.0, 20.0]);
        for (fanout, ms) in raffler.fanouts.iter_mut().zip([24.0, 20.0, 22.0, 18.0]) {
            fanout.server_last_write_ms = Some(ms);
        }
        // A peer reports no server-side time: a dash, and no ratio.
        let peer = room(100, 1_000, &[20.0, 20.0, 20.0, 20.0]);
        let table = table(&group(vec![("raffler".into(), vec![raffler]), ("peer".into(), vec![peer])]));
        assert_eq!(row(&table, "server: result queued to last write (ms)"), ["20.0", "-", "-"]);
        assert_eq!(row(&table, "server: first draw's last write / later's"), ["1.2", "-", "-"]);
        assert_eq!(row(&table, "first draw's p99 / later draws'"), ["1.5", "1.0", "1.50"]);
    }

    #[test]
    fn a_room_size_one_server_lacks_shows_a_dash() {
        let servers = group(vec![
            ("raffler".into(), vec![room(100, 900, &[10.0]), room(200, 800, &[10.0])]),
            ("peer".into(), vec![room(100, 1_000, &[10.0])]),
        ]);
        let table = table(&servers);
        let big = &table[table.find("200 players").expect("the second room")..];
        assert_eq!(row(big, "join rate (joins/s)"), ["800.0", "-", "-"]);
    }
}
