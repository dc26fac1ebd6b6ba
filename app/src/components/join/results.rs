//! What a phone knows of the evening's draws: the latest one (what the big screen shows now) and
//! every result that concerns this phone. A prize it won stays here, with its claim button and
//! countdown, until it is claimed, drawn again or runs out after the end, however many draws
//! follow and whether or not the phone was awake for them. Plain data that applies server
//! messages: tested natively, without a browser.

use crate::components::countdown;
use crate::protocol::{ClaimView, DrawView, PlayerView, ServerMsg};

/// The latest draw, as the big screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestDraw {
    pub draw: u32,
    pub prize: Option<String>,
    pub winner: Option<PlayerView>,
    pub claim: ClaimView,
}

/// A prize this phone won.
#[derive(Debug, Clone, PartialEq)]
pub struct Win {
    pub draw: u32,
    pub prize: Option<String>,
    /// `Open` (claim it), `Claimed` or `Expired` (the raffle ended first).
    pub claim: ClaimView,
    /// When the claim runs out, by this phone's clock (ms), if it does.
    pub deadline: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Results {
    /// This phone's player id, once it is in.
    pub me: Option<u32>,
    pub latest: Option<LatestDraw>,
    /// Prizes won, first to last; one that was drawn again moves to `missed`.
    pub wins: Vec<Win>,
    /// Prizes won but drawn again because they were not claimed in time.
    pub missed: Vec<String>,
    pub ended: bool,
}

impl Results {
    /// Applies one message from the server; `now` is this phone's clock in ms. Applying the same
    /// result twice changes nothing.
    pub fn apply(&mut self, msg: &ServerMsg, now: f64) {
        match msg {
            ServerMsg::Joined { you, .. } => self.me = Some(you.id),
            ServerMsg::PlayerSnapshot { you, ended, draws, .. } => self.rebuild(you.id, *ended, draws, now),
            ServerMsg::DrawStarted { draw, prize, .. } => {
                self.latest = Some(LatestDraw {
                    draw: *draw,
                    prize: prize.clone(),
                    winner: None,
                    claim: ClaimView::Spinning,
                });
            }
            ServerMsg::WinnerDrawn { draw, prize, winner, claim_seconds, .. } => {
                self.latest = Some(LatestDraw {
                    draw: *draw,
                    prize: prize.clone(),
                    winner: Some(winner.clone()),
                    claim: ClaimView::Open,
                });
                if self.is_me(winner.id) {
                    let deadline = (*claim_seconds > 0)
                        .then(|| countdown::deadline(now, u64::from(*claim_seconds) * 1_000));
                    self.won(Win { draw: *draw, prize: prize.clone(), claim: ClaimView::Open, deadline });
                }
            }
            ServerMsg::DrawVoided { draw, .. } => self.settle(*draw, ClaimView::Void),
            ServerMsg::PrizeClaimed { draw, .. } => self.settle(*draw, ClaimView::Claimed),
            ServerMsg::ClaimExpired { draw, .. } => self.settle(*draw, ClaimView::Expired),
            ServerMsg::WinnerSkipped { draw, player, .. } => {
                self.settle(*draw, ClaimView::Skipped);
                if self.is_me(*player) {
                    if let Some(at) = self.wins.iter().position(|w| w.draw == *draw) {
                        let win = self.wins.remove(at);
                        self.missed.push(win.prize.unwrap_or_else(|| "your prize".into()));
                    }
                }
            }
            ServerMsg::Ended { claim_ms_left, .. } => {
                self.ended = true;
                // After the end a winner may still claim for a while (a longer countdown stands).
                let until = countdown::deadline(now, *claim_ms_left);
                for win in self.wins.iter_mut().filter(|w| w.claim == ClaimView::Open) {
                    win.deadline = Some(win.deadline.map_or(until, |d| d.max(until)));
                }
            }
            _ => {}
        }
    }

    /// Prizes won and not claimed yet, which the phone must keep offering to claim.
    pub fn open_wins(&self) -> impl Iterator<Item = &Win> {
        self.wins.iter().filter(|w| w.claim == ClaimView::Open)
    }

    /// Whether the latest draw is one this phone won.
    pub fn latest_is_mine(&self) -> bool {
        self.latest.as_ref().and_then(|l| l.winner.as_ref()).is_some_and(|w| self.is_me(w.id))
    }

    fn is_me(&self, id: u32) -> bool {
        self.me == Some(id)
    }

    fn won(&mut self, win: Win) {
        match self.wins.iter_mut().find(|w| w.draw == win.draw) {
            Some(known) => *known = win,
            None => {
                self.wins.push(win);
                self.wins.sort_by_key(|w| w.draw);
            }
        }
    }

    fn settle(&mut self, draw: u32, claim: ClaimView) {
        if let Some(latest) = self.latest.as_mut().filter(|l| l.draw == draw) {
            latest.claim = claim;
        }
        if let Some(win) = self.wins.iter_mut().find(|w| w.draw == draw) {
            win.claim = claim;
            win.deadline = None;
        }
    }

    /// The whole picture at once, after a gap too long to replay (or a page reload).
    fn rebuild(&mut self, me: u32, ended: bool, draws: &[DrawView], now: f64) {
        let mine = |d: &&DrawView| d.winner.as_ref().is_some_and(|w| w.id == me);
        *self = Results {
            me: Some(me),
            latest: draws.last().map(|d| LatestDraw {
                draw: d.draw,
                prize: d.prize.clone(),
                winner: d.winner.clone(),
                claim: d.claim,
            }),
            wins: draws
                .iter()
                .filter(mine)
                .filter(|d| d.claim != ClaimView::Skipped)
                .map(|d| Win {
                    draw: d.draw,
                    prize: d.prize.clone(),
                    claim: d.claim,
                    deadline: d.claim_ms_left.map(|left| countdown::deadline(now, left)),
                })
                .collect(),
            missed: draws
                .iter()
                .filter(mine)
                .filter(|d| d.claim == ClaimView::Skipped)
                .map(|d| d.prize.clone().unwrap_or_else(|| "your prize".into()))
                .collect(),
            ended,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u32 = 7;
    const BOB: u32 = 8;

    fn player(id: u32) -> PlayerView {
        PlayerView { id, name: if id == ME { "Ada".into() } else { "Bob".into() } }
    }

    fn joined() -> Results {
        let mut r = Results::default();
        let msg = ServerMsg::Joined {
            seq: 2,
            code: "K7QX2M".into(),
            token: "t".into(),
            you: player(ME),
            fingerprint: None,
        };
        r.apply(&msg, 0.0);
        r
    }

    fn started(draw: u32, prize: &str) -> ServerMsg {
        ServerMsg::DrawStarted {
            seq: 0,
            draw,
            prize: Some(prize.into()),
            spin_ms: 0,
            redraw_of: None,
            entries_hash: None,
            beacon_round: None,
        }
    }

    fn won(draw: u32, prize: &str, winner: u32, claim_seconds: u32) -> ServerMsg {
        ServerMsg::WinnerDrawn {
            seq: 0,
            draw,
            prize: Some(prize.into()),
            winner: player(winner),
            claim_seconds,
        }
    }

    fn view(draw: u32, prize: &str, winner: u32, claim: ClaimView, claim_ms_left: Option<u64>) -> DrawView {
        DrawView {
            draw,
            prize_id: draw,
            prize: Some(prize.into()),
            winner: Some(player(winner)),
            claim,
            started_at: 0,
            revealed_at: Some(0),
            claim_changed_at: None,
            redraw_of: None,
            claim_ms_left,
            beacon_round: None,
            void_reason: None,
        }
    }

    #[test]
    fn a_win_stays_while_later_draws_spin_and_reveal() {
        let mut r = joined();
        r.apply(&started(1, "Book"), 0.0);
        r.apply(&won(1, "Book", ME, 60), 1_000.0);
        assert!(r.latest_is_mine());
        r.apply(&started(2, "Mug"), 2_000.0);
        assert_eq!(r.latest.as_ref().unwrap().claim, ClaimView::Spinning);
        r.apply(&won(2, "Mug", BOB, 60), 3_000.0);
        assert!(!r.latest_is_mine());
        let open: Vec<_> = r.open_wins().collect();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].draw, open[0].prize.as_deref(), open[0].deadline),
            (1, Some("Book"), Some(61_000.0))
        );
        r.apply(&ServerMsg::PrizeClaimed { seq: 0, draw: 1, player: ME }, 4_000.0);
        assert_eq!(r.open_wins().count(), 0);
        assert_eq!(r.wins[0].claim, ClaimView::Claimed, "a claimed prize is still shown as won");
    }

    #[test]
    fn a_phone_that_slept_through_its_win_and_more_draws_sees_its_win_on_waking() {
        let mut r = joined();
        // What the snapshot says after the gap: won draw 1, Bob won draw 2, draw 3 spins.
        let mut spinning = view(3, "Hat", BOB, ClaimView::Spinning, None);
        spinning.winner = None;
        let draws = vec![
            view(1, "Book", ME, ClaimView::Open, Some(30_000)),
            view(2, "Mug", BOB, ClaimView::Open, Some(50_000)),
            spinning,
        ];
        let snapshot = ServerMsg::PlayerSnapshot {
            seq: 20,
            code: "K7QX2M".into(),
            you: player(ME),
            ended: false,
            draws,
            fingerprint: None,
        };
        r.apply(&snapshot, 100.0);
        let open: Vec<_> = r.open_wins().collect();
        assert_eq!((open.len(), open[0].draw, open[0].deadline), (1, 1, Some(30_100.0)));
        assert_eq!(r.latest.as_ref().unwrap().draw, 3);
        // The same, replayed one message at a time (a shorter gap), gives the same wins.
        let mut replayed = joined();
        for msg in [started(1, "Book"), won(1, "Book", ME, 30), started(2, "Mug"), won(2, "Mug", BOB, 50)] {
            replayed.apply(&msg, 100.0);
        }
        assert_eq!(replayed.open_wins().map(|w| w.draw).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn a_redrawn_prize_becomes_a_missed_one() {
        let mut r = joined();
        r.apply(&won(1, "Book", ME, 0), 0.0);
        r.apply(&ServerMsg::WinnerSkipped { seq: 0, draw: 1, player: ME }, 0.0);
        r.apply(&started(2, "Book"), 0.0);
        assert_eq!(r.open_wins().count(), 0);
        assert_eq!(r.missed, ["Book"]);
        // Someone else's skip is not this phone's loss.
        r.apply(&won(2, "Book", BOB, 0), 0.0);
        r.apply(&ServerMsg::WinnerSkipped { seq: 0, draw: 2, player: BOB }, 0.0);
        assert_eq!(r.missed, ["Book"]);
    }

    #[test]
    fn after_the_end_an_open_win_can_be_claimed_until_it_expires() {
        let mut r = joined();
        r.apply(&won(1, "Book", ME, 0), 0.0);
        r.apply(&ServerMsg::Ended { seq: 0, claim_ms_left: 600_000 }, 1_000.0);
        assert!(r.ended);
        assert_eq!(r.open_wins().next().unwrap().deadline, Some(601_000.0));
        r.apply(&ServerMsg::ClaimExpired { seq: 0, draw: 1, player: ME }, 601_000.0);
        assert_eq!(r.open_wins().count(), 0);
        assert_eq!(r.wins[0].claim, ClaimView::Expired);
    }

    #[test]
    fn the_same_result_twice_is_one_win() {
        let mut r = joined();
        r.apply(&won(1, "Book", ME, 0), 0.0);
        r.apply(&won(1, "Book", ME, 0), 0.0);
        assert_eq!(r.wins.len(), 1);
    }
}
