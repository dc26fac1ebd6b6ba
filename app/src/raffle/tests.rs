//! Unit tests and property tests of the raffle state machine.

use super::*;
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use std::collections::{HashMap, HashSet};

fn raffle(spin_ms: u64, seed: u64) -> Raffle {
    let settings = Settings {
        spin: Millis(spin_ms),
        ..Settings::default()
    };
    Raffle::new(settings, Box::new(StdRng::seed_from_u64(seed)))
}

fn join(raffle: &mut Raffle, name: &str) -> Player {
    match raffle
        .handle(Millis(0), Command::Join { name: name.into() })
        .unwrap()
        .as_slice()
    {
        [Event::PlayerJoined(player)] => player.clone(),
        other => panic!("unexpected events {other:?}"),
    }
}

#[test]
fn joining_gives_ids_in_order_and_keeps_the_name_as_typed() {
    let mut r = raffle(0, 1);
    assert_eq!(
        join(&mut r, "Ada Lovelace"),
        Player {
            id: PlayerId(1),
            name: "Ada Lovelace".into()
        }
    );
    assert_eq!(
        join(&mut r, "  Grace   Hopper "),
        Player {
            id: PlayerId(2),
            name: "Grace Hopper".into()
        }
    );
    assert_eq!(r.players().len(), 2);
}

#[test]
fn bad_names_are_rejected_and_change_nothing() {
    let mut r = raffle(0, 1);
    join(&mut r, "Ada");
    let long = "x".repeat(MAX_NAME_CHARS + 1);
    for (name, why) in [
        ("", Rejected::NameEmpty),
        (" \t\n ", Rejected::NameEmpty),
        ("\u{7}", Rejected::NameEmpty),
        (
            long.as_str(),
            Rejected::NameTooLong {
                max: MAX_NAME_CHARS,
            },
        ),
        (
            "ada",
            Rejected::NameTaken {
                taken: "Ada".into(),
            },
        ),
        (
            "  ADA ",
            Rejected::NameTaken {
                taken: "Ada".into(),
            },
        ),
    ] {
        assert_eq!(
            r.handle(Millis(0), Command::Join { name: name.into() }),
            Err(why)
        );
    }
    assert_eq!(r.players().len(), 1);
}

#[test]
fn a_name_of_exactly_the_limit_is_accepted_in_characters_not_bytes() {
    let mut r = raffle(0, 1);
    join(&mut r, &"é".repeat(MAX_NAME_CHARS));
}

#[test]
fn drawing_with_nobody_is_rejected() {
    let mut r = raffle(0, 1);
    assert_eq!(
        r.handle(Millis(0), Command::StartDraw),
        Err(Rejected::NoPlayers)
    );
}

#[test]
fn a_zero_spin_reveals_at_once() {
    let mut r = raffle(0, 1);
    let ada = join(&mut r, "Ada");
    let events = r.handle(Millis(5), Command::StartDraw).unwrap();
    assert_eq!(
        events,
        vec![
            Event::DrawStarted {
                draw: DrawNumber(1),
                reveal_at: Millis(5)
            },
            Event::WinnerDrawn {
                draw: DrawNumber(1),
                winner: ada
            },
        ]
    );
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn a_spin_reveals_only_when_its_time_comes() {
    let mut r = raffle(2_000, 1);
    join(&mut r, "Ada");
    let events = r.handle(Millis(1_000), Command::StartDraw).unwrap();
    assert_eq!(
        events,
        vec![Event::DrawStarted {
            draw: DrawNumber(1),
            reveal_at: Millis(3_000)
        }]
    );
    assert_eq!(r.poll_timeout(), Some(Millis(3_000)));
    assert_eq!(
        r.handle(Millis(1_500), Command::StartDraw),
        Err(Rejected::DrawInProgress)
    );
    assert!(r.handle_timeout(Millis(2_999)).is_empty());
    assert!(matches!(
        r.handle_timeout(Millis(3_000)).as_slice(),
        [Event::WinnerDrawn { .. }]
    ));
    assert_eq!(r.spinning(), None);
}

#[test]
fn a_player_who_joins_during_the_spin_can_win_it() {
    let mut r = raffle(1_000, 1);
    join(&mut r, "Ada");
    r.handle(Millis(0), Command::StartDraw).unwrap();
    join(&mut r, "Grace");
    r.handle_timeout(Millis(1_000));
    let second = r.handle(Millis(1_000), Command::StartDraw).unwrap();
    assert_eq!(second.len(), 1, "the second draw spins too");
    assert_eq!(r.handle_timeout(Millis(2_000)).len(), 1);
    let names: HashSet<_> = r.winners().iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, HashSet::from(["Ada", "Grace"]));
}

#[test]
fn nobody_wins_twice_and_the_raffle_says_when_everyone_has_won() {
    let mut r = raffle(0, 7);
    for name in ["Ada", "Grace", "Linus"] {
        join(&mut r, name);
    }
    for _ in 0..3 {
        r.handle(Millis(0), Command::StartDraw).unwrap();
    }
    let distinct: HashSet<_> = r.winners().iter().map(|w| w.id).collect();
    assert_eq!(distinct.len(), 3);
    assert_eq!(
        r.handle(Millis(0), Command::StartDraw),
        Err(Rejected::NoEligiblePlayers)
    );
}

#[test]
fn the_same_seed_and_commands_give_the_same_winners() {
    let run = |seed| {
        let mut r = raffle(0, seed);
        for i in 0..50 {
            join(&mut r, &format!("player {i}"));
        }
        for _ in 0..5 {
            r.handle(Millis(0), Command::StartDraw).unwrap();
        }
        r.winners().to_vec()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(
        run(42),
        run(43),
        "different seeds should (almost surely) differ"
    );
}

#[test]
fn every_player_has_about_the_same_chance() {
    let mut wins = [0u32; 4];
    for seed in 0..4_000 {
        let mut r = raffle(0, seed);
        for name in ["a", "b", "c", "d"] {
            join(&mut r, name);
        }
        let events = r.handle(Millis(0), Command::StartDraw).unwrap();
        let Some(Event::WinnerDrawn { winner, .. }) = events.last() else {
            panic!("no winner")
        };
        wins[winner.id.0 as usize - 1] += 1;
    }
    // Expected 1,000 each; 4 standard deviations is about ±110.
    assert!(wins.iter().all(|&w| (890..=1_110).contains(&w)), "{wins:?}");
}

/// A phone in the simulation: it learns only from the events, as a real phone does.
#[derive(Default)]
struct Phone {
    results: HashMap<DrawNumber, bool>,
    duplicate_results: u32,
}

#[derive(Debug, Clone)]
enum Op {
    Join(String),
    Draw,
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => "[a-cA-C ]{0,3}".prop_map(Op::Join),
        2 => Just(Op::Draw),
        1 => (0u64..3_000).prop_map(Op::Wait),
    ]
}

proptest! {
    #[test]
    fn invariants_hold_for_any_sequence_of_commands(
        ops in proptest::collection::vec(op(), 0..80),
        spin in prop_oneof![Just(0u64), 1u64..2_000],
        seed: u64,
    ) {
        let mut r = raffle(spin, seed);
        let mut now = Millis(0);
        let mut phones: HashMap<PlayerId, Phone> = HashMap::new();
        let mut draws_started = 0u32;
        let mut winners_seen = Vec::new();
        for op in ops {
            let events = match op {
                Op::Join(name) => r.handle(now, Command::Join { name }).unwrap_or_default(),
                Op::Draw => r.handle(now, Command::StartDraw).unwrap_or_default(),
                Op::Wait(ms) => {
                    now = now.plus(Millis(ms));
                    r.handle_timeout(now)
                }
            };
            for event in events {
                match event {
                    Event::PlayerJoined(p) => { phones.insert(p.id, Phone::default()); }
                    Event::DrawStarted { .. } => draws_started += 1,
                    Event::WinnerDrawn { draw, winner } => {
                        // The winner is a player of this raffle, with the name it joined under.
                        prop_assert_eq!(r.player(winner.id), Some(&winner));
                        prop_assert!(!winners_seen.contains(&winner.id), "nobody wins twice");
                        winners_seen.push(winner.id);
                        for (id, phone) in phones.iter_mut() {
                            if phone.results.insert(draw, *id == winner.id).is_some() {
                                phone.duplicate_results += 1;
                            }
                        }
                    }
                }
            }
            // Names are unique within the raffle, compared as people read them.
            let keys: HashSet<_> = r.players().iter().map(|p| p.name.to_lowercase()).collect();
            prop_assert_eq!(keys.len(), r.players().len());
        }
        // Let a last spin finish, then every player holds exactly one result per draw it was in.
        now = now.plus(Millis(spin));
        for event in r.handle_timeout(now) {
            if let Event::WinnerDrawn { draw, winner } = event {
                winners_seen.push(winner.id);
                for (id, phone) in phones.iter_mut() {
                    phone.results.insert(draw, *id == winner.id);
                }
            }
        }
        prop_assert_eq!(winners_seen.len() as u32, draws_started);
        for phone in phones.values() {
            prop_assert_eq!(phone.duplicate_results, 0);
            prop_assert!(phone.results.values().filter(|won| **won).count() <= 1);
        }
        for draw in 1..=draws_started {
            let winners = phones.values().filter(|p| p.results.get(&DrawNumber(draw)) == Some(&true)).count();
            prop_assert_eq!(winners, 1, "draw {} has exactly one winner", draw);
        }
    }
}
