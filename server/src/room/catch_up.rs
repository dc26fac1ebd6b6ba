//! Catch-up: what a screen that comes back is told, so that it agrees with the log again.
//!
//! A returning phone that says which `seq` it saw last gets the public messages it missed, one
//! per event and worded as they were live (the same `views::public_message`), then `resumed`;
//! when that is too long, or the gap is unknown, one snapshot instead. Only events on disk are
//! in the log, so a phone never catches up past what is committed.
//!
//! The [`Log`] keeps, beside the events, the positions of the ones a phone is told (draws,
//! claims, the end). A resume looks up where its gap starts in that index and reads on from
//! there, so it costs what the phone missed, not every join since: in a hall that joined early,
//! 18,000 phones resuming at once would otherwise each walk past 18,000 joins.

use crate::views;
use raffler_core::protocol::ServerMsg;
use raffler_core::raffle::{Event, Millis, PlayerId, Raffle};

/// A phone that missed more than this many messages gets a snapshot instead; it also keeps a
/// replay well inside the phone's outbox.
pub const MAX_REPLAY: usize = 32;

/// Every event on disk, `log[i].seq == i + 1`, and where the public ones are.
#[derive(Debug, Default)]
pub struct Log {
    events: Vec<Event>,
    /// Indices into `events` of those [`views::is_public`] accepts, ascending.
    public: Vec<u32>,
}

impl Log {
    pub fn new(events: Vec<Event>) -> Self {
        let mut log = Log::default();
        log.extend(events);
        log
    }

    pub fn push(&mut self, event: Event) {
        if views::is_public(&event) {
            self.public.push(self.events.len() as u32);
        }
        self.events.push(event);
    }

    pub fn extend(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.push(event);
        }
    }

    pub fn as_slice(&self) -> &[Event] {
        &self.events
    }

    /// The public events with a `seq` above `seen`, in order: a binary search, then only them.
    fn public_after(&self, seen: u64) -> impl ExactSizeIterator<Item = &Event> + '_ {
        // `events[i].seq == i + 1`: the events after `seen` are those at index `seen` on.
        let from = self.public.partition_point(|&i| (i as u64) < seen);
        self.public[from..].iter().map(|&i| &self.events[i as usize])
    }
}

impl std::ops::Deref for Log {
    type Target = [Event];

    fn deref(&self) -> &[Event] {
        &self.events
    }
}

impl<'a> IntoIterator for &'a Log {
    type Item = &'a Event;
    type IntoIter = std::slice::Iter<'a, Event>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}

/// What a returning phone missed, one message per event, or a snapshot when that is shorter or
/// the gap is unknown.
pub fn missed(
    raffle: &Raffle,
    log: &Log,
    code: &str,
    player: PlayerId,
    last_seq: Option<u64>,
    now: Millis,
) -> Vec<ServerMsg> {
    let gap = last_seq.filter(|seen| *seen <= raffle.last_seq()).map(|seen| log.public_after(seen));
    match gap {
        // Counted before anything is built: a long gap costs a snapshot, not the messages too.
        Some(events) if events.len() <= MAX_REPLAY => {
            let mut messages: Vec<ServerMsg> =
                events.filter_map(|e| views::public_message(raffle, e, now)).collect();
            messages.push(views::resumed(raffle.last_seq()));
            messages
        }
        _ => vec![views::player_snapshot(raffle, code, player, now)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raffler_core::raffle::{Command, DrawNumber, RaffleSettings, Token};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// A raffle with `players` joins, then `draws` draws (no spin), and its log.
    fn evening(players: usize, draws: u32) -> (Raffle, Log) {
        let rng = Box::new(StdRng::seed_from_u64(1));
        let settings = RaffleSettings { spin: Millis(0), ..RaffleSettings::default() };
        let now = Millis(1_000);
        let (mut raffle, first) = Raffle::new(settings, now, "ABCDEF", Token::new("host"), rng);
        let mut log = Log::new(vec![first]);
        for i in 0..players {
            let join =
                Command::Join { name: format!("P{i}"), token: Token::new(format!("t{i}")), join_id: None };
            log.extend(raffle.handle(now, raffler_core::raffle::Actor::Guest, join).expect("joins"));
        }
        for draw in 1..=draws {
            let command = Command::Draw { draw: DrawNumber(draw), prize: None };
            log.extend(raffle.handle(now, raffler_core::raffle::Actor::Host, command).expect("draws"));
        }
        (raffle, log)
    }

    /// The answer as it was before the index: every event after `seen`, walked.
    fn walked(raffle: &Raffle, log: &Log, seen: u64, now: Millis) -> Vec<ServerMsg> {
        log[seen as usize..].iter().filter_map(|e| views::public_message(raffle, e, now)).collect()
    }

    #[test]
    fn the_index_holds_exactly_the_events_a_phone_is_told() {
        let (raffle, log) = evening(50, 3);
        let now = Millis(1_000);
        for (i, event) in log.iter().enumerate() {
            let told = views::public_message(&raffle, event, now).is_some();
            assert_eq!(told, log.public.contains(&(i as u32)), "event {event:?}");
        }
        assert_eq!(log.public.len(), 6, "two messages per draw");
    }

    #[test]
    fn a_resume_replays_what_walking_the_log_did_from_every_seq() {
        let (raffle, log) = evening(40, 4);
        let now = Millis(1_000);
        for seen in 0..=raffle.last_seq() {
            let mut expected = walked(&raffle, &log, seen, now);
            expected.push(views::resumed(raffle.last_seq()));
            let got = missed(&raffle, &log, "ABCDEF", PlayerId(1), Some(seen), now);
            assert_eq!(got, expected, "after seq {seen}");
        }
    }

    #[test]
    fn a_resume_visits_only_what_the_phone_missed() {
        // 5,000 joins, then a draw: a phone that saw the joins is told two messages, found by
        // looking at two events (the iterator's length is known before anything is built).
        let (raffle, log) = evening(5_000, 1);
        let seen = raffle.last_seq() - 2;
        assert_eq!(log.public_after(seen).len(), 2);
        assert_eq!(log.public_after(0).len(), 2, "joins are never visited");
        let got = missed(&raffle, &log, "ABCDEF", PlayerId(1), Some(seen), Millis(1_000));
        assert!(matches!(
            got[..],
            [ServerMsg::DrawStarted { .. }, ServerMsg::WinnerDrawn { .. }, ServerMsg::Resumed { .. }]
        ));
    }

    #[test]
    fn a_long_or_unknown_gap_gets_a_snapshot() {
        let (raffle, log) = evening(30, 20);
        let snapshot = |got: &[ServerMsg]| matches!(got, [ServerMsg::PlayerSnapshot { .. }]);
        let now = Millis(1_000);
        assert!(snapshot(&missed(&raffle, &log, "ABCDEF", PlayerId(1), Some(0), now)), "40 > MAX_REPLAY");
        assert!(snapshot(&missed(&raffle, &log, "ABCDEF", PlayerId(1), None, now)));
        let ahead = raffle.last_seq() + 1;
        assert!(snapshot(&missed(&raffle, &log, "ABCDEF", PlayerId(1), Some(ahead), now)));
    }

    /// What the index saves in a storm: a hall of 18,000 that joined early all resuming after a
    /// draw. Prints the time of 1,000 resumes walked as before and indexed (a debug build: the
    /// ratio is what counts). `cargo test -p server resume_cost -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn resume_cost_in_a_hall_of_18000() {
        let (raffle, log) = evening(18_000, 1);
        // A phone's last seq is its own join's (phones are not told of the others'): phone k of
        // every 18th resumes from there.
        let now = Millis(1_000);
        let time = |f: &dyn Fn(u64) -> usize| {
            let started = std::time::Instant::now();
            let told: usize = (0..1_000u64).map(|k| f(2 + k * 18)).sum();
            (started.elapsed(), told)
        };
        let (walked_for, walked_told) = time(&|seen| walked(&raffle, &log, seen, now).len());
        let (indexed_for, indexed_told) =
            time(&|seen| missed(&raffle, &log, "ABCDEF", PlayerId(1), Some(seen), now).len() - 1);
        assert_eq!(walked_told, indexed_told);
        println!("1,000 resumes after 18,000 joins: walked {walked_for:?}, indexed {indexed_for:?}");
    }
}
