//! Raffler's load generator. It starts a raffle as the host, has worker processes open N player
//! WebSockets (spread over several 127.0.0.x source addresses and processes, since one process
//! may hold at most 20,000 open files), joins them, draws, and measures each player's time from
//! the host's draw to its result frame. Every number it prints comes from a real run.
//!
//! `cargo run --release -p loadgen -- --players 2000,18000 --server-pid <pid>`

// The browser's own reconnect policy, compiled in rather than depended on (`app` is Leptos):
// the phones here come back exactly as the browser's do.
#[path = "../../app/src/backoff.rs"]
mod backoff;
mod compare;
mod measure;
mod report;
mod storm;
mod worker;

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use raffler_core::protocol::{ClientMsg, ServerMsg};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Debug, Clone)]
#[command(about = "Load-test a running Raffler server.")]
pub struct Args {
    /// The server's WebSocket endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:3000/ws")]
    url: String,
    /// Room sizes to run, one after the other, e.g. 2000,18000.
    #[arg(long, value_delimiter = ',', default_value = "2000")]
    players: Vec<usize>,
    /// Joins started per second, over all workers.
    #[arg(long, default_value_t = 10_000)]
    rate: u32,
    /// Draws in a row for each room.
    #[arg(long, default_value_t = 1)]
    draws: u32,
    /// Connections per worker process at most (each process may hold at most 20,000 open
    /// files); there is one worker per core at least, for rooms of 500 phones a core or more.
    #[arg(long, default_value_t = 9_000)]
    per_process: usize,
    /// Source addresses per worker (127.0.0.x), to stay under the ephemeral-port and the
    /// server's per-address limits.
    #[arg(long, default_value_t = 8)]
    addresses: u8,
    /// The server's process id, to read its memory and CPU from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seconds of idle to measure the server's heartbeat CPU over.
    #[arg(long, default_value_t = 10)]
    idle_secs: u64,
    /// After the draws, two storms: every phone drops and resumes while a draw spins, then the
    /// server is killed (kill -9) while a draw spins and every phone resumes once it is back.
    /// Needs a server with a spin (`RAFFLER_SPIN_MS`) and, for the kill, `--server-pid-file`
    /// kept up to date by whatever restarts it (`scripts/bench.sh --storm` does both).
    #[arg(long)]
    storm: bool,
    /// A file holding the server's current process id (rewritten when it is restarted): the
    /// storm kills that process.
    #[arg(long)]
    server_pid_file: Option<std::path::PathBuf>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Instead of a run: print earlier runs' JSON (`--json`) side by side with ratios, the
    /// first against each of the others, e.g. `--compare raffler=a.json node=b.json`. A name
    /// given again is the next round of the same server: figures are then medians of the
    /// rounds, ratios the median of each round's own (`compare.rs`).
    #[arg(long, num_args = 1.., value_name = "NAME=FILE")]
    compare: Vec<String>,
    /// Internal: run as a worker (started by the coordinator).
    #[arg(long, hide = true)]
    worker: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(spec) = &args.worker {
        return worker::run(&args.url, spec);
    }
    if !args.compare.is_empty() {
        return compare::print(&args.compare);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let empty = args.server_pid.map(measure::Process::read).transpose()?;
    let mut rooms = Vec::new();
    for (i, &players) in args.players.iter().enumerate() {
        // The storms (one of which restarts the server) after the last room only.
        let storm = args.storm && i + 1 == args.players.len();
        rooms.push(runtime.block_on(run_room(&args, players, empty.as_ref(), storm))?);
    }
    report::print(&rooms);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&rooms)?)
            .with_context(|| format!("writing {path:?}"))?;
    }
    let errors: u64 = rooms.iter().map(|r| r.errors).sum();
    if errors > 0 {
        bail!("{errors} errors: see the table");
    }
    Ok(())
}

/// Phones one worker process is worth at least: fewer are not worth a process of their own.
const MIN_PER_PROCESS: usize = 500;

/// How many worker processes share `players`: enough that none holds more than `per_process`,
/// and at least one per core (each worker is one thread), so that the phones are read on every
/// core the server writes on. With one worker for 9,000 phones, the server's writes on two
/// cores and the one reading thread took turns on the same cores: the last phone read its
/// frame 40 ms after the server's last write, 15 ms at 18,000 with two workers.
fn worker_processes(players: usize, per_process: usize, cores: usize) -> usize {
    players.div_ceil(per_process.max(1)).max(cores.min(players / MIN_PER_PROCESS)).max(1)
}

/// One worker process and its pipes.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl Worker {
    fn line(&mut self) -> anyhow::Result<String> {
        self.lines.next().context("a worker exited early (see its stderr)")?.map_err(Into::into)
    }
}

async fn run_room(
    args: &Args,
    players: usize,
    empty: Option<&measure::Process>,
    storm: bool,
) -> anyhow::Result<report::Room> {
    let (mut host, _) =
        tokio_tungstenite::connect_async(&args.url).await.context("connecting as the host")?;
    host.send(Message::text(ClientMsg::StartRaffle {}.to_json())).await?;
    let (code, host_token) = loop {
        if let ServerMsg::RaffleStarted { code, host_token } = next_msg(&mut host).await? {
            break (code, host_token);
        }
    };
    // The bench measures fan-out, not the public beacon: draws use the seed alone, whatever the
    // server's default (a server without a beacon changes nothing; peers ignore the message).
    host.send(Message::text(ClientMsg::SetBeacon { on: false }.to_json())).await?;

    // Workers: each gets a slice of the room and its own source addresses.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let processes = worker_processes(players, args.per_process, cores);
    let exe = std::env::current_exe()?;
    let mut workers = Vec::new();
    for index in 0..processes {
        let count = players / processes + usize::from(index < players % processes);
        let rate = (args.rate as usize / processes).max(1);
        let first_address = 2 + index as u8 * args.addresses;
        let spec = format!("{code}:{count}:{rate}:{first_address}:{}:{index}", args.addresses);
        let mut child = Command::new(&exe)
            .args(["--url", &args.url, "--worker", &spec])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting a worker")?;
        let stdin = child.stdin.take().expect("piped");
        let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        workers.push(Worker { child, stdin, lines });
    }

    // Joining: count what the host is sent meanwhile (it must stay at ≤ 10 updates a second).
    let cpu_before_join = args.server_pid.map(measure::Process::read).transpose()?;
    let threads_before_join = args.server_pid.map(measure::Threads::read).transpose()?;
    let machine_before_join = measure::Machine::read()?;
    // The load generator's processes: its workers and itself.
    let generator: Vec<u32> = workers.iter().map(|w| w.child.id()).chain([std::process::id()]).collect();
    let generator_before_join = measure::SidesCpu::read(None, &generator)?;
    let join_started = Instant::now();
    let mut host_updates = 0u64;
    let mut joined_seen = 0u32;
    let joins;
    let cpu_after_join;
    let join_machine;
    let join_threads;
    let join_generator;
    let ready = tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<Worker>, report::Joins)> {
        let mut joins = report::Joins::default();
        for worker in &mut workers {
            joins.add(&worker.line()?)?;
        }
        Ok((workers, joins))
    });
    tokio::pin!(ready);
    let mut workers = loop {
        tokio::select! {
            done = &mut ready => {
                let (workers, worker_joins) = done??;
                joins = worker_joins;
                cpu_after_join = args.server_pid.map(measure::Process::read).transpose()?;
                join_threads = match (&threads_before_join, args.server_pid) {
                    (Some(before), Some(pid)) => measure::Threads::read(pid)?.per_since(before, joins.ok),
                    _ => Vec::new(),
                };
                join_machine = measure::Machine::read()?.share_since(&machine_before_join);
                join_generator = measure::SidesCpu::read(None, &generator)?
                    .per_result_since(&generator_before_join, joins.ok)
                    .map(|per| per.generator_us);
                break workers;
            }
            msg = next_msg(&mut host) => {
                // One batch flush brings players_joined and presence together: count flushes.
                if let ServerMsg::PlayersJoined { total, .. } = msg? {
                    host_updates += 1;
                    joined_seen = total;
                }
            }
        }
    };
    // Let the host's last batch arrive; the window the host's updates are counted over
    // includes this wait.
    let settle = Instant::now() + Duration::from_millis(500);
    while let Ok(Ok(msg)) = tokio::time::timeout_at(settle.into(), next_msg(&mut host)).await {
        if let ServerMsg::PlayersJoined { total, .. } = msg {
            host_updates += 1;
            joined_seen = total;
        }
    }
    let join_secs = join_started.elapsed().as_secs_f64();

    // Idle: heartbeats only.
    // The host keeps reading meanwhile: a socket that answers no pings is closed by the server.
    let idle = match args.server_pid {
        Some(pid) => {
            let measuring = measure::idle(pid, Duration::from_secs(args.idle_secs));
            tokio::pin!(measuring);
            loop {
                tokio::select! {
                    idle = &mut measuring => break Some(idle?),
                    msg = next_msg(&mut host) => { msg?; }
                }
            }
        }
        None => None,
    };

    // Draws: the host draws; each worker reports when each of its phones heard the result.
    // The CPU both sides spend on them, read around all the draws: the server is idle between
    // draws, and the generator's share is what it takes from the cores the server runs on.
    let draws_before = measure::SidesCpu::read(args.server_pid, &generator)?;
    let machine_before_draws = measure::Machine::read()?;
    let mut fanouts = Vec::new();
    for draw in 1..=args.draws {
        let sent_at = measure::now_micros();
        host.send(Message::text(ClientMsg::Draw { draw, prize: None }.to_json())).await?;
        let mut latencies = Vec::with_capacity(players);
        let mut missing = 0u64;
        for worker in &mut workers {
            writeln!(worker.stdin, "draw {draw}")?;
        }
        let mut pending = std::mem::take(&mut workers);
        let collected =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<Worker>, Vec<u64>, u64)> {
                let mut times = Vec::new();
                let mut missing = 0;
                for worker in &mut pending {
                    let (got, lost) = report::parse_results(&worker.line()?)?;
                    times.extend(got);
                    missing += lost;
                }
                Ok((pending, times, missing))
            });
        // Keep reading the host's frames meanwhile, so it is not the slow reader.
        tokio::pin!(collected);
        loop {
            tokio::select! {
                done = &mut collected => {
                    let (back, times, lost) = done??;
                    workers = back;
                    latencies.extend(times.into_iter().map(|t| t.saturating_sub(sent_at)));
                    missing += lost;
                    break;
                }
                msg = next_msg(&mut host) => { msg?; }
            }
        }
        let mut fanout = report::Fanout::from_latencies(draw, latencies, missing);
        fanout.server_last_write_ms =
            measure::server_metric(&args.url, "raffler_result_last_write_seconds").map(|s| s * 1_000.0);
        fanouts.push(fanout);
    }

    let after = args.server_pid.map(measure::Process::read).transpose()?;
    let draws_machine = measure::Machine::read()?.share_since(&machine_before_draws);
    let draws_cpu = measure::SidesCpu::read(args.server_pid, &generator)?
        .per_result_since(&draws_before, fanouts.iter().map(|f| f.received as u64).sum());
    let mut storms = Vec::new();
    if storm {
        let raffle = storm::Raffle {
            url: &args.url,
            code: &code,
            host_token: &host_token,
            pid_file: args.server_pid_file.as_deref(),
        };
        for (i, kind) in [report::StormKind::Drop, report::StormKind::Kill].into_iter().enumerate() {
            let draw = args.draws + 1 + i as u32;
            storms.push(storm::run(&raffle, kind, draw, &mut host, &mut workers).await?);
        }
    }
    for worker in &mut workers {
        writeln!(worker.stdin, "quit")?;
    }
    let mut lost_connections = 0u64;
    for mut worker in workers {
        lost_connections += report::parse_count(&worker.line()?, "lost")?;
        let _ = worker.child.wait();
    }
    let _ = host.close(None).await;
    let mut room = report::Room::new(
        players,
        joins,
        join_secs,
        host_updates,
        joined_seen,
        fanouts,
        draws_cpu,
        storms,
        lost_connections,
        empty.cloned(),
        cpu_before_join,
        cpu_after_join,
        idle,
        after,
    );
    room.machine = report::Machines { joins: join_machine, draws: draws_machine };
    room.join_generator_us_per_join = join_generator;
    room.join_cpu_by_thread = join_threads;
    Ok(room)
}

/// The host's connection.
type Host = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_msg<S>(ws: &mut S) -> anyhow::Result<ServerMsg>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(60), ws.next()).await {
            Err(_) => bail!("the server sent nothing for 60 s"),
            Ok(Some(Ok(Message::Text(text)))) => return Ok(serde_json::from_str(text.as_str())?),
            Ok(Some(Ok(_))) => continue,
            Ok(other) => bail!("the host's connection ended: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::worker_processes;

    #[test]
    fn a_room_is_read_by_a_worker_per_core_and_none_holds_too_many() {
        // The sizes on this machine (two cores, 9,000 per process at most).
        assert_eq!(worker_processes(2_000, 9_000, 2), 2);
        assert_eq!(worker_processes(9_000, 9_000, 2), 2);
        assert_eq!(worker_processes(18_000, 9_000, 2), 2);
        // More phones than two processes may hold; more cores than the phones are worth.
        assert_eq!(worker_processes(40_000, 9_000, 2), 5);
        assert_eq!(worker_processes(1_200, 9_000, 8), 2);
        // CI's 200 phones: one process.
        assert_eq!(worker_processes(200, 9_000, 2), 1);
        assert_eq!(worker_processes(0, 9_000, 2), 1);
    }
}
