//! What the bench's Rust peers (bench/peers/axum, bench/peers/bound) know of Raffler's frames,
//! once: a raffle's code, its players and the messages the load generator sends for and waits
//! on. Each peer includes this file (`#[path]`) and keeps only its own transport.

use rand::Rng;
use serde_json::{json, Value};

/// A raffle's players, those its host has not heard of yet, and its last sequence number.
pub struct Roll {
    players: Vec<Value>,
    pending: Vec<Value>,
    seq: u64,
}

impl Roll {
    /// A new raffle: its code, its roll, and the host's `raffle_started`.
    pub fn start() -> (String, Self, Value) {
        let mut rng = rand::rng();
        let code: String =
            (0..6).map(|_| b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[rng.random_range(0..32)] as char).collect();
        let started = json!({"type": "raffle_started", "code": code, "host_token": "0".repeat(32)});
        (code, Self { players: Vec::new(), pending: Vec::new(), seq: 1 }, started)
    }

    /// A player joins with the name in `join`: the phone's `joined`.
    pub fn join(&mut self, code: &str, join: &Value) -> Value {
        let you = json!({"id": self.players.len() + 1, "name": join["name"]});
        self.players.push(you.clone());
        self.pending.push(you.clone());
        self.seq += 1;
        json!({"type": "joined", "seq": self.seq, "code": code, "token": "1".repeat(32), "you": you})
    }

    /// The players the host has not heard of, as one `players_joined` (a peer sends it at most
    /// ten times a second, as Raffler does).
    pub fn host_batch(&mut self) -> Option<Value> {
        if self.pending.is_empty() {
            return None;
        }
        let players = std::mem::take(&mut self.pending);
        Some(json!({"type": "players_joined", "players": players, "total": self.players.len()}))
    }

    /// The host's `draw`: everyone's `winner_drawn`, or nothing with nobody to draw.
    pub fn draw(&mut self, draw: &Value) -> Option<Value> {
        if self.players.is_empty() {
            return None;
        }
        let winner = self.players[rand::rng().random_range(0..self.players.len())].clone();
        self.seq += 2; // Raffler's draw_started and winner_drawn
        Some(
            json!({"type": "winner_drawn", "seq": self.seq, "draw": draw["draw"], "prize": null, "winner": winner, "claim_seconds": 0}),
        )
    }
}

/// The answer to a join with a code no raffle has.
pub fn unknown_code() -> Value {
    json!({"type": "error", "code": "unknown_code", "field": "code", "message": "no such raffle"})
}
