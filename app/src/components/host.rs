//! The host's big screen: the join code, URL and QR code, the players as they arrive, and the
//! draw with its spinning names.

use super::{hydrated, LinkNotice};
use crate::protocol::{ClientMsg, PlayerView, ServerMsg};
use crate::ws_client::{self, LinkState, Socket};
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct RaffleInfo {
    code: String,
    join_url: String,
    qr_svg_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Waiting for the host to draw.
    Idle,
    /// Names spinning; the winner is not known to anyone yet.
    Spinning {
        draw: u32,
    },
    Revealed {
        draw: u32,
        winner: PlayerView,
    },
}

/// How many names the spinning reel shows; enough to blur, few enough to stay smooth.
const REEL_NAMES: usize = 24;

#[component]
pub fn HostPage() -> impl IntoView {
    let ready = hydrated();
    let raffle = RwSignal::new(None::<RaffleInfo>);
    let players = RwSignal::new(Vec::<PlayerView>::new());
    let total = RwSignal::new(0u32);
    let stage = RwSignal::new(Stage::Idle);
    let draw_error = RwSignal::new(None::<String>);
    let general_error = RwSignal::new(None::<String>);
    let (link, set_link) = signal(LinkState::Connecting);
    let socket = StoredValue::new(None::<Socket>);

    let on_message = move |msg: ServerMsg| match msg {
        ServerMsg::HostSnapshot { join_url, qr_svg_url, board, .. } => {
            raffle.set(Some(RaffleInfo { code: board.code, join_url, qr_svg_url }))
        }
        ServerMsg::PlayersJoined { players: new, total: count } => {
            players.update(|all| all.extend(new));
            total.set(count);
        }
        ServerMsg::DrawStarted { draw, .. } => {
            draw_error.set(None);
            stage.set(Stage::Spinning { draw });
        }
        ServerMsg::WinnerDrawn { draw, winner, .. } => stage.set(Stage::Revealed { draw, winner }),
        ServerMsg::Error { field: Some(crate::protocol::Field::Draw), message, .. } => {
            draw_error.set(Some(message))
        }
        ServerMsg::Error { message, .. } => general_error.set(Some(message)),
        _ => {}
    };
    Effect::new(move |_| {
        let s = ws_client::open(on_message, move |state| set_link.set(state));
        s.send(ClientMsg::StartRaffle {});
        socket.set_value(Some(s));
    });

    let draw = move |_| {
        draw_error.set(None);
        socket.with_value(|s| s.as_ref().map(|s| s.send(ClientMsg::Draw { draw: 0, prize: None })));
    };
    let spinning = move || matches!(stage.get(), Stage::Spinning { .. });
    let can_draw = move || ready.get() && raffle.with(Option::is_some) && !spinning();

    view! {
        <section class="host">
            <LinkNotice link/>
            {move || general_error.get().map(|e| view! { <p class="banner-error" role="alert">{e}</p> })}
            <aside class="join-panel" aria-label="How to join">
                {move || match raffle.get() {
                    None => view! { <p class="starting">"Starting a raffle…"</p> }.into_any(),
                    Some(info) => view! {
                        <p class="join-label">"Join at"</p>
                        <p class="join-url">{typed_join_url(&info)}</p>
                        <p class="join-label">"with the code"</p>
                        <p class="join-code" aria-label="Join code">{info.code.clone()}</p>
                        <img class="qr" src=info.qr_svg_url.clone()
                            alt=format!("QR code that opens {}", info.join_url)/>
                    }.into_any(),
                }}
            </aside>
            <section class="stage" aria-live="polite">
                {move || match stage.get() {
                    Stage::Idle => view! {
                        <p class="stage-idle">{move || if total.get() == 0 {
                            "Waiting for players…"
                        } else {
                            "Ready when you are."
                        }}</p>
                    }.into_any(),
                    Stage::Spinning { draw } => view! {
                        <p class="visually-hidden">{format!("Drawing winner number {draw}…")}</p>
                        <Reel names=players.with_untracked(|all| reel_names(all))/>
                    }.into_any(),
                    Stage::Revealed { draw, winner } => view! {
                        <p class="winner-label">{format!("Winner #{draw}")}</p>
                        <p class="winner-name">{winner.name}</p>
                    }.into_any(),
                }}
                <div class="draw-control">
                    <button class="button primary draw-button" on:click=draw
                        disabled=move || !can_draw() aria-describedby="draw-error">
                        {move || if spinning() { "Drawing…" } else { "Draw a winner" }}
                    </button>
                    <p id="draw-error" class="field-error" role="alert">{move || draw_error.get()}</p>
                </div>
            </section>
            <section class="players" aria-labelledby="players-heading">
                <h2 id="players-heading">
                    {move || match total.get() { 1 => "1 player".to_owned(), n => format!("{n} players") }}
                </h2>
                <ul class="player-list">
                    // Newest first; keyed so that a join adds one node instead of redrawing all.
                    <For each=move || players.get().into_iter().rev() key=|p| p.id let:player>
                        <li>{player.name}</li>
                    </For>
                </ul>
            </section>
        </section>
    }
}

/// The address a person types: no scheme, and no code (the code is shown on its own).
fn typed_join_url(info: &RaffleInfo) -> String {
    let url = info.join_url.trim_end_matches(&info.code).trim_end_matches('/');
    url.split_once("://").map_or(url, |(_, rest)| rest).to_owned()
}

/// The names the reel spins through: a spread sample, repeated once so the loop is seamless.
fn reel_names(players: &[PlayerView]) -> Vec<String> {
    let step = (players.len() / REEL_NAMES).max(1);
    let sample: Vec<String> = players.iter().step_by(step).take(REEL_NAMES).map(|p| p.name.clone()).collect();
    sample.iter().chain(sample.iter()).cloned().collect()
}

#[component]
fn Reel(names: Vec<String>) -> impl IntoView {
    // Slower reels for few names, so three players don't flicker.
    let seconds = (names.len() as f32 * 0.06).clamp(0.3, 1.4);
    view! {
        <div class="reel-window" aria-hidden="true">
            <ul class="reel" style=format!("animation-duration: {seconds}s")>
                {names.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
            </ul>
        </div>
    }
}
