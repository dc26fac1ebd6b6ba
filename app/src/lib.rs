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
//!
//! Only the phone's page (`/join`) is in the wasm every page loads. Home, the host's controls
//! (and their remote on the host's phone) and the stage are lazy routes: with
//! `cargo leptos build --split` their code goes into wasm chunks of their own, fetched when
//! such a page is opened (the server names them in the page's `<link rel="preload">`), so a
//! phone never downloads the screens it never shows. Every wasm build must then use `--split`
//! (see the lazy routes below).

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
    lazy_route, path, Lazy, LazyRoute,
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
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()}/>
                    <Route path=path!("/host") view={Lazy::<HostRoute>::new()}/>
                    <Route path=path!("/host/:code") view={Lazy::<HostRoute>::new()}/>
                    <Route path=path!("/host/:code/stage") view={Lazy::<StageRoute>::new()}/>
                    <Route path=path!("/remote/:code") view={Lazy::<RemoteRoute>::new()}/>
                    <Route path=path!("/join") view=JoinPage/>
                    <Route path=path!("/join/:code") view=JoinPage/>
                </Routes>
            </main>
        </Router>
    }
}

// The lazy routes. Each screen loads no data of its own before it renders (it opens its socket
// once shown), so `data` is empty; `#[lazy_route]` makes `view` a split point: the screen's
// component, and everything only it reaches, moves out of the main wasm into a chunk. In the
// browser a split point is an import that only the split loader provides, so every wasm build
// must be split (`cargo leptos build --split`, `cargo leptos watch --split`): without it the
// wasm does not instantiate. On the server (`ssr`) the views are awaited as any route's, and
// the page names the chunks it will need in `<link rel="preload">`.

/// `/`: the landing page (two links; lazy so that not even its view is the phone's download).
struct HomeRoute;

#[lazy_route]
impl LazyRoute for HomeRoute {
    fn data() -> Self {
        HomeRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <HomePage/> }.into_any()
    }
}

/// `/host` and `/host/<CODE>`: the host's controls.
struct HostRoute;

#[lazy_route]
impl LazyRoute for HostRoute {
    fn data() -> Self {
        HostRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <HostPage/> }.into_any()
    }
}

/// `/remote/<CODE>`: the host's controls on the host's own phone (a remote it paired). Lazy
/// too: eager, it would bring the controls' code back into every phone's download.
struct RemoteRoute;

#[lazy_route]
impl LazyRoute for RemoteRoute {
    fn data() -> Self {
        RemoteRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <RemotePage/> }.into_any()
    }
}

/// `/host/<CODE>/stage`: the projector's show.
struct StageRoute;

#[lazy_route]
impl LazyRoute for StageRoute {
    fn data() -> Self {
        StageRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <StagePage/> }.into_any()
    }
}
