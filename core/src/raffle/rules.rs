//! Who may do what, when: turns a command into the events it causes, or refuses it. Reads the
//! state and never changes it; `State::apply` does that.

use super::name::{collision_key, normalize_name, normalize_prize_name};
use super::remote;
use super::state::{Claim, Presence, State};
use super::{
    fairness, Actor, Command, DrawNumber, EventKind, Millis, PlayerId, PrizeId, RaffleSettings, Rejected,
};

pub(super) fn decide(
    state: &State,
    settings: &RaffleSettings,
    now: Millis,
    actor: Actor,
    command: Command,
) -> Result<Vec<EventKind>, Rejected> {
    // A prize won before the end can still be claimed after it, and the host can still turn a
    // remote off or hide a name (a lost phone, a name on the winners' list); nothing else.
    let after_end = matches!(
        command,
        Command::Claim { .. } | Command::RevokeRemote { .. } | Command::SetNameHidden { .. }
    );
    if state.ended && !after_end {
        return Err(Rejected::Ended);
    }
    if command.is_host_only() && !actor.is_host() {
        return Err(Rejected::NotAllowed);
    }
    // A remote is asked about here, not only when its screen connected: one turned off a
    // moment ago (its revocation still being written) can do nothing more.
    if let Actor::Remote(id) = actor {
        if !state.remotes.iter().any(|r| r.id == id && !r.revoked) {
            return Err(Rejected::NotAllowed);
        }
    }
    let player = match actor {
        Actor::Player(id) => match state.player(id) {
            Some(p) if p.presence == Presence::In => Some(id),
            _ => return Err(Rejected::UnknownPlayer),
        },
        _ => None,
    };
    match command {
        Command::Join { name, token, join_id } => {
            if actor != Actor::Guest {
                return Err(Rejected::AlreadyJoined);
            }
            // Asked before (its answer was lost): the player it made, even if joining has
            // closed or the raffle filled up since. The caller looks the player up.
            if let Some(earlier) = join_id.as_deref().and_then(|id| state.joined_with(id)) {
                match earlier.presence {
                    Presence::In => return Ok(Vec::new()),
                    Presence::Removed => return Err(Rejected::Removed),
                    // Left for good: this is a new join.
                    Presence::Left => {}
                }
            }
            if !state.joining_open {
                return Err(Rejected::JoiningClosed);
            }
            let (player, name) = admit(state, settings, &name)?;
            Ok(vec![EventKind::PlayerJoined { player, name, token, join_id }])
        }
        Command::Leave => {
            let player = player.ok_or(Rejected::UnknownPlayer)?;
            Ok(vec![EventKind::PlayerLeft { player }])
        }
        Command::Claim { draw } => match player {
            Some(player) => claim(state, player, draw),
            // A walk-in has no phone: they claim at the host, who claims for them.
            None if actor.is_host() => {
                let winner = state.draw(draw).ok_or(Rejected::UnknownDraw)?.winner;
                match winner.and_then(|w| state.player(w)) {
                    Some(p) if p.walk_in() => claim(state, p.id, draw),
                    _ => Err(Rejected::NotTheWinner),
                }
            }
            None => Err(Rejected::NotTheWinner),
        },
        Command::AddPrize { name } => {
            let name = normalize_prize_name(&name)?;
            room_for_a_prize(state, settings)?;
            let prize = PrizeId(state.prizes.len() as u32 + 1);
            Ok(vec![EventKind::PrizeAdded { prize, name: Some(name) }])
        }
        Command::RenamePrize { prize, name } => {
            undrawn_prize(state, prize)?;
            let name = normalize_prize_name(&name)?;
            Ok(vec![EventKind::PrizeRenamed { prize, name }])
        }
        Command::RemovePrize { prize } => {
            undrawn_prize(state, prize)?;
            Ok(vec![EventKind::PrizeRemoved { prize }])
        }
        Command::Draw { draw, prize } => start_draw(state, settings, now, draw, prize),
        Command::Redraw { draw } => redraw(state, settings, now, draw),
        Command::SetJoining { open } => {
            Ok(changed(state.joining_open != open, EventKind::JoiningChanged { open }))
        }
        Command::SetRepeatWinners { allowed } => {
            Ok(changed(state.repeat_winners != allowed, EventKind::RepeatWinnersChanged { allowed }))
        }
        Command::SetClaimSeconds { seconds } => {
            Ok(changed(state.claim_seconds != seconds, EventKind::ClaimSecondsChanged { seconds }))
        }
        Command::RemovePlayer { player } => match state.player(player) {
            Some(p) if p.presence == Presence::In => Ok(vec![EventKind::PlayerRemoved { player }]),
            _ => Err(Rejected::UnknownPlayer),
        },
        Command::ReadmitPlayer { player } => match state.player(player) {
            Some(p) if p.presence == Presence::Removed => {
                // Someone new may have taken the name meanwhile: two players must not share it.
                if let Some(&index) = state.names.get(&collision_key(&p.name)) {
                    return Err(Rejected::NameTaken { taken: state.players[index].name.clone() });
                }
                Ok(vec![EventKind::PlayerReadmitted { player }])
            }
            Some(_) => Err(Rejected::NotRemoved),
            None => Err(Rejected::UnknownPlayer),
        },
        // A draw waiting for its beacon cannot be revealed now, and is never finished from the
        // seed alone: the end waits for its reveal.
        Command::End if state.spinning().is_some_and(|d| d.beacon_round.is_some()) => {
            Err(Rejected::WaitingForBeacon)
        }
        Command::End => Ok(vec![EventKind::Ended]),
        Command::SetBeacon { on } if on && settings.beacon.is_none() => Err(Rejected::NoBeacon),
        Command::SetBeacon { on } => Ok(changed(state.beacon_on != on, EventKind::BeaconChanged { on })),
        // Whether joining is open is for phones: the host lets in whom they choose.
        Command::AddWalkIn { name } => {
            let (player, name) = admit(state, settings, &name)?;
            Ok(vec![EventKind::WalkInAdded { player, name }])
        }
        Command::SetNameHidden { player, hidden } => match state.player(player) {
            Some(p) => Ok(changed(p.hidden != hidden, EventKind::NameHidden { player, hidden })),
            None => Err(Rejected::UnknownPlayer),
        },
        Command::OpenRemoteLink { link } => remote::open_link(actor, now, link),
        Command::PairRemote { link, token, pair_id } => {
            remote::pair(state, actor, now, &link, token, pair_id)
        }
        Command::RevokeRemote { remote } => remote::revoke(state, actor, remote),
    }
}

/// A setting that is already so changes nothing (and makes no event).
fn changed(differs: bool, event: EventKind) -> Vec<EventKind> {
    if differs {
        vec![event]
    } else {
        Vec::new()
    }
}

/// Every prize ever added counts, removed or unnamed: each stays in the state and the history.
fn room_for_a_prize(state: &State, settings: &RaffleSettings) -> Result<(), Rejected> {
    if state.prizes.len() >= settings.max_prizes {
        return Err(Rejected::TooManyPrizes { max: settings.max_prizes });
    }
    Ok(())
}

fn undrawn_prize(state: &State, id: PrizeId) -> Result<(), Rejected> {
    match state.prize(id) {
        Some(prize) if prize.removed || prize.name.is_none() => Err(Rejected::UnknownPrize),
        Some(prize) if !prize.draws.is_empty() => Err(Rejected::PrizeAlreadyDrawn),
        Some(_) => Ok(()),
        None => Err(Rejected::UnknownPrize),
    }
}

fn claim(state: &State, player: PlayerId, number: DrawNumber) -> Result<Vec<EventKind>, Rejected> {
    let draw = state.draw(number).ok_or(Rejected::UnknownDraw)?;
    if draw.is_spinning() {
        return Err(Rejected::NotRevealed);
    }
    if draw.winner != Some(player) {
        return Err(Rejected::NotTheWinner);
    }
    match draw.claim {
        Claim::Open => Ok(vec![EventKind::PrizeClaimed { draw: number, player }]),
        // A second tap, or a retried frame: already done.
        Claim::Claimed { .. } => Ok(Vec::new()),
        Claim::Skipped { .. } => Err(Rejected::ClaimTooLate),
        Claim::Expired { .. } => Err(Rejected::ClaimClosed),
    }
}

fn start_draw(
    state: &State,
    settings: &RaffleSettings,
    now: Millis,
    number: DrawNumber,
    prize: Option<PrizeId>,
) -> Result<Vec<EventKind>, Rejected> {
    if let Some(existing) = state.draw(number) {
        // The same request again (double click, second tab, retry): the first result stands.
        let same_prize = match prize {
            Some(prize) => existing.prize == prize,
            None => state.prize(existing.prize).is_some_and(|p| p.name.is_none()),
        };
        return if same_prize { Ok(Vec::new()) } else { Err(stale(state)) };
    }
    if number != state.next_draw() {
        return Err(stale(state));
    }
    if state.spinning().is_some() {
        return Err(Rejected::DrawInProgress);
    }
    let mut events = Vec::new();
    let prize = match prize {
        Some(id) => {
            let p =
                state.prize(id).filter(|p| !p.removed && p.name.is_some()).ok_or(Rejected::UnknownPrize)?;
            if state.prize_is_taken(p) {
                return Err(Rejected::PrizeAlreadyDrawn);
            }
            id
        }
        None => {
            // A draw without a named prize adds an unnamed one: it counts, or unnamed draws
            // (with repeat winners allowed) would grow the board without end.
            room_for_a_prize(state, settings)?;
            let id = PrizeId(state.prizes.len() as u32 + 1);
            events.push(EventKind::PrizeAdded { prize: id, name: None });
            id
        }
    };
    check_eligible(state, prize)?;
    let entries = state.eligible(prize);
    events.push(draw_started(state, settings, now, number, prize, &entries, None));
    Ok(events)
}

/// A draw starts: its entries are frozen (their hash published with it) and, if the beacon is
/// on, it names the beacon round it waits for.
fn draw_started(
    state: &State,
    settings: &RaffleSettings,
    now: Millis,
    draw: DrawNumber,
    prize: PrizeId,
    entries: &[PlayerId],
    redraw_of: Option<DrawNumber>,
) -> EventKind {
    let entries_hash = state.seed.map(|_| {
        fairness::entries_hash(
            entries.iter().map(|id| (id.0, state.player(*id).map_or("", |p| p.name.as_str()))),
        )
    });
    let beacon_round = settings.beacon.filter(|_| state.beacon_on).map(|clock| clock.round_for_draw_at(now));
    EventKind::DrawStarted {
        draw,
        prize,
        reveal_at: now.plus(settings.spin),
        redraw_of,
        entries_hash,
        beacon_round,
    }
}

fn redraw(
    state: &State,
    settings: &RaffleSettings,
    now: Millis,
    number: DrawNumber,
) -> Result<Vec<EventKind>, Rejected> {
    let draw = state.draw(number).ok_or(Rejected::UnknownDraw)?;
    match draw.claim {
        // Already redrawn: the redraw that exists is the answer.
        Claim::Skipped { .. } => return Ok(Vec::new()),
        Claim::Claimed { .. } => return Err(Rejected::AlreadyClaimed),
        // Only after the end, when nothing is redrawn.
        Claim::Expired { .. } => return Err(Rejected::Ended),
        Claim::Open => {}
    }
    if draw.is_spinning() {
        return Err(Rejected::NotRevealed);
    }
    if state.spinning().is_some() {
        return Err(Rejected::DrawInProgress);
    }
    let Some(skipped) = draw.winner else { return Err(Rejected::UnknownDraw) };
    // Who could win once the skipped winner is out: the redraw's entries.
    let entries: Vec<PlayerId> = state.eligible(draw.prize).into_iter().filter(|p| *p != skipped).collect();
    if entries.is_empty() {
        return Err(Rejected::NoEligiblePlayers);
    }
    let next = state.next_draw();
    Ok(vec![
        EventKind::WinnerSkipped { draw: number, player: skipped },
        draw_started(state, settings, now, next, draw.prize, &entries, Some(number)),
    ])
}

fn check_eligible(state: &State, prize: PrizeId) -> Result<(), Rejected> {
    if !state.players.iter().any(|p| p.presence == Presence::In) {
        return Err(Rejected::NoPlayers);
    }
    if state.eligible(prize).is_empty() {
        return Err(Rejected::NoEligiblePlayers);
    }
    Ok(())
}

fn stale(state: &State) -> Rejected {
    Rejected::StaleDraw { expected: state.next_draw().0 }
}

/// A new player's number and name, by the same rules for a phone's join and a host's walk-in:
/// room left, a valid name, and no name that looks like another's.
fn admit(state: &State, settings: &RaffleSettings, name: &str) -> Result<(PlayerId, String), Rejected> {
    // Everyone who ever joined counts: a join-leave loop must not grow the raffle forever.
    if state.players.len() >= settings.max_players {
        return Err(Rejected::RaffleFull { max: settings.max_players });
    }
    let name = normalize_name(name, settings.max_name_chars)?;
    if let Some(&index) = state.names.get(&collision_key(&name)) {
        return Err(Rejected::NameTaken { taken: state.players[index].name.clone() });
    }
    Ok((PlayerId(state.players.len() as u32 + 1), name))
}
