//! `--compare`: runs of the same load against different servers (their `--json` files), side by
//! side per room size, with the first server's figures as a ratio of each other's. A ratio
//! under 1 means the first is faster (or smaller); the absolute figures move between runs on a
//! shared machine, the ratios of one run much less.

use crate::report::Room;
use anyhow::Context;

/// One figure of a room, or none (a peer reports no server-side time).
type Figure = fn(&Room) -> Option<f64>;

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// The draws after the first: the first follows the idle minute and is measured on its own.
fn later_p99(room: &Room) -> Option<f64> {
    median(room.fanouts.iter().skip(1).map(|f| f.p99_ms).collect())
}

const FIGURES: [(&str, Figure); 11] = [
    ("p99 fan-out, first draw after idle (ms)", |r| r.fanouts.first().map(|f| f.p99_ms)),
    ("p99 fan-out, later draws, median (ms)", later_p99),
    ("first draw's p99 / later draws'", |r| Some(r.fanouts.first()?.p99_ms / later_p99(r)?)),
    ("server: result queued to last write (ms)", |r| {
        median(r.fanouts.iter().skip(1).filter_map(|f| f.server_last_write_ms).collect())
    }),
    ("server CPU per result, all draws (µs)", |r| r.draws_cpu?.server_us),
    ("load generator CPU per result (µs)", |r| r.draws_cpu.map(|c| c.generator_us)),
    ("RSS per idle phone (KiB)", |r| r.rss_per_connection_bytes.map(|b| b / 1024.0)),
    ("join rate (joins/s)", |r| Some(r.joins_per_second)),
    ("server CPU per join (µs)", |r| r.join_cpu_us_per_join),
    ("handshakes closed, tried again", |r| Some(r.joins.retried as f64)),
    ("errors", |r| Some(r.errors as f64)),
];

/// A column as wide as its name and a space, at least 12.
fn width(name: &str) -> usize {
    (name.len() + 2).max(12)
}

pub fn print(specs: &[String]) -> anyhow::Result<()> {
    let mut runs: Vec<(String, Vec<Room>)> = Vec::new();
    for spec in specs {
        let (name, path) = spec.split_once('=').context("NAME=FILE")?;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        runs.push((name.to_owned(), serde_json::from_str(&text).with_context(|| format!("parsing {path}"))?));
    }
    let Some((first, first_rooms)) = runs.first() else { return Ok(()) };
    let names: Vec<String> = runs
        .iter()
        .map(|(n, _)| n.clone())
        .chain(runs.iter().skip(1).map(|(n, _)| format!("{first}/{n}")))
        .collect();
    for room in first_rooms {
        println!("\n{} players", room.players);
        println!("{:<42}{}", "", names.iter().map(|n| format!("{n:>w$}", w = width(n))).collect::<String>());
        for (label, figure) in FIGURES {
            let values: Vec<Option<f64>> = runs
                .iter()
                .map(|(_, rooms)| rooms.iter().find(|r| r.players == room.players).and_then(figure))
                .collect();
            let ratios = values[1..].iter().map(|v| Some(values[0]? / (*v)?).filter(|r| r.is_finite()));
            let cells: String = values
                .iter()
                .map(|v| v.map_or("-".into(), |v| format!("{v:.1}")))
                .chain(ratios.map(|r| r.map_or("-".into(), |r| format!("{r:.2}"))))
                .zip(&names)
                .map(|(c, n)| format!("{c:>w$}", w = width(n)))
                .collect();
            println!("{label:<42}{cells}");
        }
    }
    println!(
        "\nEach draw sends Raffler's phones two frames (draw_started, then winner_drawn) where the \
         peers send one (winner_drawn); fan-out is measured to winner_drawn."
    );
    Ok(())
}
