//! The stage: what the projector shows, and nothing else. How to join (address, code, QR code:
//! large until the first draw, small after), how many are in, a wall of the newest names, the
//! prize, the names spinning until the server reveals, the winner with confetti (a fade under
//! `prefers-reduced-motion`), the claim, the evening's winners and the fingerprint.
//!
//! It runs at `/host/<CODE>/stage` in another window of the host's browser, as a second host
//! connection to the same raffle: it finds the host token in localStorage, as the controls do,
//! so no URL ever carries it. Keys: Space draws the next prize, F toggles full screen, Esc
//! leaves it. A chime at each reveal, if the person turned the sound on (off by default; the
//! choice is kept in localStorage). The state is plain data ([`state`]); this page renders it
//! and performs the effects its messages and keys ask for, in [`perform`].

pub mod state;

use super::host::{host_resume, reel_names, typed_join_url, Reel, CANNOT_HOST};
use super::{minutes_seconds, ticking_clock, LinkNotice};
use crate::browser;
use crate::protocol::{ClaimView, ServerMsg};
use crate::ws_client::{LinkState, ScreenSocket};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use state::{Scene, StageState};

/// Confetti pieces; the stylesheet places and colours each by its position.
const CONFETTI: usize = 36;

/// Where this computer keeps the stage's sound setting: "on", or nothing.
const SOUND_KEY: &str = "raffler.stage.sound";

/// Performs what the stage's messages and keys ask for: the one place its effects touch the
/// socket and the browser.
fn perform(effects: Vec<state::Effect>, socket: ScreenSocket) {
    for effect in effects {
        match effect {
            state::Effect::Send(msg) => socket.send(msg),
            state::Effect::ToggleFullScreen => browser::toggle_full_screen(),
            state::Effect::LeaveFullScreen => browser::leave_full_screen(),
            state::Effect::PlaySound => browser::play_reveal_sound(),
            state::Effect::RememberSound(true) => browser::save(SOUND_KEY, "on"),
            state::Effect::RememberSound(false) => browser::forget(SOUND_KEY),
        }
    }
}

#[component]
pub fn StagePage() -> impl IntoView {
    let code = use_params_map().read_untracked().get("code").unwrap_or_default();
    let socket = ScreenSocket::new();
    let link = socket.link();
    let stage = RwSignal::new(StageState::default());

    let hello = move || {
        let resume = host_resume(&code);
        if resume.is_none() {
            stage.update(|s| s.gone = true);
        }
        resume
    };
    let on_message = move |msg| {
        let effects = stage.try_update(|s| s.apply(&msg, browser::now_ms())).unwrap_or_default();
        perform(effects, socket);
    };
    socket.open(ServerMsg::decode, hello, on_message);

    Effect::new(move |_| {
        // Read in the browser only, after hydration: the server renders "Sound: off".
        if browser::load(SOUND_KEY).is_some() {
            stage.update(|s| s.sound = true);
        }
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.repeat() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let open = link.get_untracked() == LinkState::Open;
            let effects = stage.try_update(|s| s.key(&ev.key(), open)).unwrap_or_default();
            if !effects.is_empty() {
                // Space would also scroll the page or press the focused button.
                ev.prevent_default();
            }
            perform(effects, socket);
        });
        on_cleanup(move || keys.remove());
    });

    let full_screen = move |_| perform(vec![state::Effect::ToggleFullScreen], socket);
    let toggle_sound = move |_| {
        let effects = stage.try_update(StageState::toggle_sound).unwrap_or_default();
        perform(effects, socket);
    };
    view! {
        <Title text="Raffler · Stage"/>
        <section class="show" aria-label="Stage">
            <LinkNotice link/>
            {move || stage.with(|s| s.gone).then(|| view! {
                <p class="banner-error" role="alert">{CANNOT_HOST}" "<a href="/">"Home"</a></p>
            })}
            <Show when=move || !stage.with(|s| s.gone)>
                <TheShow stage/>
            </Show>
            <footer class="show-keys">
                <p>"Space: draw the next prize · F: full screen · Esc: leave it"</p>
                <div class="show-buttons">
                    // Not in full screen: the show is all the hall sees (style/main.css).
                    <button class="button show-sound" on:click=toggle_sound>
                        {move || if stage.with(|s| s.sound) { "Sound: on" } else { "Sound: off" }}
                    </button>
                    <button class="button" on:click=full_screen>"Full screen"</button>
                </div>
            </footer>
        </section>
    }
}

/// The show itself. Its own component (and an erased view type) keeps the page's view type
/// within the compiler's limits.
#[component]
fn TheShow(stage: RwSignal<StageState>) -> impl IntoView {
    let scene = Memo::new(move |_| stage.with(|s| s.scene()));
    let qr_large = Memo::new(move |_| stage.with(|s| s.qr_large()));
    view! {
        <header class="show-join" class:large=qr_large>
            <div class="show-join-text">
                <p class="join-label">"Join at"</p>
                <p class="show-url">{move || stage.with(|s| typed_join_url(&s.join_url))}</p>
                <p class="join-label">"with the code"</p>
                <p class="show-code">{move || stage.with(|s| s.board.code.clone())}</p>
                <p class="show-count">{move || stage.with(|s| {
                    let joined = if s.total == 1 { "1 joined".to_owned() } else { format!("{} joined", s.total) };
                    format!("{joined} · {} connected now", s.connected)
                })}</p>
            </div>
            <img class="show-qr" src=move || stage.with(|s| s.qr_svg_url.clone())
                alt=move || stage.with(|s| format!("QR code that opens {}", s.join_url))/>
        </header>
        <div class="show-main" aria-live="polite">
            {move || scene_view(scene.get(), stage)}
            // Why the last Space drew nothing (nobody joined, nobody left to win), whatever shows.
            <p class="show-notice">{move || stage.with(|s| s.notice.clone())}</p>
        </div>
        <aside class="show-side" aria-label="Prizes and winners">
            <PrizeCard stage scene/>
            <Winners stage/>
            {move || stage.with(|s| s.board.fingerprint.clone()).map(|fp| view! {
                <p class="fingerprint">"Fingerprint "<strong>{fp}</strong></p>
            })}
            <p class="show-fairness">{move || stage.with(|s| s.fairness_line())}</p>
        </aside>
        <ul class="name-wall" aria-label="Players, newest first">
            <For each=move || stage.with(|s| s.wall().cloned().collect::<Vec<_>>()) key=|p| p.id let:player>
                <li>{player.name}</li>
            </For>
        </ul>
    }
    .into_any()
}

fn scene_view(scene: Scene, stage: RwSignal<StageState>) -> AnyView {
    match scene {
        Scene::Starting => view! { <p class="show-idle">"Connecting to the raffle…"</p> }.into_any(),
        Scene::Waiting => view! { <p class="show-idle">"Scan the code to join!"</p> }.into_any(),
        Scene::Ready => view! {
            <p class="show-idle">"Ready when you are."</p>
        }
        .into_any(),
        Scene::Spinning { draw, prize } => view! {
            <p class="visually-hidden">{format!("Drawing winner number {draw}…")}</p>
            <p class="show-prize-label">{prize.unwrap_or_else(|| format!("Winner #{draw}"))}</p>
            <Reel names=stage.with_untracked(|s| reel_names(&s.reel_players()))/>
            <p class="show-drawing" aria-hidden="true">"Drawing…"</p>
        }
        .into_any(),
        Scene::Revealed { draw, prize, winner, claim, walk_in } => view! {
            <Revealed draw prize winner claim walk_in stage/>
        }
        .into_any(),
        Scene::Void { beacon_late: false } => {
            view! { <p class="show-idle">"Nobody was left to win that draw."</p> }.into_any()
        }
        Scene::Void { beacon_late: true } => view! {
            <p class="show-idle">"The public randomness did not come in time: nobody won that draw. Draw again."</p>
        }
        .into_any(),
        Scene::Ended => view! {
            <p class="show-idle">"The raffle has ended. Thank you, everyone!"</p>
            {stage.with_untracked(|s| s.verify_url()).map(|url| view! {
                <p class="show-verify">"Check every draw at "<strong>{url}</strong></p>
            })}
        }
        .into_any(),
    }
}

#[component]
fn Revealed(
    draw: u32,
    prize: Option<String>,
    winner: String,
    claim: ClaimView,
    walk_in: bool,
    stage: RwSignal<StageState>,
) -> impl IntoView {
    let now = ticking_clock();
    let celebrate = move || stage.with(|s| s.celebrate == Some(draw));
    let label = match &prize {
        Some(prize) => format!("Winner #{draw} · {prize}"),
        None => format!("Winner #{draw}"),
    };
    let name = winner.clone();
    // A walk-in has no phone to claim with: they come to the host.
    let how = if walk_in { "Come to the host to claim it!" } else { "Claim it on your phone!" };
    let status = move || match claim {
        ClaimView::Claimed => format!("{name} claimed it!"),
        ClaimView::Skipped => "Drawn again".to_owned(),
        ClaimView::Expired => "Not claimed".to_owned(),
        _ => match stage.with(|s| s.seconds_left(draw, now.get())) {
            Some(0) => format!("{name} did not claim in time"),
            Some(left) => format!("{how} {}", minutes_seconds(left)),
            None => how.to_owned(),
        },
    };
    view! {
        {move || celebrate().then(|| view! {
            <div class="confetti" aria-hidden="true">
                {(0..CONFETTI).map(|_| view! { <i></i> }).collect_view()}
            </div>
        })}
        <p class="show-prize-label">{label}</p>
        <p class="show-winner">{winner}</p>
        {walk_in.then(|| view! { <p class="show-walk-in">"Entered by the host"</p> })}
        <p class="show-claim" class:claimed=claim == ClaimView::Claimed>{status}</p>
    }
}

/// The prize at stake: the one spinning or just won, else the next one Space draws.
#[component]
fn PrizeCard(stage: RwSignal<StageState>, scene: Memo<Scene>) -> impl IntoView {
    let card = move || match scene.get() {
        Scene::Spinning { prize: Some(p), .. } => Some(("Now drawing", p)),
        _ => stage.with(|s| s.next_prize()).map(|p| ("Next prize", p)),
    };
    view! {
        {move || card().map(|(label, prize)| view! {
            <div class="prize-card">
                <p class="join-label">{label}</p>
                <p class="prize-card-name">{prize}</p>
            </div>
        })}
    }
}

#[component]
fn Winners(stage: RwSignal<StageState>) -> impl IntoView {
    let winners = Memo::new(move |_| stage.with(|s| s.winners()));
    view! {
        <Show when=move || winners.with(|w| !w.is_empty())>
            <h2 class="show-winners-heading">"Tonight's winners"</h2>
            <ol class="show-winners">
                {move || winners.get().into_iter().map(|w| view! {
                    <li class:claimed=w.claim == ClaimView::Claimed>
                        <span class="show-winners-name">{w.name}</span>
                        {w.prize.map(|p| view! { <span class="show-winners-prize">{p}</span> })}
                    </li>
                }).collect_view()}
            </ol>
        </Show>
    }
}
