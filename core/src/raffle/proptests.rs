//! Property tests: random sequences of commands from random actors, with the invariants that
//! must hold after every step, and a replay of the whole log at the end.

use super::*;
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
enum Op {
    /// A name, and maybe one of a few join ids, so that repeated joins happen.
    Join(String, Option<u8>),
    Readmit(u32),
    Leave(u32),
    Claim {
        player: u32,
        draw: u32,
    },
    AddPrize(String),
    Draw {
        prize: Option<u32>,
        ahead: u32,
    },
    Redraw(u32),
    Repeat(bool),
    Joining(bool),
    Remove(u32),
    /// Any command, from someone who is not the host.
    Forged {
        player: u32,
        draw: u32,
    },
    Wait(u64),
    End,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => ("[a-cA-C ]{0,3}", prop::option::of(0u8..4)).prop_map(|(name, id)| Op::Join(name, id)),
        1 => (1u32..8).prop_map(Op::Readmit),
        1 => (1u32..8).prop_map(Op::Leave),
        2 => (1u32..8, 1u32..6).prop_map(|(player, draw)| Op::Claim { player, draw }),
        1 => "[a-z]{0,4}".prop_map(Op::AddPrize),
        4 => (prop::option::of(1u32..4), 0u32..2).prop_map(|(prize, ahead)| Op::Draw { prize, ahead }),
        2 => (1u32..6).prop_map(Op::Redraw),
        1 => any::<bool>().prop_map(Op::Repeat),
        1 => any::<bool>().prop_map(Op::Joining),
        1 => (1u32..8).prop_map(Op::Remove),
        2 => (0u32..8, 1u32..6).prop_map(|(player, draw)| Op::Forged { player, draw }),
        3 => (0u64..3_000).prop_map(Op::Wait),
        1 => Just(Op::End),
    ]
}

/// What the test itself remembers, to judge the raffle by.
#[derive(Default)]
struct Model {
    log: Vec<Event>,
    /// Wins per player that were not skipped.
    held: HashMap<PlayerId, u32>,
    skipped: HashMap<PrizeId, HashSet<PlayerId>>,
    tokens: u32,
    join_ids: HashMap<String, PlayerId>,
    /// Whether repeat winners were allowed when each draw started: its entries were frozen then.
    repeats_at_start: HashMap<DrawNumber, bool>,
}

impl Model {
    fn check(&mut self, r: &Raffle, events: Vec<Event>) -> Result<(), TestCaseError> {
        for event in events {
            let last = self.log.last().map_or(0, |e| e.seq);
            prop_assert_eq!(event.seq, last + 1, "sequence numbers rise by one");
            match &event.kind {
                EventKind::WinnerDrawn { draw, winner, .. } => {
                    let player = r.player(*winner).expect("the winner is a player of this raffle");
                    prop_assert_eq!(
                        player.presence,
                        Presence::In,
                        "left and removed players are never drawn"
                    );
                    let prize = r.draw(*draw).unwrap().prize;
                    let skipped = self.skipped.get(&prize).is_some_and(|s| s.contains(winner));
                    prop_assert!(!skipped, "a skipped winner is never redrawn for the same prize");
                    if !self.repeats_at_start[draw] {
                        prop_assert_eq!(self.held.get(winner).copied().unwrap_or(0), 0, "nobody wins twice");
                    }
                    *self.held.entry(*winner).or_default() += 1;
                }
                EventKind::DrawStarted { draw, .. } => {
                    self.repeats_at_start.insert(*draw, r.repeat_winners());
                }
                EventKind::ClaimExpired { draw, .. } => {
                    prop_assert!(r.has_ended(), "claims expire only after the end");
                    prop_assert!(r.draw(*draw).unwrap().winner.is_some());
                }
                EventKind::PlayerJoined { player, join_id: Some(id), .. } => {
                    let live = self.join_ids.insert(id.clone(), *player);
                    prop_assert!(
                        live.is_none_or(|earlier| r.player(earlier).unwrap().presence == Presence::Left),
                        "a join id makes a second player only after the first left"
                    );
                }
                EventKind::WinnerSkipped { draw, player } => {
                    *self.held.get_mut(player).expect("only winners are skipped") -= 1;
                    self.skipped.entry(r.draw(*draw).unwrap().prize).or_default().insert(*player);
                }
                _ => {}
            }
            self.log.push(event);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn invariants_hold_for_any_sequence_of_commands(
        ops in prop::collection::vec(op(), 0..120),
        spin in prop_oneof![Just(0u64), 1u64..2_000],
        seed: u64,
    ) {
        let settings = RaffleSettings { spin: Millis(spin), ..RaffleSettings::default() };
        let rng = || Box::new(StdRng::seed_from_u64(seed));
        let (mut r, first) = Raffle::new(settings, Millis(0), "K7QX2M", Token::new("host"), rng());
        let mut model = Model::default();
        model.check(&r, vec![first])?;
        let mut now = Millis(0);
        for op in ops {
            let before = r.last_seq();
            let (actor, command) = match op {
                Op::Join(name, id) => {
                    model.tokens += 1;
                    let join_id = id.map(|id| format!("j{id}"));
                    if let Some((player, _)) = join_id.as_deref().and_then(|id| r.joined_with(id)) {
                        // Asked again: the same player, and nothing happens.
                        let command = Command::Join { name, token: Token::new("again"), join_id: join_id.clone() };
                        let result = r.handle(now, Actor::Guest, command);
                        prop_assert!(r.has_ended() || result == Ok(Vec::new()), "a repeated join changes nothing");
                        prop_assert_eq!(r.joined_with(join_id.as_deref().unwrap()).map(|(p, _)| p), Some(player));
                        continue;
                    }
                    (Actor::Guest, Command::Join { name, token: Token::new(format!("t{}", model.tokens)), join_id })
                }
                Op::Readmit(p) => (Actor::Host, Command::ReadmitPlayer { player: PlayerId(p) }),
                Op::Leave(p) => (Actor::Player(PlayerId(p)), Command::Leave),
                Op::Claim { player, draw } => (Actor::Player(PlayerId(player)), Command::Claim { draw: DrawNumber(draw) }),
                Op::AddPrize(name) => (Actor::Host, Command::AddPrize { name }),
                Op::Draw { prize, ahead } => {
                    let draw = DrawNumber(r.next_draw().0 + ahead);
                    (Actor::Host, Command::Draw { draw, prize: prize.map(PrizeId) })
                }
                Op::Redraw(d) => (Actor::Host, Command::Redraw { draw: DrawNumber(d) }),
                Op::Repeat(allowed) => (Actor::Host, Command::SetRepeatWinners { allowed }),
                Op::Joining(open) => (Actor::Host, Command::SetJoining { open }),
                Op::Remove(p) => (Actor::Host, Command::RemovePlayer { player: PlayerId(p) }),
                Op::Forged { player, draw } => {
                    let actor = if player == 0 { Actor::Guest } else { Actor::Player(PlayerId(player)) };
                    (actor, Command::Redraw { draw: DrawNumber(draw) })
                }
                Op::Wait(ms) => {
                    now = now.plus(Millis(ms));
                    let events = r.handle_timeout(now);
                    model.check(&r, events)?;
                    continue;
                }
                Op::End => (Actor::Host, Command::End),
            };
            match r.handle(now, actor, command) {
                Ok(events) => model.check(&r, events)?,
                Err(_) => prop_assert_eq!(r.last_seq(), before, "a refused command changes nothing"),
            }
        }
        // Finish a last spin: every draw ends with exactly one outcome.
        let events = r.handle_timeout(now.plus(Millis(spin)));
        model.check(&r, events)?;
        for draw in r.draws() {
            prop_assert!(!draw.is_spinning());
            prop_assert!(draw.void != draw.winner.is_some(), "a draw has a winner or is void");
        }
        // After the end, nothing waits for a claim for ever.
        if r.has_ended() {
            let later = now.plus(Millis(spin)).plus(CLAIM_AFTER_END).plus(Millis(3_600_000));
            let events = r.handle_timeout(later);
            model.check(&r, events)?;
            prop_assert!(r.draws().iter().all(|d| d.winner.is_none() || d.claim != Claim::Open));
            prop_assert_eq!(r.poll_timeout(), None);
        }
        // Replaying the log from the first event rebuilds the same raffle.
        let replayed = Raffle::replay(settings, &model.log, rng());
        prop_assert!(replayed.same_state_as(&r));
        prop_assert_eq!(model.log.len() as u64, r.last_seq());
    }
}

/// Replay goes on where the live raffle would: a raffle replayed mid-spin reveals the same way.
#[test]
fn a_raffle_replayed_during_a_spin_reveals_on_time() {
    let settings = RaffleSettings { spin: Millis(1_000), ..RaffleSettings::default() };
    let (mut r, first) =
        Raffle::new(settings, Millis(0), "K7QX2M", Token::new("h"), Box::new(StdRng::seed_from_u64(1)));
    let mut log = vec![first];
    let join = Command::Join { name: "Ada".into(), token: Token::new("a"), join_id: None };
    log.extend(r.handle(Millis(0), Actor::Guest, join).unwrap());
    log.extend(r.handle(Millis(0), Actor::Host, Command::Draw { draw: DrawNumber(1), prize: None }).unwrap());
    let mut replayed = Raffle::replay(settings, &log, Box::new(StdRng::seed_from_u64(9)));
    assert_eq!(replayed.poll_timeout(), Some(Millis(1_000)));
    let events = replayed.handle_timeout(Millis(1_000));
    assert!(matches!(events[0].kind, EventKind::WinnerDrawn { winner: PlayerId(1), .. }));
}
