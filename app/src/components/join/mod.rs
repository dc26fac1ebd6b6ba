//! The phone's screen: join with a code and a name, wait, and learn at the reveal whether it
//! won. It keeps its place: the player token in localStorage brings a reloaded or reconnected
//! page back as the same player, and what it missed is replayed. What the phone knows is
//! [`state::PhoneState`], plain data that applies server messages and actions and returns
//! effects; this page renders it and performs the effects in one place, [`perform`]. Every
//! prize it won stays on screen until claimed ([`results::Results`]).

mod results;
mod state;

use super::{countdown, hydrated, minutes_seconds, ticking_clock, LinkNotice};
use crate::browser;
use crate::protocol::{ClaimView, ServerMsg};
use crate::ws_client::ScreenSocket;
use leptos::either::{Either, EitherOf3, EitherOf4, EitherOf6};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use results::Win;
use state::{Effect, Phase, PhoneState, Status};

/// How long a phone buzzes when it wins.
const WIN_BUZZ_MS: u32 = 400;

/// The phone's state and its socket: what every part of the page reads and acts through.
#[derive(Clone, Copy)]
struct Phone {
    state: RwSignal<PhoneState>,
    socket: ScreenSocket,
}

impl Phone {
    /// Runs an action or a message on the state, then performs the effects it returns.
    fn act(self, change: impl FnOnce(&mut PhoneState) -> Vec<Effect>) {
        let effects = self.state.try_update(change).unwrap_or_default();
        perform(effects, self);
    }

    /// One part of the state, as a memo: the page re-renders a part only when it changes.
    fn watch<T>(self, part: impl Fn(&PhoneState) -> T + Send + Sync + 'static) -> Memo<T>
    where
        T: PartialEq + Send + Sync + 'static,
    {
        Memo::new(move |_| self.state.with(&part))
    }
}

/// Performs what the phone's messages and actions ask for: the one place its effects touch the
/// socket, the timers and the browser.
fn perform(effects: Vec<Effect>, phone: Phone) {
    let player_key = |code: &str| browser::token_key("player", code);
    for effect in effects {
        match effect {
            Effect::Send(msg) => phone.socket.send(msg),
            Effect::Reconnect => phone.socket.reconnect(),
            Effect::RetryJoinIn { attempt, after_ms } => set_timeout(
                move || phone.act(|p| p.join_timed_out(attempt)),
                std::time::Duration::from_millis(after_ms),
            ),
            Effect::SaveToken { code, token } => browser::save(&player_key(&code), &token),
            Effect::ForgetToken { code } => browser::forget(&player_key(&code)),
            Effect::SaveJoinId { code, join_id } => {
                browser::save(&browser::token_key("join", &code), &join_id)
            }
            Effect::ReplacePath(path) => browser::replace_path(&path),
            Effect::KeepScreenOn => {
                let held = browser::keep_screen_on();
                phone.state.update(|p| p.screen_kept_on(held));
            }
            Effect::Vibrate => browser::vibrate(WIN_BUZZ_MS),
        }
    }
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    // From the QR code (/join/<code>): the code is known, only the name is asked.
    let code_in_url = params.read_untracked().get("code").filter(|c| !c.trim().is_empty());
    let code_known = code_in_url.is_some();
    let ready = hydrated();
    let socket = ScreenSocket::new();
    let link = socket.link();
    let phone = Phone { state: RwSignal::new(PhoneState::new(code_in_url)), socket };
    // What was typed outlives the form: after "Join again" it is still there.
    let typed = Typed { code: RwSignal::new(String::new()), name: RwSignal::new(String::new()) };

    // On every (re)connection: the state says what to say, given the token this phone holds.
    let hello = move || {
        let code = phone.state.with_untracked(|p| p.code.clone());
        let saved = code.and_then(|code| browser::load(&browser::token_key("player", &code)));
        let (hello, effects) = phone.state.with_untracked(|p| p.hello(saved));
        perform(effects, phone);
        hello
    };
    // Only the messages a phone is sent: the host screens' decoding stays in their chunks.
    socket
        .open(ServerMsg::decode_for_phone, hello, move |msg| phone.act(|p| p.apply(&msg, browser::now_ms())));

    // The form and the joining that follows are one screen: typing is not interrupted.
    let screen = phone.watch(|p| match p.phase {
        Phase::Form | Phase::Joining => Phase::Form,
        phase => phase,
    });
    view! {
        <section class="phone">
            <LinkNotice link/>
            {move || match screen.get() {
                Phase::Form | Phase::Joining => EitherOf4::A(view! { <JoinForm phone typed code_known ready/> }),
                Phase::Left => EitherOf4::B(view! {
                    <Card class="lost" big="You left the raffle".into() text="Thanks for playing.".into()/>
                }),
                Phase::Removed => EitherOf4::C(view! {
                    <div class="phone-card lost" role="status">
                        <p class="phone-big">"You were removed"</p>
                        <p>"The host removed you from this raffle. If that was a mistake, ask the host to let you back in, then join again."</p>
                        <button class="button" on:click=move |_| phone.state.update(PhoneState::join_again)>"Join again"</button>
                    </div>
                }),
                Phase::In => EitherOf4::D(view! { <InRaffle phone/> }),
            }}
        </section>
    }
}

/// The form's inputs.
#[derive(Clone, Copy)]
struct Typed {
    code: RwSignal<String>,
    name: RwSignal<String>,
}

#[component]
fn JoinForm(phone: Phone, typed: Typed, code_known: bool, ready: ReadSignal<bool>) -> impl IntoView {
    let Typed { code: typed_code, name } = typed;
    let code = phone.watch(|p| p.code.clone());
    let code_error = phone.watch(|p| p.code_error.clone());
    let name_error = phone.watch(|p| p.name_error.clone());
    let page_error = phone.watch(|p| p.page_error.clone());
    let joining = phone.watch(|p| p.phase == Phase::Joining);
    // Signals rather than `move ||` closures in the view where they can be: a closure is a type
    // of its own, and each costs its own copy of the rendering and hydration code (about 2 KiB
    // of wasm); signals of one type share theirs.
    let code_invalid = phone.watch(|p| if p.code_error.is_some() { "true" } else { "false" });
    let name_invalid = phone.watch(|p| if p.name_error.is_some() { "true" } else { "false" });
    let join_label = phone.watch(|p| if p.phase == Phase::Joining { "Joining…" } else { "Join" });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (typed, name) = (typed_code.get_untracked(), name.get_untracked());
        let saved_join_id = |code: &str| browser::load(&browser::token_key("join", code));
        phone.act(|p| p.submit(&typed, &name, saved_join_id, browser::random_id));
    };
    view! {
        <form class="join-form" on:submit=submit novalidate>
            <h1>"Join the raffle"</h1>
            {if code_known {
                Either::Left(view! {
                    <p class="join-code-known">"Code "<strong>{code}</strong></p>
                    <p class="field-error" role="alert">{code_error}</p>
                })
            } else {
                Either::Right(view! {
                    <label for="code">"Join code"</label>
                    <input id="code" name="code" bind:value=typed_code autocomplete="off" autocapitalize="characters"
                        spellcheck="false" placeholder="e.g. K7QX2M" aria-describedby="code-error"
                        aria-invalid=code_invalid/>
                    <p id="code-error" class="field-error" role="alert">{code_error}</p>
                })
            }}
            <label for="name">"Your name"</label>
            <input id="name" name="name" bind:value=name autocomplete="nickname" maxlength="60"
                placeholder="As the room knows you" aria-describedby="name-error"
                aria-invalid=name_invalid/>
            <p id="name-error" class="field-error" role="alert">{name_error}</p>
            <button class="button primary" type="submit" disabled=move || !ready.get() || joining.get()>
                {join_label}
            </button>
            {alert("field-error", page_error)}
        </form>
    }
}

/// The error, if any, as an alert. One function, so both places that show one share a single
/// copy of its rendering code (a closure written in each view would be two).
fn alert(class: &'static str, error: Memo<Option<String>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p class=class role="alert">{e}</p> })
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
    let my_name = phone.watch(|p| p.me.as_ref().map(|me| me.name.clone()).unwrap_or_default());
    let status = phone.watch(PhoneState::status);
    let screen_kept_on = phone.watch(|p| p.screen_kept_on);
    let code = phone.watch(|p| p.code.clone());
    // Every prize this phone won, newest first: each stays until claimed, drawn again or expired.
    let wins = phone.watch(|p| p.results.wins.iter().rev().cloned().collect::<Vec<_>>());
    let missed = phone.watch(|p| p.results.missed.clone());
    let fingerprint = phone.watch(|p| p.fingerprint.clone());
    let page_error = phone.watch(|p| p.page_error.clone());
    let ended = phone.watch(|p| p.results.ended);

    // What the big screen shows now, unless it is this phone's own win (that shows as a win).
    let status_view = move || {
        match status.get() {
            Status::Ended => {
                // Anyone may check that every draw was fair, on the same server (docs/fairness.md).
                let verify = code.get().map(|code| format!("/verify/{code}"));
                Some(EitherOf6::A(view! {
                    <Card class="lost" big="The raffle has ended".into() text="Thanks for playing!".into()/>
                    {verify.map(|href| view! { <p class="verify-link"><a href=href>"Check every draw"</a></p> })}
                }))
            }
            Status::Waiting => Some(EitherOf6::B(view! {
                <div class="phone-card waiting" role="status">
                    <p class="phone-big">"You're in!"</p>
                    <p>{move || format!("Joined as {}. Keep this page open: the result shows here.", my_name.get())}</p>
                    {move || (!screen_kept_on.get()).then(|| view! {
                        <p class="hint">"Keep your screen on until the draw, so you don't miss it."</p>
                    })}
                </div>
            })),
            Status::Drawing { prize } => {
                let text = match &prize {
                    Some(prize) => format!("Now drawing: {prize}. Eyes on the big screen."),
                    None => "Eyes on the big screen.".into(),
                };
                Some(EitherOf6::C(view! { <Card class="drawing" big="Drawing…".into() text/> }))
            }
            Status::NoWinner => Some(EitherOf6::D(
                view! { <Card class="lost" big="No winner".into() text="Nobody won that draw: the host will draw again.".into()/> },
            )),
            Status::Missed => Some(EitherOf6::E(view! {
                <Card class="lost" big="You missed it".into()
                    text="The prize was drawn again because it was not claimed in time.".into()/>
            })),
            Status::Won => None,
            Status::NotThisTime { winner, prize } => {
                let text = match &prize {
                    Some(prize) => format!("{winner} won {prize}. Stay here for the next draw."),
                    None => format!("{winner} won. Stay here for the next draw."),
                };
                Some(EitherOf6::F(view! { <Card class="lost" big="Not this time".into() text/> }))
            }
        }
    };

    let win_cards = move || {
        wins.get().into_iter().map(|win| view! { <WinCard win phone my_name=my_name.get()/> }).collect_view()
    };

    view! {
        {alert("banner-error", page_error)}
        // A prize to claim comes first: it is what this phone must act on.
        {win_cards}
        {status_view}
        {move || missed.get().into_iter().map(|prize| view! {
            <p class="missed" role="status">
                {format!("You missed {prize}: it was drawn again because it was not claimed in time.")}
            </p>
        }).collect_view()}
        {move || fingerprint.get().map(|fp| view! {
            <p class="fingerprint">"Raffle fingerprint "<strong>{fp}</strong>" (the big screen shows the same)"</p>
        })}
        <div class="leave" class:hidden=ended>
            {move || if confirm_leave.get() {
                Either::Left(view! {
                    <p>"Leave the raffle? You cannot win after leaving."</p>
                    <div class="button-row">
                        <button class="button danger" on:click=move |_| phone.act(|p| p.leave())>"Yes, leave"</button>
                        <button class="button" on:click=move |_| confirm_leave.set(false)>"Stay in"</button>
                    </div>
                })
            } else {
                Either::Right(view! { <button class="link-button" on:click=move |_| confirm_leave.set(true)>"Leave raffle"</button> })
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
        ClaimView::Claimed => EitherOf3::A(view! { <p class="claimed">"Claimed: go and collect it."</p> }),
        ClaimView::Expired => {
            EitherOf3::B(view! { <p>"Not claimed: the raffle ended before you claimed it."</p> })
        }
        _ => EitherOf3::C(view! {
            {win.deadline.map(|at| view! {
                <p class="countdown">{move || {
                    let left = countdown::seconds_left(at, now.get());
                    format!("Claim within {}", minutes_seconds(left))
                }}</p>
            })}
            <button class="button claim-button" on:click=move |_| phone.act(|p| p.claim(draw))>
                "I'm here, claim it"
            </button>
        }),
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
