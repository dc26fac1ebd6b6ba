//! Storms: every phone of a joined room loses its connection at once and comes back with its
//! token and last `seq`, while a draw spins.
//!
//! - `drop`: the phones drop their sockets (as a hall's Wi-Fi does) and reconnect after the
//!   browser's backoff;
//! - `kill`: the server is killed (`kill -9`) while the draw spins; whatever runs it (the
//!   bench) starts it again, and the phones and the host reconnect as the browser would.
//!
//! Measured: how long until every phone is answered again ("back") and knows the draw's
//! winner ("current"), how late the reveal was (the server's own reveal time against the
//! planned one, from the host's board) and when phones learned it, and what was lost.

use crate::measure::now_micros;
use crate::report::{Storm, StormKind};
use crate::{next_msg, Host, Worker};
use anyhow::{bail, Context};
use futures_util::SinkExt;
use raffler_core::protocol::{ClientMsg, ServerMsg};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// What the storm needs to know of the raffle.
pub struct Raffle<'a> {
    pub url: &'a str,
    pub code: &'a str,
    pub host_token: &'a str,
    pub pid_file: Option<&'a Path>,
}

pub async fn run(
    raffle: &Raffle<'_>,
    kind: StormKind,
    draw: u32,
    host: &mut Host,
    workers: &mut Vec<Worker>,
) -> anyhow::Result<Storm> {
    host.send(Message::text(ClientMsg::Draw { draw, prize: None }.to_json())).await?;
    let spin_ms = loop {
        if let ServerMsg::DrawStarted { draw: d, spin_ms, .. } = next_msg(host).await? {
            if d == draw {
                break spin_ms;
            }
        }
    };
    if spin_ms < 1_000 {
        bail!("a storm needs a spin of a second or more (RAFFLER_SPIN_MS), not {spin_ms} ms");
    }
    // Well inside the spin: the phones drop while it runs.
    tokio::time::sleep(Duration::from_millis(spin_ms / 5)).await;

    let command = match kind {
        StormKind::Drop => "drop",
        StormKind::Kill => "wait",
    };
    let started = now_micros();
    for worker in workers.iter_mut() {
        writeln!(worker.stdin, "storm {draw} {command}")?;
    }
    let mut server_down_ms = None;
    if kind == StormKind::Kill {
        let file = raffle.pid_file.context("a storm that kills the server needs --server-pid-file")?;
        let pid: i32 = std::fs::read_to_string(file)?.trim().parse().context("a process id")?;
        // SAFETY: kill(2) with a process id read from the bench's file and a signal number.
        if unsafe { libc::kill(pid, libc::SIGKILL) } != 0 {
            bail!("kill -9 {pid}: {}", std::io::Error::last_os_error());
        }
        // The host comes back as the browser does, but sooner: it is the measuring instrument.
        *host = loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if let Ok((ws, _)) = tokio_tungstenite::connect_async(raffle.url).await {
                break ws;
            }
        };
        server_down_ms = Some((now_micros() - started) as f64 / 1_000.0);
        let resume = ClientMsg::Resume {
            code: raffle.code.to_owned(),
            token: raffle.host_token.to_owned(),
            last_seq: None,
        };
        host.send(Message::text(resume.to_json())).await?;
    }

    // The workers' answers, while the host reads its frames (a host that reads nothing is a
    // slow reader) and finds the reveal on its board.
    let mut pending = std::mem::take(workers);
    let collected = tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<Worker>, Vec<String>)> {
        let mut lines = Vec::new();
        for worker in &mut pending {
            lines.push(worker.line()?);
        }
        Ok((pending, lines))
    });
    tokio::pin!(collected);
    let mut reveal: Option<(u64, u64)> = None; // (started_at, revealed_at), Unix ms
    let lines = loop {
        tokio::select! {
            done = &mut collected => {
                let (back, lines) = done??;
                *workers = back;
                break lines;
            }
            msg = next_msg(host) => {
                let draws = match msg? {
                    ServerMsg::Board { board, .. } | ServerMsg::HostSnapshot { board, .. } => board.draws,
                    _ => continue,
                };
                if let Some(d) = draws.iter().find(|d| d.draw == draw) {
                    if let Some(revealed) = d.revealed_at {
                        reveal = Some((d.started_at, revealed));
                    }
                }
            }
        }
    };
    // The board that shows the reveal may come after the last phone heard it.
    while reveal.is_none() {
        let draws = match tokio::time::timeout(Duration::from_secs(10), next_msg(host)).await {
            Ok(Ok(ServerMsg::Board { board, .. } | ServerMsg::HostSnapshot { board, .. })) => board.draws,
            Ok(Ok(_)) => continue,
            _ => break,
        };
        reveal = draws.iter().find(|d| d.draw == draw).and_then(|d| d.revealed_at.map(|r| (d.started_at, r)));
    }
    let planned_reveal = reveal.map(|(started_at, _)| (started_at + spin_ms) * 1_000);
    Storm::from_lines(kind, draw, started, server_down_ms, spin_ms, reveal, planned_reveal, &lines)
}
