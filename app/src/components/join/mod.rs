//! The phone's screen: join with a code and a name, wait, and learn at the reveal whether it
//! won. It keeps its place: the player token in localStorage brings a reloaded or reconnected
//! page back as the same player, and what it missed is replayed. A join is sent with a join id
//! the phone keeps, so a join whose answer was lost is simply asked again (on every reconnect,
//! and when no answer came in time) and gets the same player. What the phone knows of the draws
//! is [`results::Results`]: every prize it won stays on screen until claimed.

mod results;

use super::{countdown, hydrated, minutes_seconds, ticking_clock, LinkNotice};
use crate::browser;
use crate::protocol::{normalize_code, ClaimView, ClientMsg, ErrorCode, Field, PlayerView, ServerMsg};
use crate::ws_client::{self, LinkState, Socket};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use results::{Results, Win};

/// A join with no answer by then is asked again on a fresh socket (the old one may be dead
/// without knowing it, as on hall Wi-Fi).
const JOIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Form,
    Joining,
    /// In the raffle; what it shows comes from `results`.
    In,
    Left,
    Removed,
}

#[derive(Clone, Copy)]
struct Phone {
    code: RwSignal<Option<String>>,
    me: RwSignal<Option<PlayerView>>,
    last_seq: RwSignal<Option<u64>>,
    phase: RwSignal<Phase>,
    results: RwSignal<Results>,
    /// The join being asked, sent again on every reconnect until it is answered.
    pending: RwSignal<Option<ClientMsg>>,
    /// Counts join attempts, so that a timer set for an earlier one does nothing.
    attempt: RwSignal<u32>,
    code_error: RwSignal<Option<String>>,
    name_error: RwSignal<Option<String>>,
    page_error: RwSignal<Option<String>>,
    screen_kept_on: RwSignal<bool>,
    /// The raffle's fingerprint, to compare with the big screen's (docs/fairness.md).
    fingerprint: RwSignal<Option<String>>,
    socket: StoredValue<Option<Socket>>,
}

impl Phone {
    fn token_key(&self) -> Option<String> {
        self.code.get_untracked().map(|code| browser::token_key("player", &code))
    }

    fn send(&self, msg: ClientMsg) {
        self.socket.with_value(|s| s.as_ref().map(|s| s.send(msg)));
    }

    fn on_message(&self, msg: ServerMsg) {
        if let Some(seq) = msg.seq() {
            self.last_seq.set(Some(seq));
        }
        self.results.update(|r| r.apply(&msg, browser::now_ms()));
        match msg {
            ServerMsg::Joined { code, token, you, fingerprint, .. } => {
                self.fingerprint.set(fingerprint);
                browser::save(&browser::token_key("player", &code), &token);
                browser::replace_path(&format!("/join/{code}"));
                self.code.set(Some(code));
                self.entered(you);
            }
            ServerMsg::PlayerSnapshot { code, you, fingerprint, .. } => {
                self.fingerprint.set(fingerprint);
                self.code.set(Some(code));
                self.entered(you);
            }
            ServerMsg::Removed { .. } => self.out(Phase::Removed),
            ServerMsg::Left { .. } => self.out(Phase::Left),
            ServerMsg::Error { code: ErrorCode::BadToken, message, .. } => self.start_over(message),
            // Back after the raffle closed (a day without activity): its place is gone too.
            ServerMsg::Error { code: ErrorCode::UnknownCode, message, .. }
                if self.phase.get_untracked() == Phase::In =>
            {
                self.start_over(message)
            }
            // The host removed this phone's player earlier; the join id says so.
            ServerMsg::Error { code: ErrorCode::Removed, .. } => {
                self.pending.set(None);
                self.phase.set(Phase::Removed);
            }
            // A join sent twice (on a reconnect, and queued): the first answer stands.
            ServerMsg::Error { code: ErrorCode::AlreadyJoined, .. }
                if self.phase.get_untracked() == Phase::In => {}
            // A join turned away for now (too many from this network): try again when told.
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms: Some(wait),
                message,
                field: Some(Field::Name),
                ..
            } if self.phase.get_untracked() == Phase::Joining => {
                self.name_error.set(Some(message));
                self.retry_join_in(std::time::Duration::from_millis(wait));
            }
            ServerMsg::Error { field, message, .. } => {
                if self.phase.get_untracked() == Phase::Joining {
                    self.pending.set(None);
                    self.phase.set(Phase::Form);
                }
                match field {
                    Some(Field::Code) => self.code_error.set(Some(message)),
                    Some(Field::Name) => self.name_error.set(Some(message)),
                    _ => self.page_error.set(Some(message)),
                }
            }
            _ => {}
        }
    }

    /// Sends a join (with this phone's join id for the raffle) and keeps asking until answered.
    fn join(&self, code: String, name: String) {
        let code = normalize_code(&code);
        let key = browser::token_key("join", &code);
        let join_id = browser::load(&key).unwrap_or_else(|| {
            let id = browser::random_id();
            // Kept before the join is sent: a retry, even after a reload, is the same join.
            browser::save(&key, &id);
            id
        });
        let msg = ClientMsg::Join { code, name, join_id: Some(join_id) };
        self.pending.set(Some(msg.clone()));
        self.phase.set(Phase::Joining);
        self.send(msg);
        self.retry_join_in(JOIN_TIMEOUT);
    }

    /// If the join is still unanswered after `wait`, asks again on a fresh socket (whose hello
    /// is the join).
    fn retry_join_in(&self, wait: std::time::Duration) {
        let attempt = self.attempt.get_untracked() + 1;
        self.attempt.set(attempt);
        let phone = *self;
        set_timeout(
            move || {
                if phone.attempt.get_untracked() == attempt && phone.phase.get_untracked() == Phase::Joining {
                    phone.socket.with_value(|s| s.as_ref().map(Socket::reconnect));
                    phone.retry_join_in(JOIN_TIMEOUT);
                }
            },
            wait,
        );
    }

    fn entered(&self, you: PlayerView) {
        self.pending.set(None);
        self.me.set(Some(you));
        self.phase.set(Phase::In);
        self.page_error.set(None);
        self.code_error.set(None);
        self.name_error.set(None);
        self.screen_kept_on.set(browser::keep_screen_on());
    }

    /// The place is gone (removed, left, an old or closed raffle): start over with the form.
    fn start_over(&self, message: String) {
        if let Some(key) = self.token_key() {
            browser::forget(&key);
        }
        self.me.set(None);
        self.pending.set(None);
        self.phase.set(Phase::Form);
        self.page_error.set(Some(message));
    }

    fn out(&self, phase: Phase) {
        if let Some(key) = self.token_key() {
            browser::forget(&key);
        }
        self.phase.set(phase);
    }
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    // From the QR code (/join/<code>): the code is known, only the name is asked.
    let code_in_url = params.read_untracked().get("code").filter(|c| !c.trim().is_empty());
    let ready = hydrated();
    let phone = Phone {
        code: RwSignal::new(code_in_url.clone()),
        me: RwSignal::new(None),
        last_seq: RwSignal::new(None),
        phase: RwSignal::new(Phase::Form),
        results: RwSignal::new(Results::default()),
        pending: RwSignal::new(None),
        attempt: RwSignal::new(0),
        code_error: RwSignal::new(None),
        name_error: RwSignal::new(None),
        page_error: RwSignal::new(None),
        screen_kept_on: RwSignal::new(true),
        fingerprint: RwSignal::new(None),
        socket: StoredValue::new(None),
    };
    let typed_code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let (link, set_link) = signal(LinkState::Connecting);

    Effect::new(move |_| {
        // On every (re)connection: if this phone holds a token for the raffle, come back as that
        // player, saying what it saw last; if a join is unanswered, ask it again (its join id
        // makes that safe); otherwise wait for the form.
        let hello = move || {
            let token = phone.code.get_untracked().and_then(|code| {
                let token = browser::load(&browser::token_key("player", &code))?;
                Some(ClientMsg::Resume { code, token, last_seq: phone.last_seq.get_untracked() })
            });
            if token.is_some() {
                phone.screen_kept_on.set(browser::keep_screen_on());
                return token;
            }
            phone.pending.get_untracked().filter(|_| phone.phase.get_untracked() == Phase::Joining)
        };
        let s = ws_client::open(hello, move |msg| phone.on_message(msg), move |state| set_link.set(state));
        phone.socket.set_value(Some(s));
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        phone.code_error.set(None);
        phone.name_error.set(None);
        phone.page_error.set(None);
        let code = phone.code.get_untracked().unwrap_or_else(|| typed_code.get_untracked());
        phone.join(code, name.get_untracked());
    };

    let code_known = code_in_url.is_some();
    let form = move || {
        view! {
            <form class="join-form" on:submit=submit novalidate>
                <h1>"Join the raffle"</h1>
                {if code_known {
                    view! {
                        <p class="join-code-known">"Code "<strong>{move || phone.code.get()}</strong></p>
                        <p class="field-error" role="alert">{move || phone.code_error.get()}</p>
                    }.into_any()
                } else {
                    view! {
                        <label for="code">"Join code"</label>
                        <input id="code" name="code" bind:value=typed_code autocomplete="off" autocapitalize="characters"
                            spellcheck="false" placeholder="e.g. K7QX2M" aria-describedby="code-error"
                            aria-invalid=move || phone.code_error.with(Option::is_some).to_string()/>
                        <p id="code-error" class="field-error" role="alert">{move || phone.code_error.get()}</p>
                    }.into_any()
                }}
                <label for="name">"Your name"</label>
                <input id="name" name="name" bind:value=name autocomplete="nickname" maxlength="60"
                    placeholder="As the room knows you" aria-describedby="name-error"
                    aria-invalid=move || phone.name_error.with(Option::is_some).to_string()/>
                <p id="name-error" class="field-error" role="alert">{move || phone.name_error.get()}</p>
                <button class="button primary" type="submit"
                    disabled=move || !ready.get() || phone.phase.get() == Phase::Joining>
                    {move || if phone.phase.get() == Phase::Joining { "Joining…" } else { "Join" }}
                </button>
                {move || phone.page_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
        }
    };

    view! {
        <section class="phone">
            <LinkNotice link/>
            {move || match phone.phase.get() {
                Phase::Form | Phase::Joining => form().into_any(),
                Phase::Left => view! {
                    <Card class="lost" big="You left the raffle".into() text="Thanks for playing.".into()/>
                }.into_any(),
                Phase::Removed => view! {
                    <div class="phone-card lost" role="status">
                        <p class="phone-big">"You were removed"</p>
                        <p>"The host removed you from this raffle. If that was a mistake, ask the host to let you back in, then join again."</p>
                        <button class="button" on:click=move |_| phone.phase.set(Phase::Form)>"Join again"</button>
                    </div>
                }.into_any(),
                Phase::In => view! { <InRaffle phone/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Card(class: &'static str, big: String, text: String) -> impl IntoView {
    view! {
        <div class=format!("phone-card {class}") role="status">
            <p class="phone-big">{big}</p>
            <p>{text}</p>
        </div>
    }
}

#[component]
fn InRaffle(phone: Phone) -> impl IntoView {
    let confirm_leave = RwSignal::new(false);
    let my_name = move || phone.me.with(|me| me.as_ref().map(|me| me.name.clone()).unwrap_or_default());
    let results = phone.results;

    // What the big screen shows now, unless it is this phone's own win (that shows as a win).
    let status = move || {
        let (ended, latest, mine) = results.with(|r| (r.ended, r.latest.clone(), r.latest_is_mine()));
        if ended {
            // Anyone may check that every draw was fair, on the same server (docs/fairness.md).
            let verify = phone.code.get().map(|code| format!("/verify/{code}"));
            return Some(
                view! {
                    <Card class="lost" big="The raffle has ended".into() text="Thanks for playing!".into()/>
                    {verify.map(|href| view! { <p class="verify-link"><a href=href>"Check every draw"</a></p> })}
                }
                .into_any(),
            );
        }
        let Some(latest) = latest else {
            return Some(view! {
                <div class="phone-card waiting" role="status">
                    <p class="phone-big">"You're in!"</p>
                    <p>{move || format!("Joined as {}. Keep this page open: the result shows here.", my_name())}</p>
                    {move || (!phone.screen_kept_on.get()).then(|| view! {
                        <p class="hint">"Keep your screen on until the draw, so you don't miss it."</p>
                    })}
                </div>
            }
            .into_any());
        };
        let prize = latest.prize.clone();
        let view = match latest.claim {
            ClaimView::Spinning => {
                let text = match &prize {
                    Some(prize) => format!("Now drawing: {prize}. Eyes on the big screen."),
                    None => "Eyes on the big screen.".into(),
                };
                view! { <Card class="drawing" big="Drawing…".into() text/> }.into_any()
            }
            ClaimView::Void => {
                view! { <Card class="lost" big="No winner".into() text="Nobody won that draw: the host will draw again.".into()/> }
                    .into_any()
            }
            ClaimView::Skipped if mine => view! {
                <Card class="lost" big="You missed it".into()
                    text="The prize was drawn again because it was not claimed in time.".into()/>
            }
            .into_any(),
            _ if mine => return None,
            _ => {
                let winner = latest.winner.map(|w| w.name).unwrap_or_default();
                let text = match &prize {
                    Some(prize) => format!("{winner} won {prize}. Stay here for the next draw."),
                    None => format!("{winner} won. Stay here for the next draw."),
                };
                view! { <Card class="lost" big="Not this time".into() text/> }.into_any()
            }
        };
        Some(view)
    };

    // Every prize this phone won, newest first: each stays until claimed, drawn again or expired.
    // Shown above the latest draw's status.
    let wins = move || {
        results
            .with(|r| r.wins.iter().rev().cloned().collect::<Vec<_>>())
            .into_iter()
            .map(|win| view! { <WinCard win phone my_name=my_name()/> })
            .collect_view()
    };

    view! {
        {move || phone.page_error.get().map(|e| view! { <p class="banner-error" role="alert">{e}</p> })}
        // A prize to claim comes first: it is what this phone must act on.
        {wins}
        {status}
        {move || results.with(|r| r.missed.clone()).into_iter().map(|prize| view! {
            <p class="missed" role="status">
                {format!("You missed {prize}: it was drawn again because it was not claimed in time.")}
            </p>
        }).collect_view()}
        {move || phone.fingerprint.get().map(|fp| view! {
            <p class="fingerprint">"Raffle fingerprint "<strong>{fp}</strong>" (the big screen shows the same)"</p>
        })}
        <div class="leave" class:hidden=move || results.with(|r| r.ended)>
            {move || if confirm_leave.get() {
                view! {
                    <p>"Leave the raffle? You cannot win after leaving."</p>
                    <div class="button-row">
                        <button class="button danger" on:click=move |_| phone.send(ClientMsg::Leave {})>"Yes, leave"</button>
                        <button class="button" on:click=move |_| confirm_leave.set(false)>"Stay in"</button>
                    </div>
                }.into_any()
            } else {
                view! { <button class="link-button" on:click=move |_| confirm_leave.set(true)>"Leave raffle"</button> }.into_any()
            }}
        </div>
    }
}

/// One prize this phone won: claim it (with the time left), claimed, or not claimed in time.
#[component]
fn WinCard(win: Win, phone: Phone, my_name: String) -> impl IntoView {
    let now = ticking_clock();
    let big = match &win.prize {
        Some(prize) => format!("You won {prize}!"),
        None => "You won!".into(),
    };
    let draw = win.draw;
    let body = match win.claim {
        ClaimView::Claimed => view! { <p class="claimed">"Claimed: go and collect it."</p> }.into_any(),
        ClaimView::Expired => {
            view! { <p>"Not claimed: the raffle ended before you claimed it."</p> }.into_any()
        }
        _ => view! {
            {win.deadline.map(|at| view! {
                <p class="countdown">{move || {
                    let left = countdown::seconds_left(at, now.get());
                    format!("Claim within {}", minutes_seconds(left))
                }}</p>
            })}
            <button class="button claim-button" on:click=move |_| phone.send(ClientMsg::Claim { draw })>
                "I'm here, claim it"
            </button>
        }
        .into_any(),
    };
    let class = if win.claim == ClaimView::Expired { "phone-card lost" } else { "phone-card won" };
    view! {
        <div class=class role="status">
            <p class="phone-big">{big}</p>
            <p>{format!("Congratulations, {my_name}!")}</p>
            {body}
        </div>
    }
}
