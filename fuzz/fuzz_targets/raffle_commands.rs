//! Arbitrary command sequences from arbitrary actors: the raffle never panics, never breaks an
//! invariant, and its events always replay into the same raffle.
#![no_main]

use raffler_core::raffle::{
    Actor, Claim, Command, DrawNumber, Event, EventKind, Millis, PlayerId, Presence, PrizeId, Raffle, RaffleSettings,
    Token,
};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rand::{rngs::StdRng, SeedableRng};

#[derive(Arbitrary, Debug)]
enum Who {
    Host,
    Player(u8),
    Guest,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Join(String),
    Leave,
    Claim(u8),
    AddPrize(String),
    RenamePrize(u8, String),
    RemovePrize(u8),
    Draw(u8, Option<u8>),
    Redraw(u8),
    SetJoining(bool),
    SetRepeatWinners(bool),
    SetClaimSeconds(u32),
    RemovePlayer(u8),
    End,
    Wait(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    spin: u16,
    max_players: u8,
    steps: Vec<(Who, Op)>,
}

fuzz_target!(|input: Input| {
    let settings =
        RaffleSettings { spin: Millis(u64::from(input.spin)), max_players: usize::from(input.max_players), ..RaffleSettings::default() };
    let rng = || Box::new(StdRng::seed_from_u64(input.seed));
    let (mut raffle, first) = Raffle::new(settings, Millis(0), Token::new("host"), rng());
    let mut log: Vec<Event> = vec![first];
    let mut now = Millis(0);
    for (i, (who, op)) in input.steps.into_iter().enumerate() {
        let actor = match who {
            Who::Host => Actor::Host,
            Who::Player(p) => Actor::Player(PlayerId(u32::from(p))),
            Who::Guest => Actor::Guest,
        };
        let command = match op {
            Op::Join(name) => Command::Join { name, token: Token::new(format!("t{i}")), join_id: None },
            Op::Leave => Command::Leave,
            Op::Claim(d) => Command::Claim { draw: DrawNumber(u32::from(d)) },
            Op::AddPrize(name) => Command::AddPrize { name },
            Op::RenamePrize(p, name) => Command::RenamePrize { prize: PrizeId(u32::from(p)), name },
            Op::RemovePrize(p) => Command::RemovePrize { prize: PrizeId(u32::from(p)) },
            Op::Draw(d, prize) => Command::Draw { draw: DrawNumber(u32::from(d)), prize: prize.map(|p| PrizeId(u32::from(p))) },
            Op::Redraw(d) => Command::Redraw { draw: DrawNumber(u32::from(d)) },
            Op::SetJoining(open) => Command::SetJoining { open },
            Op::SetRepeatWinners(allowed) => Command::SetRepeatWinners { allowed },
            Op::SetClaimSeconds(seconds) => Command::SetClaimSeconds { seconds },
            Op::RemovePlayer(p) => Command::RemovePlayer { player: PlayerId(u32::from(p)) },
            Op::End => Command::End,
            Op::Wait(ms) => {
                now = now.plus(Millis(u64::from(ms)));
                let events = raffle.handle_timeout(now);
                check(&raffle, &log, &events);
                log.extend(events);
                continue;
            }
        };
        let before = raffle.last_seq();
        match raffle.handle(now, actor, command.clone()) {
            Ok(events) => {
                if command.is_host_only() {
                    assert_eq!(actor, Actor::Host, "only the host changes host things");
                }
                check(&raffle, &log, &events);
                log.extend(events);
            }
            Err(_) => assert_eq!(raffle.last_seq(), before, "a refused command changes nothing"),
        }
    }
    let replayed = Raffle::replay(settings, &log, rng());
    assert!(replayed.same_state_as(&raffle), "replay rebuilds the same raffle");
});

fn check(raffle: &Raffle, log: &[Event], events: &[Event]) {
    let mut last = log.last().map_or(0, |e| e.seq);
    for event in events {
        assert_eq!(event.seq, last + 1, "sequence numbers rise by one");
        last = event.seq;
        if let EventKind::WinnerDrawn { draw, winner } = &event.kind {
            let player = raffle.player(*winner).expect("a winner is a player");
            assert_eq!(player.presence, Presence::In, "a winner is in the raffle");
            let this = raffle.draw(*draw).expect("the draw exists");
            let prize = raffle.prize(this.prize).expect("the prize exists");
            assert!(!prize.skipped.contains(winner), "a skipped winner is never redrawn for that prize");
            if !raffle.repeat_winners() {
                let other_wins = raffle.draws().iter().filter(|d| {
                    d.number != *draw && d.winner == Some(*winner) && !matches!(d.claim, Claim::Skipped { .. })
                });
                assert_eq!(other_wins.count(), 0, "nobody wins twice");
            }
        }
    }
}
