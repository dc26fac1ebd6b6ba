//! The middle of the controls: the draw button, the spinning names, the winner, and whether
//! the winner has claimed. (The projector's show is `components::stage`.)

use super::Host;
use crate::components::{minutes_seconds, ticking_clock};
use crate::protocol::{ClaimView, ClientMsg, DrawView, PlayerView, VoidView};
use crate::ws_client::LinkState;
use leptos::prelude::*;

/// How many names the spinning reel shows; enough to blur, few enough to stay smooth.
const REEL_NAMES: usize = 24;

#[component]
pub(super) fn DrawPanel(host: Host) -> impl IntoView {
    let current = move || host.board.with(|b| b.draws.last().cloned());
    let next_prize =
        move || host.board.with(|b| b.prizes.iter().find(|p| !p.drawn).map(|p| (p.id, p.name.clone())));
    let spinning = move || current().is_some_and(|d| d.claim == ClaimView::Spinning);
    let can_draw = move || {
        host.ready.get()
            && host.link.get() == LinkState::Open
            && host.board.with(|b| !b.code.is_empty() && !b.ended)
            && !spinning()
    };
    let draw = move |_| {
        host.clear_error(|e| &mut e.draw);
        let draw = host.board.with_untracked(|b| b.next_draw);
        host.send(ClientMsg::Draw { draw, prize: next_prize().map(|(id, _)| id) });
    };
    let redraw = move |draw: u32| host.send(ClientMsg::Redraw { draw });
    let now = ticking_clock();
    let seconds_left = move |draw: u32| host.seconds_left(draw, now.get());

    view! {
        <section class="stage" aria-live="polite">
            {move || match current() {
                // Over is over: no claim to wait for and nothing to redraw.
                _ if host.board.with(|b| b.ended) => view! {
                    <p class="stage-idle">"The raffle has ended. Thank you, everyone!"</p>
                }.into_any(),
                None => view! {
                    <p class="stage-idle">{move || if host.total.get() == 0 { "Waiting for players…" } else { "Ready when you are." }}</p>
                }.into_any(),
                Some(d) if d.claim == ClaimView::Spinning => view! {
                    <p class="visually-hidden">{format!("Drawing winner number {}…", d.draw)}</p>
                    {d.prize.clone().map(|p| view! { <p class="winner-label">{p}</p> })}
                    <Reel names=host.players.with_untracked(|all| reel_names(all))/>
                }.into_any(),
                Some(d) if d.claim == ClaimView::Void => view! {
                    <p class="stage-idle">{if d.void_reason == Some(VoidView::BeaconLate) {
                        "The public randomness (drand) did not come in time: nobody won that draw. Draw again, or turn the beacon off if there is no internet."
                    } else {
                        "Nobody was left to win that draw."
                    }}</p>
                }.into_any(),
                Some(d) => {
                    let walk_in = host.is_walk_in(d.winner.as_ref().map(|w| w.id));
                    let claim_for = move |draw: u32| host.send(ClientMsg::Claim { draw });
                    view! { <Revealed d=d seconds_left redraw walk_in claim_for/> }.into_any()
                }
            }}
            <div class="draw-control">
                <button class="button primary draw-button" on:click=draw disabled=move || !can_draw()
                    aria-describedby="draw-error">
                    {move || match (spinning(), next_prize()) {
                        (true, _) => "Drawing…".to_owned(),
                        (false, Some((_, prize))) => format!("Draw a winner for {prize}"),
                        (false, None) => "Draw a winner".to_owned(),
                    }}
                </button>
                <p id="draw-error" class="field-error" role="alert">{move || host.errors.draw.get()}</p>
            </div>
        </section>
    }
}

#[component]
fn Revealed(
    d: DrawView,
    seconds_left: impl Fn(u32) -> Option<u64> + Copy + Send + Sync + 'static,
    redraw: impl Fn(u32) + Copy + Send + Sync + 'static,
    /// The winner was entered by the host: they have no phone, so the host claims for them.
    walk_in: bool,
    claim_for: impl Fn(u32) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let winner = d.winner.clone().map(|w| w.name).unwrap_or_default();
    let label = match &d.prize {
        Some(prize) => format!("Winner #{} · {prize}", d.draw),
        None => format!("Winner #{}", d.draw),
    };
    let number = d.draw;
    let status = match d.claim {
        ClaimView::Claimed => {
            view! { <p class="claim claimed">{format!("{winner} claimed it")}</p> }.into_any()
        }
        ClaimView::Skipped => view! { <p class="claim skipped">"Skipped: drawn again"</p> }.into_any(),
        _ => {
            let waiting = winner.clone();
            view! {
                <p class="claim open">
                    {move || match seconds_left(number) {
                        Some(0) => format!("{waiting} did not claim in time"),
                        Some(s) => format!("Waiting for {waiting} to claim… {}", minutes_seconds(s)),
                        None => format!("Waiting for {waiting} to claim…"),
                    }}
                </p>
                {walk_in.then(|| view! {
                    <button class="button primary" on:click=move |_| claim_for(number)>
                        {format!("Claim for {}", winner.clone())}
                    </button>
                })}
                <button class="button" class:urgent=move || seconds_left(number) == Some(0)
                    on:click=move |_| redraw(number)>
                    {format!("Redraw: {winner} is not here")}
                </button>
            }
            .into_any()
        }
    };
    view! {
        <p class="winner-label">{label}</p>
        <p class="winner-name">{d.winner.map(|w| w.name)}</p>
        {status}
    }
}

/// The names the reel spins through: a spread sample, repeated once so the loop is seamless.
pub(crate) fn reel_names(players: &[PlayerView]) -> Vec<String> {
    let step = (players.len() / REEL_NAMES).max(1);
    let sample: Vec<String> = players.iter().step_by(step).take(REEL_NAMES).map(|p| p.name.clone()).collect();
    sample.iter().chain(sample.iter()).cloned().collect()
}

#[component]
pub(crate) fn Reel(names: Vec<String>) -> impl IntoView {
    // Slower reels for few names, so three players don't flicker. A class, not a style
    // attribute: the Content-Security-Policy allows no inline styles.
    let speed = if names.len() < 16 { "reel slow" } else { "reel" };
    view! {
        <div class="reel-window" aria-hidden="true">
            <ul class=speed>
                {names.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
            </ul>
        </div>
    }
}
