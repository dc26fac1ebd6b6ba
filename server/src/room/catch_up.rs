//! Catch-up: what a screen that comes back is told, so that it agrees with the log again.
//!
//! A returning phone that says which `seq` it saw last gets the public messages it missed, one
//! per event and worded as they were live (the same `views::public_message`), then `resumed`;
//! when that is too long, or the gap is unknown, one snapshot instead. Only events on disk are
//! in the log, so a phone never catches up past what is committed.

use crate::views;
use raffler_core::protocol::ServerMsg;
use raffler_core::raffle::{Event, Millis, PlayerId, Raffle};

/// A phone that missed more than this many messages gets a snapshot instead; it also keeps a
/// replay well inside the phone's outbox.
pub const MAX_REPLAY: usize = 32;

/// What a returning phone missed, one message per event, or a snapshot when that is shorter or
/// the gap is unknown.
pub fn missed(
    raffle: &Raffle,
    log: &[Event],
    code: &str,
    player: PlayerId,
    last_seq: Option<u64>,
    now: Millis,
) -> Vec<ServerMsg> {
    let missed = last_seq.filter(|seen| *seen <= raffle.last_seq()).map(|seen| {
        log[seen as usize..].iter().filter_map(|e| views::public_message(raffle, e, now)).collect::<Vec<_>>()
    });
    match missed {
        Some(mut messages) if messages.len() <= MAX_REPLAY => {
            messages.push(views::resumed(raffle.last_seq()));
            messages
        }
        _ => vec![views::player_snapshot(raffle, code, player, now)],
    }
}
