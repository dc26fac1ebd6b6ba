//! Walk-ins: the host types in the name of a person whose phone is dead (or who has none). They
//! are in like anyone who joined and can win; the stage announces them; the host claims for
//! them; the history and the export mark them "entered by the host".

use super::Host;
use crate::protocol::ClientMsg;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

#[component]
pub(super) fn WalkInForm(host: Host) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        host.clear_error(|e| &mut e.player);
        host.send(ClientMsg::AddWalkIn { name: name.get_untracked() });
        name.set(String::new());
    };
    view! {
        <form class="inline-form walk-in" on:submit=add>
            <label for="walk-in-name">"Add a walk-in (no phone)"</label>
            <input id="walk-in-name" bind:value=name maxlength="40" autocomplete="off"
                aria-describedby="player-error"/>
            <button class="button" type="submit"
                disabled=move || !host.ready.get() || host.board.with(|b| b.code.is_empty() || b.ended)>
                "Add walk-in"
            </button>
        </form>
    }
}
