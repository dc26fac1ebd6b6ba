//! The check against real draws of the core: a whole evening verifies, and any tampering with
//! the record is caught and named.

use super::*;
use crate::raffle::{Actor, BeaconClock, BeaconValue, Command, DrawNumber, Millis, RaffleSettings, Token};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};

const CODE: &str = "K7QX2M";

fn chain() -> ChainView {
    ChainView { hash: "ab".into(), public_key: "cd".into(), genesis_time: 0, period: 3 }
}

/// Signatures are judged by the test: genuine unless it says otherwise.
fn genuine(_: &ChainView, _: u64, _: &[u8]) -> bool {
    true
}

/// 50 players, three draws and a redraw of the first; with the beacon, each draw's round comes.
fn evening(seed: u64, beacon: bool) -> Raffle {
    let settings = RaffleSettings {
        spin: Millis(0),
        beacon: beacon.then_some(BeaconClock { genesis_time: 0, period: 3 }),
        ..RaffleSettings::default()
    };
    let (mut r, _) =
        Raffle::new(settings, Millis(1_000), CODE, Token::new("h"), Box::new(StdRng::seed_from_u64(seed)));
    for i in 0..50 {
        let join =
            Command::Join { name: format!("Player {i}"), token: Token::new(format!("t{i}")), join_id: None };
        r.handle(Millis(1_000), Actor::Guest, join).unwrap();
    }
    let mut now = Millis(1_000);
    // The beacon's round comes when it is due (the signature is a stand-in: `genuine` judges).
    let reveal = |r: &mut Raffle| {
        if let Some((round, at)) = r.wants_beacon() {
            let signature = vec![round as u8; 48];
            let randomness = Sha256::digest(&signature).into();
            r.handle_beacon(at, BeaconValue { round, signature, randomness });
        }
    };
    for n in 1..=3 {
        r.handle(now, Actor::Host, Command::Draw { draw: DrawNumber(n), prize: None }).unwrap();
        reveal(&mut r);
        now = now.plus(Millis(10_000));
    }
    // One player leaves, then the first prize is drawn again without its winner.
    r.handle(now, Actor::Player(crate::raffle::PlayerId(7)), Command::Leave).unwrap();
    r.handle(now, Actor::Host, Command::Redraw { draw: DrawNumber(1) }).unwrap();
    reveal(&mut r);
    r.handle(now.plus(Millis(60_000)), Actor::Host, Command::End).unwrap();
    r
}

fn all_verified(check: &RecordCheck, seed_only: bool) -> bool {
    matches!(check, RecordCheck::Checked(draws) if draws.len() == 4
        && draws.iter().all(|(_, c)| *c == DrawCheck::Verified { seed_only }))
}

#[test]
fn a_whole_evening_verifies_with_and_without_the_beacon() {
    let seed_only = record(&evening(1, false), CODE, None);
    assert!(all_verified(&check(&seed_only, genuine), true), "{:?}", check(&seed_only, genuine));
    let with_beacon = record(&evening(1, true), CODE, Some(chain()));
    assert!(all_verified(&check(&with_beacon, genuine), false), "{:?}", check(&with_beacon, genuine));
    // The record travels as JSON and reads back the same.
    let json = serde_json::to_string(&with_beacon).unwrap();
    assert_eq!(serde_json::from_str::<VerifyRecord>(&json).unwrap(), with_beacon);
}

#[test]
fn before_the_end_there_is_no_seed_to_check_with() {
    let settings = RaffleSettings { spin: Millis(0), ..RaffleSettings::default() };
    let (mut r, _) =
        Raffle::new(settings, Millis(0), CODE, Token::new("h"), Box::new(StdRng::seed_from_u64(3)));
    let join = Command::Join { name: "Ada".into(), token: Token::new("t"), join_id: None };
    r.handle(Millis(0), Actor::Guest, join).unwrap();
    r.handle(Millis(0), Actor::Host, Command::Draw { draw: DrawNumber(1), prize: None }).unwrap();
    let running = record(&r, CODE, None);
    assert_eq!(running.seed, None, "no frame or page shows the seed before the end");
    assert_eq!(check(&running, genuine), RecordCheck::Checked(vec![(1, DrawCheck::Pending)]));
}

#[test]
fn a_forged_beacon_signature_is_caught() {
    let with_beacon = record(&evening(2, true), CODE, Some(chain()));
    let RecordCheck::Checked(draws) = check(&with_beacon, |_, round, _| round != 3) else { panic!() };
    assert!(draws.iter().any(|(_, c)| *c == DrawCheck::Mismatch { field: "beacon_signature" }));
}

#[derive(Debug, Clone, Copy)]
enum Tamper {
    Seed,
    EntryName,
    DropEntry,
    DrawNumber,
    Winner,
    Randomness,
    Withdrawn,
    Code,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any change to the seed, the entries, a draw's number, the winner, the beacon or the code
    /// makes the check fail, and the check names the draw (or the seed).
    #[test]
    fn any_tampering_is_caught(
        seed in 0u64..1_000,
        draw in 0usize..4,
        tamper in prop_oneof![
            Just(Tamper::Seed), Just(Tamper::EntryName), Just(Tamper::DropEntry), Just(Tamper::DrawNumber),
            Just(Tamper::Winner), Just(Tamper::Randomness), Just(Tamper::Withdrawn), Just(Tamper::Code),
        ],
    ) {
        let mut rec = record(&evening(seed, true), CODE, Some(chain()));
        let d = &mut rec.draws[draw];
        match tamper {
            Tamper::Seed => rec.seed = Some(to_hex(&[9; 32])),
            Tamper::EntryName => d.entries[0].name.push('!'),
            Tamper::DropEntry => { d.entries.remove(0); }
            Tamper::DrawNumber => d.draw += 10,
            Tamper::Winner => {
                let other = d.entries.iter().find(|e| Some(*e) != d.winner.as_ref()).unwrap().clone();
                d.winner = Some(other);
            }
            Tamper::Randomness => d.beacon_randomness = Some(to_hex(&[1; 32])),
            Tamper::Withdrawn => {
                let winner = d.winner.as_ref().unwrap().id;
                d.withdrawn.push(winner);
            }
            Tamper::Code => rec.code = "ZZZZZZ".into(),
        }
        match check(&rec, genuine) {
            RecordCheck::SeedMismatch => prop_assert!(matches!(tamper, Tamper::Seed)),
            RecordCheck::Checked(draws) => {
                let failed: Vec<_> = draws.iter().filter(|(_, c)| matches!(c, DrawCheck::Mismatch { .. })).collect();
                prop_assert!(!failed.is_empty(), "{tamper:?} went unnoticed");
                if !matches!(tamper, Tamper::Code) {
                    prop_assert_eq!(failed[0].0, rec.draws[draw].draw, "the tampered draw is named");
                }
            }
            RecordCheck::NotVerifiable => prop_assert!(false, "a verifiable record"),
        }
    }
}

/// Writes an evening's record where `RAFFLER_RECORD_OUT` says, for `scripts/verify_record.py`
/// to check on its own (scripts/test.sh does, with a tampered copy that it must refuse).
#[test]
fn a_record_for_the_python_check() {
    let Ok(path) = std::env::var("RAFFLER_RECORD_OUT") else { return };
    let rec = record(&evening(7, true), CODE, Some(chain()));
    std::fs::write(path, serde_json::to_string_pretty(&rec).unwrap()).unwrap();
}
