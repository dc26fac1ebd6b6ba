//! The phone's screen: join with a code and a name, wait, and learn at the reveal whether it
//! won. It keeps its place: the player token in localStorage brings a reloaded or reconnected
//! page back as the same player, and what it missed is replayed.

use super::{hydrated, minutes_seconds, ticking_clock, LinkNotice};
use crate::browser;
use crate::protocol::{ClaimView, ClientMsg, DrawView, ErrorCode, Field, PlayerView, ServerMsg};
use crate::ws_client::{self, LinkState, Socket};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Form,
    Joining,
    /// In the raffle; what it shows comes from the latest draw.
    In,
    Left,
    Removed,
}

/// The latest draw as this phone knows it.
#[derive(Debug, Clone, PartialEq)]
struct Latest {
    draw: u32,
    prize: Option<String>,
    winner: Option<PlayerView>,
    claim: ClaimView,
    /// When the claim runs out, by this phone's clock.
    claim_deadline: Option<f64>,
}

impl Latest {
    fn from_view(d: &DrawView) -> Self {
        let claim_deadline = d.claim_ms_left.map(|left| browser::now_ms() + left as f64);
        Latest {
            draw: d.draw,
            prize: d.prize.clone(),
            winner: d.winner.clone(),
            claim: d.claim,
            claim_deadline,
        }
    }
}

#[derive(Clone, Copy)]
struct Phone {
    code: RwSignal<Option<String>>,
    me: RwSignal<Option<PlayerView>>,
    last_seq: RwSignal<Option<u64>>,
    phase: RwSignal<Phase>,
    latest: RwSignal<Option<Latest>>,
    ended: RwSignal<bool>,
    code_error: RwSignal<Option<String>>,
    name_error: RwSignal<Option<String>>,
    page_error: RwSignal<Option<String>>,
    screen_kept_on: RwSignal<bool>,
    /// A prize this player won but did not claim in time, so it was drawn again.
    missed: RwSignal<Option<String>>,
}

impl Phone {
    fn token_key(&self) -> Option<String> {
        self.code.get_untracked().map(|code| browser::token_key("player", &code))
    }

    fn on_message(&self, msg: ServerMsg) {
        if let Some(seq) = msg.seq() {
            self.last_seq.set(Some(seq));
        }
        let mine = |id: u32| self.me.with_untracked(|me| me.as_ref().is_some_and(|me| me.id == id));
        match msg {
            ServerMsg::Joined { code, token, you, .. } => {
                browser::save(&browser::token_key("player", &code), &token);
                browser::replace_path(&format!("/join/{code}"));
                self.code.set(Some(code));
                self.entered(you);
            }
            ServerMsg::PlayerSnapshot { code, you, ended, draws, .. } => {
                self.code.set(Some(code));
                self.ended.set(ended);
                self.latest.set(draws.last().map(Latest::from_view));
                self.entered(you);
            }
            ServerMsg::DrawStarted { draw, prize, .. } => self.latest.set(Some(Latest {
                draw,
                prize,
                winner: None,
                claim: ClaimView::Spinning,
                claim_deadline: None,
            })),
            ServerMsg::WinnerDrawn { draw, prize, winner, claim_seconds, .. } => {
                let claim_deadline =
                    (claim_seconds > 0).then(|| browser::now_ms() + f64::from(claim_seconds) * 1_000.0);
                self.latest.set(Some(Latest {
                    draw,
                    prize,
                    winner: Some(winner),
                    claim: ClaimView::Open,
                    claim_deadline,
                }));
            }
            ServerMsg::DrawVoided { draw, .. } => self.set_claim(draw, ClaimView::Void),
            ServerMsg::PrizeClaimed { draw, .. } => self.set_claim(draw, ClaimView::Claimed),
            ServerMsg::WinnerSkipped { draw, player, .. } if mine(player) => {
                let prize = self
                    .latest
                    .with_untracked(|l| l.as_ref().filter(|l| l.draw == draw).and_then(|l| l.prize.clone()));
                self.missed.set(Some(prize.unwrap_or_else(|| "your prize".into())));
                self.set_claim(draw, ClaimView::Skipped)
            }
            ServerMsg::Removed { .. } => self.out(Phase::Removed),
            ServerMsg::Left { .. } => self.out(Phase::Left),
            ServerMsg::Ended { .. } => self.ended.set(true),
            ServerMsg::Error { code: ErrorCode::BadToken, message, .. } => self.start_over(message),
            // Back after the raffle closed (a day without activity): its place is gone too.
            ServerMsg::Error { code: ErrorCode::UnknownCode, message, .. }
                if self.phase.get_untracked() == Phase::In =>
            {
                self.start_over(message)
            }
            ServerMsg::Error { field, message, .. } => {
                if self.phase.get_untracked() == Phase::Joining {
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

    fn entered(&self, you: PlayerView) {
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
        self.phase.set(Phase::Form);
        self.page_error.set(Some(message));
    }

    fn out(&self, phase: Phase) {
        if let Some(key) = self.token_key() {
            browser::forget(&key);
        }
        self.phase.set(phase);
    }

    fn set_claim(&self, draw: u32, claim: ClaimView) {
        self.latest.update(|latest| {
            if let Some(latest) = latest.as_mut().filter(|l| l.draw == draw) {
                latest.claim = claim;
            }
        });
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
        latest: RwSignal::new(None),
        ended: RwSignal::new(false),
        code_error: RwSignal::new(None),
        name_error: RwSignal::new(None),
        page_error: RwSignal::new(None),
        screen_kept_on: RwSignal::new(true),
        missed: RwSignal::new(None),
    };
    let typed_code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let (link, set_link) = signal(LinkState::Connecting);
    let socket = StoredValue::new(None::<Socket>);
    let send = move |msg: ClientMsg| {
        socket.with_value(|s| {
            if let Some(s) = s {
                s.send(msg)
            }
        })
    };

    Effect::new(move |_| {
        // On every (re)connection: if this phone holds a token for the raffle, come back as that
        // player, saying what it saw last; otherwise wait for the form.
        let hello = move || {
            let code = phone.code.get_untracked()?;
            let token = browser::load(&browser::token_key("player", &code))?;
            phone.screen_kept_on.set(browser::keep_screen_on());
            Some(ClientMsg::Resume { code, token, last_seq: phone.last_seq.get_untracked() })
        };
        let on_link = move |state| {
            // A join in flight when the connection dropped may or may not have happened: give the
            // form back rather than wait for an answer that will not come.
            if state != LinkState::Open && phone.phase.get_untracked() == Phase::Joining {
                phone.phase.set(Phase::Form);
                phone.page_error.set(Some("The connection dropped while joining. Please try again.".into()));
            }
            set_link.set(state)
        };
        let s = ws_client::open(hello, move |msg| phone.on_message(msg), on_link);
        socket.set_value(Some(s));
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        phone.code_error.set(None);
        phone.name_error.set(None);
        phone.page_error.set(None);
        let code = phone.code.get_untracked().unwrap_or_else(|| typed_code.get_untracked());
        phone.phase.set(Phase::Joining);
        send(ClientMsg::Join { code, name: name.get_untracked() });
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
                    <Card class="lost" big="You were removed".into() text="The host removed you from this raffle.".into()/>
                }.into_any(),
                Phase::In => view! { <InRaffle phone send/> }.into_any(),
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
fn InRaffle(phone: Phone, send: impl Fn(ClientMsg) + Copy + Send + Sync + 'static) -> impl IntoView {
    let confirm_leave = RwSignal::new(false);
    let my_id = move || phone.me.with(|me| me.as_ref().map(|me| me.id));
    let my_name = move || phone.me.with(|me| me.as_ref().map(|me| me.name.clone()).unwrap_or_default());
    let now = ticking_clock();

    let status = move || {
        if phone.ended.get() {
            return view! { <Card class="lost" big="The raffle has ended".into() text="Thanks for playing!".into()/> }
                .into_any();
        }
        let Some(latest) = phone.latest.get() else {
            return view! {
                <div class="phone-card waiting" role="status">
                    <p class="phone-big">"You're in!"</p>
                    <p>{move || format!("Joined as {}. Keep this page open: the result shows here.", my_name())}</p>
                    {move || (!phone.screen_kept_on.get()).then(|| view! {
                        <p class="hint">"Keep your screen on until the draw, so you don't miss it."</p>
                    })}
                </div>
            }
            .into_any();
        };
        let prize = latest.prize.clone();
        let won = latest.winner.as_ref().map(|w| w.id) == my_id() && latest.winner.is_some();
        match latest.claim {
            ClaimView::Spinning => {
                let text = match &prize {
                    Some(prize) => format!("Now drawing: {prize}. Eyes on the big screen."),
                    None => "Eyes on the big screen.".into(),
                };
                view! { <Card class="drawing" big="Drawing…".into() text/> }.into_any()
            }
            ClaimView::Void => {
                view! { <Card class="lost" big="No winner".into() text="Nobody was left to win that draw.".into()/> }
                    .into_any()
            }
            ClaimView::Skipped if won => view! {
                <Card class="lost" big="You missed it".into()
                    text="The prize was drawn again because it was not claimed in time.".into()/>
            }
            .into_any(),
            _ if won => {
                let big = match &prize {
                    Some(prize) => format!("You won {prize}!"),
                    None => "You won!".into(),
                };
                let draw = latest.draw;
                let deadline = latest.claim_deadline;
                view! {
                    <div class="phone-card won" role="status">
                        <p class="phone-big">{big}</p>
                        <p>{move || format!("Congratulations, {}!", my_name())}</p>
                        {if latest.claim == ClaimView::Claimed {
                            view! { <p class="claimed">"Claimed: go and collect it."</p> }.into_any()
                        } else {
                            view! {
                                {deadline.map(|at| view! {
                                    <p class="countdown">{move || {
                                        let left = ((at - now.get()) / 1_000.0).ceil().max(0.0) as u64;
                                        format!("Claim within {}", minutes_seconds(left))
                                    }}</p>
                                })}
                                <button class="button claim-button" on:click=move |_| send(ClientMsg::Claim { draw })>
                                    "I'm here, claim it"
                                </button>
                            }.into_any()
                        }}
                    </div>
                }
                .into_any()
            }
            _ => {
                let winner = latest.winner.map(|w| w.name).unwrap_or_default();
                let text = match &prize {
                    Some(prize) => format!("{winner} won {prize}. Stay here for the next draw."),
                    None => format!("{winner} won. Stay here for the next draw."),
                };
                view! { <Card class="lost" big="Not this time".into() text/> }.into_any()
            }
        }
    };

    view! {
        {move || phone.page_error.get().map(|e| view! { <p class="banner-error" role="alert">{e}</p> })}
        {status}
        {move || phone.missed.get().map(|prize| view! {
            <p class="missed" role="status">
                {format!("You missed {prize}: it was drawn again because it was not claimed in time.")}
            </p>
        })}
        <div class="leave" class:hidden=move || phone.ended.get()>
            {move || if confirm_leave.get() {
                view! {
                    <p>"Leave the raffle? You cannot win after leaving."</p>
                    <div class="button-row">
                        <button class="button danger" on:click=move |_| send(ClientMsg::Leave {})>"Yes, leave"</button>
                        <button class="button" on:click=move |_| confirm_leave.set(false)>"Stay in"</button>
                    </div>
                }.into_any()
            } else {
                view! { <button class="link-button" on:click=move |_| confirm_leave.set(true)>"Leave raffle"</button> }.into_any()
            }}
        </div>
    }
}
