//! Raffler's browser app: the Leptos screens, and the shell the server renders around them.
//!
//! - [`raffle`], [`protocol`]: the raffle engine and the wire types, re-exported from
//!   `raffler-core` (their home, free of Leptos) so that the screens name them as before.
//! - [`components`]: one module per screen (home, host controls and the remote, the stage,
//!   join).
//! - [`backoff`]: how long the socket waits before it reconnects (full jitter, tested natively).
//! - `ws_client`: the browser's self-healing socket (`ScreenSocket`, the one hook every screen
//!   opens it with); `browser`: localStorage, address bar, wake lock, vibration, sound,
//!   downloads, full screen. Each has a `web` and a `noop` implementation chosen once: the only
//!   code that differs in the browser build.

pub mod backoff;
mod browser;
pub mod components;
mod ws_client;

pub use raffler_core::{protocol, raffle, verify};

use components::{
    home::HomePage,
    host::{HostPage, RemotePage},
    join::JoinPage,
    stage::StagePage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#14123a"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The CSS under its hashed name (cargo-leptos' hash-files), cached for a year.
                <HashedStylesheet id="leptos" options=options.clone()/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Raffler"/>
        <Router>
            <main>
                <Routes fallback=|| view! { <p class="not-found">"Page not found."</p> }>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/host") view=HostPage/>
                    <Route path=path!("/host/:code") view=HostPage/>
                    <Route path=path!("/host/:code/stage") view=StagePage/>
                    <Route path=path!("/remote/:code") view=RemotePage/>
                    <Route path=path!("/join") view=JoinPage/>
                    <Route path=path!("/join/:code") view=JoinPage/>
                </Routes>
            </main>
        </Router>
    }
}
