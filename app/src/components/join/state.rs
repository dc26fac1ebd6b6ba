//! What the phone knows and shows, as plain data. It applies the server's messages and the
//! person's actions (join, claim, leave, join again); each returns the effects it asks for
//! (send, keep or forget the token, fix the address bar, keep the screen on, buzz), which the
//! page performs in one place. No signal and no browser here, so whole evenings are tested
//! natively (below). What it knows of the draws is [`Results`].
//!
//! A join is sent with a join id the phone keeps, so a join whose answer was lost is simply
//! asked again (on every reconnect, and when no answer came in time) and gets the same player.

use super::results::Results;
use crate::protocol::{normalize_code, ClaimView, ClientMsg, ErrorCode, Field, PlayerView, ServerMsg};

/// A join with no answer by then is asked again on a fresh socket (the old one may be dead
/// without knowing it, as on hall Wi-Fi).
pub const JOIN_TIMEOUT_MS: u64 = 8_000;

/// What a message or an action asks the page to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(ClientMsg),
    /// Drop the socket and open a fresh one, whose hello asks the pending join again.
    Reconnect,
    /// Call [`PhoneState::join_timed_out`] with `attempt` after `after_ms`.
    RetryJoinIn {
        attempt: u32,
        after_ms: u64,
    },
    /// Keep the player token for `code`: a reload or a reconnect comes back as this player.
    SaveToken {
        code: String,
        token: String,
    },
    /// The place in `code` is gone: drop its token.
    ForgetToken {
        code: String,
    },
    /// Keep the join id before the join is sent: a retry, even after a reload, is the same join.
    SaveJoinId {
        code: String,
        join_id: String,
    },
    /// Show this path in the address bar (no navigation), so that a reload comes back here.
    ReplacePath(String),
    /// Ask for the screen wake lock, and report with [`PhoneState::screen_kept_on`].
    KeepScreenOn,
    /// A prize was just won: buzz the phone, where it can.
    Vibrate,
}

/// Which screen the phone shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Form,
    /// A join sent, not answered yet.
    Joining,
    /// In the raffle; what it shows comes from [`PhoneState::status`] and the wins.
    In,
    Left,
    Removed,
}

/// What the phone says of the latest draw, beside the prizes it won.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// In, no draw yet.
    Waiting,
    Drawing {
        prize: Option<String>,
    },
    /// Nobody won that draw.
    NoWinner,
    /// This phone's prize was drawn again because it was not claimed in time.
    Missed,
    NotThisTime {
        winner: String,
        prize: Option<String>,
    },
    /// The latest draw is this phone's own: its win card says it all.
    Won,
    Ended,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhoneState {
    /// The raffle: from the address (a QR code's link), else once joined.
    pub code: Option<String>,
    pub me: Option<PlayerView>,
    /// The last sequence number seen, said on a resume so only what was missed is replayed.
    pub last_seq: Option<u64>,
    pub phase: Phase,
    pub results: Results,
    /// The join being asked, sent again on every reconnect until it is answered.
    pending: Option<ClientMsg>,
    /// Counts join attempts, so that a timer set for an earlier one does nothing.
    attempt: u32,
    pub code_error: Option<String>,
    pub name_error: Option<String>,
    pub page_error: Option<String>,
    /// `false` when the browser offers no wake lock: the page asks the person instead.
    pub screen_kept_on: bool,
    /// The raffle's fingerprint, to compare with the big screen's (docs/fairness.md).
    pub fingerprint: Option<String>,
}

impl PhoneState {
    pub fn new(code_in_url: Option<String>) -> Self {
        PhoneState {
            code: code_in_url,
            me: None,
            last_seq: None,
            phase: Phase::Form,
            results: Results::default(),
            pending: None,
            attempt: 0,
            code_error: None,
            name_error: None,
            page_error: None,
            screen_kept_on: true,
            fingerprint: None,
        }
    }

    /// What to say on every (re)connection. `saved_token`: the token this phone holds for its
    /// raffle, if any; then it comes back as that player, saying what it saw last. Else a join
    /// not answered yet is asked again (its join id makes that safe); else nothing: wait for
    /// the form.
    pub fn hello(&self, saved_token: Option<String>) -> (Option<ClientMsg>, Vec<Effect>) {
        if let (Some(code), Some(token)) = (&self.code, saved_token) {
            let resume = ClientMsg::Resume { code: code.clone(), token, last_seq: self.last_seq };
            return (Some(resume), vec![Effect::KeepScreenOn]);
        }
        (self.pending.clone().filter(|_| self.phase == Phase::Joining), Vec::new())
    }

    /// Applies one message from the server; `now` is this phone's clock in ms.
    pub fn apply(&mut self, msg: &ServerMsg, now: f64) -> Vec<Effect> {
        if let Some(seq) = msg.seq() {
            self.last_seq = Some(seq);
        }
        let known: Vec<u32> = self.results.open_wins().map(|w| w.draw).collect();
        self.results.apply(msg, now);
        let mut effects = match msg {
            ServerMsg::Joined { code, token, you, fingerprint, .. } => {
                self.fingerprint.clone_from(fingerprint);
                self.code = Some(code.clone());
                let mut effects = vec![
                    Effect::SaveToken { code: code.clone(), token: token.clone() },
                    Effect::ReplacePath(format!("/join/{code}")),
                ];
                effects.extend(self.entered(you));
                effects
            }
            ServerMsg::PlayerSnapshot { code, you, fingerprint, .. } => {
                self.fingerprint.clone_from(fingerprint);
                self.code = Some(code.clone());
                self.entered(you)
            }
            ServerMsg::Removed { .. } => self.out(Phase::Removed),
            ServerMsg::Left { .. } => self.out(Phase::Left),
            ServerMsg::Error { code: ErrorCode::BadToken, message, .. } => self.start_over(message),
            // Back after the raffle closed (a day without activity): its place is gone too.
            ServerMsg::Error { code: ErrorCode::UnknownCode, message, .. } if self.phase == Phase::In => {
                self.start_over(message)
            }
            // The host removed this phone's player earlier; the join id says so.
            ServerMsg::Error { code: ErrorCode::Removed, .. } => {
                self.pending = None;
                self.phase = Phase::Removed;
                Vec::new()
            }
            // A join sent twice (on a reconnect, and queued): the first answer stands.
            ServerMsg::Error { code: ErrorCode::AlreadyJoined, .. } if self.phase == Phase::In => Vec::new(),
            // A join turned away for now (too many from this network): try again when told.
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms: Some(wait),
                message,
                field: Some(Field::Name),
            } if self.phase == Phase::Joining => {
                self.name_error = Some(message.clone());
                vec![self.retry_join_in(*wait)]
            }
            ServerMsg::Error { field, message, .. } => {
                if self.phase == Phase::Joining {
                    self.pending = None;
                    self.phase = Phase::Form;
                }
                let slot = match field {
                    Some(Field::Code) => &mut self.code_error,
                    Some(Field::Name) => &mut self.name_error,
                    _ => &mut self.page_error,
                };
                *slot = Some(message.clone());
                Vec::new()
            }
            _ => Vec::new(),
        };
        // A prize to claim that this phone did not know of: live, or learnt on waking.
        if self.results.open_wins().any(|w| !known.contains(&w.draw)) {
            effects.push(Effect::Vibrate);
        }
        effects
    }

    /// The form was sent: join raffle `typed_code` (unless the address gave the code) as `name`.
    /// `saved_join_id` finds the join id this phone keeps for a code; `new_id` makes one.
    pub fn submit(
        &mut self,
        typed_code: &str,
        name: &str,
        saved_join_id: impl FnOnce(&str) -> Option<String>,
        new_id: impl FnOnce() -> String,
    ) -> Vec<Effect> {
        self.code_error = None;
        self.name_error = None;
        self.page_error = None;
        let code = normalize_code(self.code.as_deref().unwrap_or(typed_code));
        let mut effects = Vec::new();
        let join_id = saved_join_id(&code).unwrap_or_else(|| {
            let join_id = new_id();
            effects.push(Effect::SaveJoinId { code: code.clone(), join_id: join_id.clone() });
            join_id
        });
        let msg = ClientMsg::Join { code, name: name.to_owned(), join_id: Some(join_id) };
        self.pending = Some(msg.clone());
        self.phase = Phase::Joining;
        effects.push(Effect::Send(msg));
        effects.push(self.retry_join_in(JOIN_TIMEOUT_MS));
        effects
    }

    /// The timer of join `attempt` ran out. If that join is still unanswered, ask again on a
    /// fresh socket (whose hello is the join), and wait again.
    pub fn join_timed_out(&mut self, attempt: u32) -> Vec<Effect> {
        if attempt != self.attempt || self.phase != Phase::Joining {
            return Vec::new();
        }
        vec![Effect::Reconnect, self.retry_join_in(JOIN_TIMEOUT_MS)]
    }

    pub fn claim(&self, draw: u32) -> Vec<Effect> {
        vec![Effect::Send(ClientMsg::Claim { draw })]
    }

    pub fn leave(&self) -> Vec<Effect> {
        vec![Effect::Send(ClientMsg::Leave {})]
    }

    /// After "You were removed": back to the form (the host may have let this phone back in).
    pub fn join_again(&mut self) {
        self.phase = Phase::Form;
    }

    /// What the wake lock request gave: without one, the page asks the person to keep the screen on.
    pub fn screen_kept_on(&mut self, held: bool) {
        self.screen_kept_on = held;
    }

    /// What the latest draw means for this phone (what the big screen shows now, unless it is
    /// this phone's own win, which its win card shows).
    pub fn status(&self) -> Status {
        let r = &self.results;
        if r.ended {
            return Status::Ended;
        }
        let Some(latest) = &r.latest else { return Status::Waiting };
        let mine = r.latest_is_mine();
        match latest.claim {
            ClaimView::Spinning => Status::Drawing { prize: latest.prize.clone() },
            ClaimView::Void => Status::NoWinner,
            ClaimView::Skipped if mine => Status::Missed,
            _ if mine => Status::Won,
            _ => Status::NotThisTime {
                winner: latest.winner.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
                prize: latest.prize.clone(),
            },
        }
    }

    fn retry_join_in(&mut self, after_ms: u64) -> Effect {
        self.attempt += 1;
        Effect::RetryJoinIn { attempt: self.attempt, after_ms }
    }

    fn entered(&mut self, you: &PlayerView) -> Vec<Effect> {
        self.pending = None;
        self.me = Some(you.clone());
        self.phase = Phase::In;
        self.page_error = None;
        self.code_error = None;
        self.name_error = None;
        vec![Effect::KeepScreenOn]
    }

    /// The place is gone (an old token, a closed raffle): start over with the form.
    fn start_over(&mut self, message: &str) -> Vec<Effect> {
        self.me = None;
        self.pending = None;
        self.phase = Phase::Form;
        self.page_error = Some(message.to_owned());
        self.forget_token()
    }

    /// Removed or left: this phone is no longer in the raffle.
    fn out(&mut self, phase: Phase) -> Vec<Effect> {
        self.phase = phase;
        self.forget_token()
    }

    fn forget_token(&self) -> Vec<Effect> {
        self.code.iter().map(|code| Effect::ForgetToken { code: code.clone() }).collect()
    }
}

#[cfg(test)]
mod tests;
