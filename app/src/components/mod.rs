//! One module per screen, plus the bits they share.

pub mod countdown;
#[cfg(test)]
mod fixtures;
pub mod home;
pub mod host;
pub mod join;
pub mod stage;

use leptos::prelude::*;

/// `true` once the page is interactive. Buttons stay disabled until then, so that a tap made
/// before the WebAssembly has loaded is not silently lost.
pub fn hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// This device's clock in milliseconds, updated every second while the component lives: what
/// claim countdowns re-render from.
pub fn ticking_clock() -> RwSignal<f64> {
    let now = RwSignal::new(crate::browser::now_ms());
    Effect::new(move |_| {
        let tick = std::time::Duration::from_secs(1);
        let handle = set_interval_with_handle(move || now.set(crate::browser::now_ms()), tick);
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    now
}

pub use countdown::minutes_seconds;

/// The connection state, small in a corner: "Live", or "Reconnecting…" while the screen
/// finds its way back by itself.
#[component]
pub fn LinkNotice(link: ReadSignal<crate::ws_client::LinkState>) -> impl IntoView {
    use crate::ws_client::LinkState;
    view! {
        <p class="link-state" class:down=move || link.get() != LinkState::Open>
            {move || match link.get() {
                LinkState::Open => "● Live",
                LinkState::Connecting => "Connecting…",
                LinkState::Reconnecting => "Reconnecting…",
                LinkState::Restarting => "Server restarting, back in a moment…",
                LinkState::Waiting => "Not connected: trying again shortly…",
            }}
        </p>
    }
}
