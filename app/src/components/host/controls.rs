//! The host's settings and controls: joining, repeat winners, the claim countdown, ending.

use super::Host;
use crate::protocol::ClientMsg;
use leptos::prelude::*;

#[component]
pub(super) fn Controls(host: Host) -> impl IntoView {
    let board = host.board;
    let confirm_end = RwSignal::new(false);
    let live = move || host.ready.get() && board.with(|b| !b.code.is_empty() && !b.ended);
    view! {
        <section class="panel controls" aria-labelledby="controls-heading">
            <h2 id="controls-heading">"Settings"</h2>
            <button class="button" disabled=move || !live()
                on:click=move |_| host.send(ClientMsg::SetJoining { open: !board.with_untracked(|b| b.joining_open) })>
                {move || if board.with(|b| b.joining_open) { "Close joining" } else { "Reopen joining" }}
            </button>
            <label class="check">
                <input type="checkbox" prop:checked=move || board.with(|b| b.repeat_winners) disabled=move || !live()
                    on:change=move |ev| host.send(ClientMsg::SetRepeatWinners { allowed: event_target_checked(&ev) })/>
                "Allow repeat winners"
            </label>
            // Off for a venue with no internet: the draws then say "seed only" (docs/fairness.md).
            <label class="check">
                <input type="checkbox" prop:checked=move || board.with(|b| b.beacon_on) disabled=move || !live()
                    on:change=move |ev| host.send(ClientMsg::SetBeacon { on: event_target_checked(&ev) })/>
                "Draws wait for public randomness (the drand beacon; needs internet)"
            </label>
            <p class="verify-link">
                <a href=move || board.with(|b| format!("/verify/{}", b.code)) target="_blank">
                    "Check every draw (anyone can, after the end)"
                </a>
            </p>
            <label for="claim-seconds">"Claim countdown (seconds, 0 for none)"</label>
            <input id="claim-seconds" type="number" min="0" max="3600" inputmode="numeric"
                prop:value=move || board.with(|b| b.claim_seconds.to_string()) disabled=move || !live()
                on:change=move |ev| {
                    let seconds = event_target_value(&ev).trim().parse().unwrap_or(0u32).min(3_600);
                    host.send(ClientMsg::SetClaimSeconds { seconds });
                }/>
            {move || if board.with(|b| b.ended) {
                view! { <p class="ended">"This raffle has ended."</p> }.into_any()
            } else if confirm_end.get() {
                view! {
                    <p>"End the raffle for everyone?"</p>
                    <div class="button-row">
                        <button class="button danger" on:click=move |_| host.send(ClientMsg::EndRaffle {})>"Yes, end the raffle"</button>
                        <button class="button" on:click=move |_| confirm_end.set(false)>"Keep it going"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <button class="button" disabled=move || !live() on:click=move |_| confirm_end.set(true)>"End raffle"</button>
                }.into_any()
            }}
        </section>
    }
}
