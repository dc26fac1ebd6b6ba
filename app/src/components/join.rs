//! The phone's screen: join with a code and a name, wait, and learn at the reveal whether it won.

use super::{hydrated, LinkNotice};
use crate::protocol::{ClientMsg, Field, PlayerView, ServerMsg};
use crate::ws_client::{self, LinkState, Socket};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Form,
    Joining,
    /// In the raffle, waiting for the host to draw.
    Waiting,
    Drawing,
    Result {
        won: bool,
        winner: String,
    },
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    // From the QR code (/join/<code>): the code is known, only the name is asked.
    let code_in_url = move || params.read().get("code").filter(|c| !c.trim().is_empty());
    let ready = hydrated();
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let code_error = RwSignal::new(None::<String>);
    let name_error = RwSignal::new(None::<String>);
    let general_error = RwSignal::new(None::<String>);
    let phase = RwSignal::new(Phase::Form);
    let me = RwSignal::new(None::<PlayerView>);
    let (link, set_link) = signal(LinkState::Connecting);
    let socket = StoredValue::new(None::<Socket>);

    let on_message = move |msg: ServerMsg| match msg {
        ServerMsg::Joined { you, .. } => {
            me.set(Some(you));
            phase.set(Phase::Waiting);
        }
        ServerMsg::DrawStarted { .. } if me.with_untracked(Option::is_some) => phase.set(Phase::Drawing),
        ServerMsg::WinnerDrawn { winner, .. } => {
            if let Some(my) = me.get_untracked() {
                phase.set(Phase::Result { won: winner.id == my.id, winner: winner.name });
            }
        }
        ServerMsg::Error { field, message, .. } => {
            if phase.get_untracked() == Phase::Joining {
                phase.set(Phase::Form);
            }
            match field {
                Some(Field::Code) => code_error.set(Some(message)),
                Some(Field::Name) => name_error.set(Some(message)),
                _ => general_error.set(Some(message)),
            }
        }
        _ => {}
    };
    Effect::new(move |_| {
        socket.set_value(Some(ws_client::open(on_message, move |state| set_link.set(state))));
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        code_error.set(None);
        name_error.set(None);
        general_error.set(None);
        let code = code_in_url().unwrap_or_else(|| code.get_untracked());
        phase.set(Phase::Joining);
        socket
            .with_value(|s| s.as_ref().map(|s| s.send(ClientMsg::Join { code, name: name.get_untracked() })));
    };

    let form = move || {
        view! {
            <form class="join-form" on:submit=submit novalidate>
                <h1>"Join the raffle"</h1>
                {move || match code_in_url() {
                    Some(code) => view! { <p class="join-code-known">"Code "<strong>{code}</strong></p> }.into_any(),
                    None => view! {
                        <label for="code">"Join code"</label>
                        <input id="code" name="code" bind:value=code autocomplete="off" autocapitalize="characters"
                            spellcheck="false" placeholder="e.g. K7QX2M" aria-describedby="code-error"
                            aria-invalid=move || code_error.with(Option::is_some).to_string()/>
                        <p id="code-error" class="field-error" role="alert">{move || code_error.get()}</p>
                    }.into_any(),
                }}
                <label for="name">"Your name"</label>
                <input id="name" name="name" bind:value=name autocomplete="nickname" maxlength="60"
                    placeholder="As the room knows you" aria-describedby="name-error"
                    aria-invalid=move || name_error.with(Option::is_some).to_string()/>
                <p id="name-error" class="field-error" role="alert">{move || name_error.get()}</p>
                <button class="button primary" type="submit"
                    disabled=move || !ready.get() || phase.get() == Phase::Joining>
                    {move || if phase.get() == Phase::Joining { "Joining…" } else { "Join" }}
                </button>
                {move || general_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
        }
    };

    let my_name = move || me.with(|m| m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    view! {
        <section class="phone">
            <LinkNotice link/>
            {move || match phase.get() {
                Phase::Form | Phase::Joining => form().into_any(),
                Phase::Waiting => view! {
                    <div class="phone-card waiting" role="status">
                        <p class="phone-big">"You're in!"</p>
                        <p>{move || format!("Joined as {}. Keep this page open: the result shows here.", my_name())}</p>
                    </div>
                }.into_any(),
                Phase::Drawing => view! {
                    <div class="phone-card drawing" role="status">
                        <p class="phone-big">"Drawing…"</p>
                        <p>"Eyes on the big screen."</p>
                    </div>
                }.into_any(),
                Phase::Result { won: true, .. } => view! {
                    <div class="phone-card won" role="status">
                        <p class="phone-big">"You won!"</p>
                        <p>{move || format!("Congratulations, {}! Go and claim your prize.", my_name())}</p>
                    </div>
                }.into_any(),
                Phase::Result { won: false, winner } => view! {
                    <div class="phone-card lost" role="status">
                        <p class="phone-big">"Not this time"</p>
                        <p>{format!("{winner} won. Stay here for the next draw.")}</p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
