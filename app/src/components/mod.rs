//! One module per screen, plus the bits they share.

pub mod home;
pub mod host;
pub mod join;

use leptos::prelude::*;

/// `true` once the page is interactive. Buttons stay disabled until then, so that a tap made
/// before the WebAssembly has loaded is not silently lost.
pub fn hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// A small, unobtrusive notice when the screen has lost the server.
#[component]
pub fn LinkNotice(link: ReadSignal<crate::ws_client::LinkState>) -> impl IntoView {
    move || {
        (link.get() == crate::ws_client::LinkState::Closed).then(|| {
            view! {
                <p class="link-notice" role="status">
                    "Connection to the raffle lost. Reload the page to reconnect."
                </p>
            }
        })
    }
}
