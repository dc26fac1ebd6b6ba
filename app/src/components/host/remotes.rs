//! The host's phone as a remote, on the controls: "Pair a phone" opens a one-time link, shown
//! here as a QR code (never on the stage: the controls are not projected); the phone that
//! scans it first becomes a remote with a credential of its own, listed here with a way to turn
//! it off. The host token never leaves this browser.

use super::{Host, Seat};
use crate::components::{minutes_seconds, ticking_clock};
use crate::protocol::ClientMsg;
use leptos::prelude::*;

#[component]
pub(super) fn Remotes(host: Host) -> impl IntoView {
    let board = host.board;
    let live = move || host.ready.get() && board.with(|b| !b.code.is_empty() && !b.ended);
    let now = ticking_clock();
    // The open link and its seconds left; gone once used, expired or the raffle is over.
    let open_link = move || {
        let now = now.get();
        host.state.with(|s| s.open_remote_link(now)).filter(|_| live())
    };
    let pairing_url = move |link: &str| {
        let base = host.join_url.with(|url| url.rsplit_once("/join/").map(|(base, _)| base.to_owned()));
        format!("{}/remote/{}?pair={link}", base.unwrap_or_default(), board.with(|b| b.code.clone()))
    };
    view! {
        <Show when=move || host.seat == Seat::Controls>
            <section class="panel remotes" aria-labelledby="remotes-heading">
                <h2 id="remotes-heading">"Your phone as a remote"</h2>
                <p class="hint">"Draw, redraw and see claims from your phone, anywhere in the room."</p>
                {move || match open_link() {
                    Some((link, left)) => {
                        let qr = board.with(|b| format!("/raffles/{}/remote-qr.svg?pair={link}", b.code));
                        view! {
                            <img class="qr remote-qr" src=qr alt="QR code that pairs your phone as a remote"/>
                            <p class="hint">
                                {format!("Scan it with your phone's camera. It works once, for {}. Keep it off the projector.", minutes_seconds(left))}
                            </p>
                            <p class="remote-url">{pairing_url(&link)}</p>
                        }.into_any()
                    }
                    None => view! {
                        <button class="button" disabled=move || !live()
                            on:click=move |_| host.send(ClientMsg::OpenRemoteLink {})>
                            "Pair a phone"
                        </button>
                    }.into_any(),
                }}
                <ul class="remote-list">
                    <For each=move || board.with(|b| b.remotes.clone()) key=|id| *id let:id>
                        <li>
                            <span>{format!("Remote {id}")}</span>
                            <button class="link-button" aria-label=format!("Turn off remote {id}")
                                disabled=move || !host.ready.get()
                                on:click=move |_| host.send(ClientMsg::RevokeRemote { remote: id })>
                                "Turn off"
                            </button>
                        </li>
                    </For>
                </ul>
            </section>
        </Show>
    }
}
