//! Prizes still waiting for their winners, beside the stage: the stage shows only the latest
//! draw, so an earlier winner who has not claimed yet (or any, once the raffle has ended) is
//! listed here with the time left and, while the raffle runs, a redraw. And the players the
//! host removed, who can be let back in.

use super::Host;
use crate::components::{minutes_seconds, ticking_clock};
use crate::protocol::{ClaimView, ClientMsg};
use leptos::prelude::*;

#[component]
pub(super) fn OpenClaims(host: Host) -> impl IntoView {
    let now = ticking_clock();
    // While the raffle runs, the stage shows the latest draw itself.
    let waiting = move || {
        host.board.with(|b| {
            let stage_shows = if b.ended { None } else { b.draws.last().map(|d| d.draw) };
            b.draws
                .iter()
                .filter(|d| d.claim == ClaimView::Open && Some(d.draw) != stage_shows)
                .map(|d| {
                    let winner = d.winner.clone();
                    (
                        d.draw,
                        d.prize.clone(),
                        winner.as_ref().map(|w| w.id),
                        winner.map(|w| w.name).unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let ended = move || host.board.with(|b| b.ended);
    view! {
        <Show when=move || !waiting().is_empty()>
            <section class="panel open-claims" aria-labelledby="open-claims-heading">
                <h2 id="open-claims-heading">"Waiting for claims"</h2>
                <ul>
                    {move || waiting().into_iter().map(|(draw, prize, winner_id, winner)| {
                        let label = match &prize {
                            Some(prize) => format!("#{draw} {prize}: {winner}"),
                            None => format!("#{draw}: {winner}"),
                        };
                        let left = move || host.seconds_left(draw, now.get());
                        view! {
                            <li>
                                <span>{label}</span>
                                <span class="claim open">{move || match (left(), ended()) {
                                    (Some(0), _) => "did not claim in time".to_owned(),
                                    (Some(s), true) => format!("may still claim for {}", minutes_seconds(s)),
                                    (Some(s), false) => format!("waiting… {}", minutes_seconds(s)),
                                    (None, _) => "waiting…".to_owned(),
                                }}</span>
                                // A walk-in has no phone: they claim at the host.
                                {host.is_walk_in(winner_id).then(|| view! {
                                    <button class="button primary" on:click=move |_| host.send(ClientMsg::Claim { draw })>
                                        {format!("Claim for {}", winner.clone())}
                                    </button>
                                })}
                                {(!ended()).then(|| view! {
                                    <button class="button" on:click=move |_| host.send(ClientMsg::Redraw { draw })>
                                        {format!("Redraw: {winner} is not here")}
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

/// Players the host removed, each with a way back in (removed by mistake, or sorted out).
#[component]
pub(super) fn Removed(host: Host) -> impl IntoView {
    let removed = move || host.board.with(|b| b.removed.clone());
    view! {
        <Show when=move || !removed().is_empty()>
            <h3>"Removed"</h3>
            <ul class="player-list removed">
                {move || removed().into_iter().map(|p| view! {
                    <li>
                        <span>{p.name.clone()}</span>
                        <button class="link-button" aria-label=format!("Let {} back in", p.name)
                            disabled=move || !host.ready.get() || host.board.with(|b| b.ended)
                            on:click=move |_| host.send(ClientMsg::ReadmitPlayer { player: p.id })>
                            "Let back in"
                        </button>
                    </li>
                }).collect_view()}
            </ul>
        </Show>
    }
}
