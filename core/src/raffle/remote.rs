//! Remotes: the host's own phone, paired to drive the raffle without the host token ever
//! being in a URL. The controls open a one-time link (shown as a QR code on the controls, never
//! on the projector); the first phone that presents it gets a remote credential of its own,
//! which the host can revoke and which dies with the raffle. A second use of the link, or a
//! use after it expired, is refused.

use super::state::State;
use super::{Actor, EventKind, Millis, Rejected, Token};

/// A remote's number within its raffle, from 1, in pairing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RemoteId(pub u32);

/// How long a pairing link works once opened: long enough to find a phone and scan, short
/// enough that a photo of the controls taken later opens nothing.
pub const REMOTE_LINK_TTL: Millis = Millis(10 * 60 * 1_000);

/// A paired remote. A revoked one stays (its number is never given again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub id: RemoteId,
    pub(super) token: Token,
    pub paired_at: Millis,
    pub revoked: bool,
    /// The phone's id for the pairing: the same id asked again gets this remote back.
    pub(super) pair_id: Option<String>,
}

/// The link a remote can be paired with, while one is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OpenLink {
    pub link: Token,
    pub expires_at: Millis,
}

/// The host's own screens only: a remote cannot make more remotes nor revoke them.
pub(super) fn open_link(actor: Actor, now: Millis, link: Token) -> Result<Vec<EventKind>, Rejected> {
    if actor != Actor::Host {
        return Err(Rejected::NotAllowed);
    }
    Ok(vec![EventKind::RemoteLinkOpened { link, expires_at: now.plus(REMOTE_LINK_TTL) }])
}

/// A phone that scanned the link becomes remote number n. Only once, and only in time; but the
/// same phone asking again (its answer was lost on the hall's Wi-Fi) gets its remote back: no
/// event, and the caller looks the remote up (`Raffle::paired_with`).
pub(super) fn pair(
    state: &State,
    actor: Actor,
    now: Millis,
    link: &Token,
    token: Token,
    pair_id: Option<String>,
) -> Result<Vec<EventKind>, Rejected> {
    if actor != Actor::Guest {
        return Err(Rejected::AlreadyJoined);
    }
    if pair_id.as_deref().is_some_and(|id| paired_with(state, id).is_some()) {
        return Ok(Vec::new());
    }
    match &state.remote_link {
        Some(open) if open.link == *link && now < open.expires_at => {
            let remote = RemoteId(state.remotes.len() as u32 + 1);
            Ok(vec![EventKind::RemotePaired { remote, token, pair_id }])
        }
        _ => Err(Rejected::RemoteLinkUsed),
    }
}

/// The remote (still on) that this pairing id made.
pub(super) fn paired_with<'a>(state: &'a State, pair_id: &str) -> Option<&'a Remote> {
    state.remotes.iter().find(|r| !r.revoked && r.pair_id.as_deref() == Some(pair_id))
}

pub(super) fn revoke(state: &State, actor: Actor, remote: RemoteId) -> Result<Vec<EventKind>, Rejected> {
    if actor != Actor::Host {
        return Err(Rejected::NotAllowed);
    }
    match state.remotes.iter().find(|r| r.id == remote) {
        Some(r) if !r.revoked => Ok(vec![EventKind::RemoteRevoked { remote }]),
        _ => Err(Rejected::UnknownRemote),
    }
}
