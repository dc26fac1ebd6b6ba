//! The prize list: add, rename and remove prizes until they are drawn.

use super::Host;
use crate::protocol::ClientMsg;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

#[component]
pub(super) fn Prizes(host: Host) -> impl IntoView {
    let new_prize = RwSignal::new(String::new());
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        host.clear_error(|e| &mut e.prize);
        host.send(ClientMsg::AddPrize { name: new_prize.get_untracked() });
        new_prize.set(String::new());
    };
    view! {
        <section class="panel prizes" aria-labelledby="prizes-heading">
            <h2 id="prizes-heading">"Prizes"</h2>
            <p class="hint">"Drawn in this order. Without prizes, each draw is for a winner alone."</p>
            <ol class="prize-list">
                <For each=move || host.board.get().prizes key=|p| (p.id, p.name.clone(), p.drawn) let:prize>
                    <li>
                        {if prize.drawn {
                            view! { <span class="prize-drawn">{prize.name.clone()}" ✓"</span> }.into_any()
                        } else {
                            let id = prize.id;
                            view! {
                                <input class="prize-name" value=prize.name.clone()
                                    aria-label=format!("Name of prize {}", prize.name)
                                    on:change=move |ev| host.send(ClientMsg::RenamePrize { prize: id, name: event_target_value(&ev) })/>
                                <button class="link-button" aria-label=format!("Remove prize {}", prize.name)
                                    on:click=move |_| host.send(ClientMsg::RemovePrize { prize: id })>"Remove"</button>
                            }.into_any()
                        }}
                    </li>
                </For>
            </ol>
            <form class="inline-form" on:submit=add>
                <label for="new-prize">"New prize"</label>
                <input id="new-prize" bind:value=new_prize placeholder="e.g. A signed book" maxlength="80"
                    aria-describedby="prize-error"/>
                <button class="button" type="submit" disabled=move || !host.ready.get()>"Add prize"</button>
            </form>
            <p id="prize-error" class="field-error" role="alert">{move || host.errors.prize.get()}</p>
        </section>
    }
}
