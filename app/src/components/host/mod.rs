//! The host's controls: how to join, the players as they arrive, the draw, the prizes, the
//! history of the evening and the settings. It survives a reload, a second tab and a dropped
//! Wi-Fi: the host token in localStorage brings back the same raffle.
//!
//! The same screen is the remote on the host's phone (`/remote/<CODE>`, see `remotes.rs`): a
//! phone paired through a one-time link, with a credential of its own instead of the host token.

mod claims;
mod controls;
mod draw;
mod history;
mod prizes;
mod remotes;
mod state;
mod walk_in;

pub(crate) use draw::{reel_names, Reel};
pub(crate) use state::CANNOT_HOST;
use state::{ControlsState, FieldErrors, Seat};

use super::{hydrated, LinkNotice};
use crate::browser;
use crate::protocol::{Board, ClientMsg, PlayerView, ServerMsg};
use crate::ws_client::{LinkState, ScreenSocket};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

/// How many of the newest names the host's list shows.
const SHOWN_NAMES: usize = 300;

/// Everything the host screen shows: the plain `ControlsState` (which applies the server's
/// messages, tested natively) in one signal, and the parts the view reads as memos, so that a
/// part re-renders only when its own data changed. `Copy`, so every part can hold it.
#[derive(Clone, Copy)]
pub(super) struct Host {
    seat: Seat,
    state: RwSignal<ControlsState>,
    join_url: Memo<String>,
    qr_svg_url: Memo<String>,
    players: Memo<Vec<PlayerView>>,
    total: Memo<u32>,
    connected: Memo<u32>,
    board: Memo<Board>,
    errors: Errors,
    gone: Memo<bool>,
    link: ReadSignal<LinkState>,
    ready: Signal<bool>,
    socket: ScreenSocket,
}

/// The errors beside each part, read from the state.
#[derive(Clone, Copy)]
pub(super) struct Errors {
    draw: Memo<Option<String>>,
    prize: Memo<Option<String>>,
    player: Memo<Option<String>>,
    page: Memo<Option<String>>,
}

impl Host {
    fn new(seat: Seat, state: ControlsState, socket: ScreenSocket, ready: Signal<bool>) -> Self {
        let state = RwSignal::new(state);
        let error = move |pick: fn(&FieldErrors) -> &Option<String>| {
            Memo::new(move |_| state.with(|s| pick(&s.errors).clone()))
        };
        Host {
            seat,
            state,
            join_url: Memo::new(move |_| state.with(|s| s.join_url.clone())),
            qr_svg_url: Memo::new(move |_| state.with(|s| s.qr_svg_url.clone())),
            players: Memo::new(move |_| state.with(|s| s.players.clone())),
            total: Memo::new(move |_| state.with(|s| s.total)),
            connected: Memo::new(move |_| state.with(|s| s.connected)),
            board: Memo::new(move |_| state.with(|s| s.board.clone())),
            errors: Errors {
                draw: error(|e| &e.draw),
                prize: error(|e| &e.prize),
                player: error(|e| &e.player),
                page: error(|e| &e.page),
            },
            gone: Memo::new(move |_| state.with(|s| s.gone)),
            link: socket.link(),
            ready,
            socket,
        }
    }

    fn send(&self, msg: ClientMsg) {
        self.socket.send(msg);
    }

    /// A message from the server: the state applies it; its effects are performed here, the one
    /// place this screen touches storage and the address bar.
    fn on_message(&self, msg: ServerMsg) {
        let now = browser::now_ms();
        let effects = self.state.try_update(|s| s.apply(msg, now)).unwrap_or_default();
        for effect in effects {
            match effect {
                state::Effect::SaveToken { key, token } => browser::save(&key, &token),
                state::Effect::ForgetToken { key } => browser::forget(&key),
                state::Effect::ReplacePath(path) => browser::replace_path(&path),
            }
        }
    }

    /// Clears an error before the action it belongs to is tried again.
    fn clear_error(&self, pick: fn(&mut FieldErrors) -> &mut Option<String>) {
        self.state.update(|s| *pick(&mut s.errors) = None);
    }

    /// Whole seconds the winner of `draw` has left to claim, at `now`, if a deadline applies.
    fn seconds_left(&self, draw: u32, now: f64) -> Option<u64> {
        self.state.with(|s| s.seconds_left(draw, now))
    }

    /// Whether player `id` was entered by the host (a walk-in).
    fn is_walk_in(&self, id: Option<u32>) -> bool {
        id.is_some_and(|id| self.state.with(|s| s.is_walk_in(id)))
    }

    /// Whether the host hid player `id`'s name from the stage.
    fn is_hidden(&self, id: u32) -> bool {
        self.state.with(|s| s.is_hidden(id))
    }
}

/// The controls, in the host's own browser.
#[component]
pub fn HostPage() -> impl IntoView {
    host_screen(Seat::Controls, None)
}

/// The remote on the host's phone: `/remote/<CODE>#pair=<link>` the first time (the QR code
/// on the controls), `/remote/<CODE>` after.
#[component]
pub fn RemotePage() -> impl IntoView {
    // In the fragment (`#pair=…`), which no request carries: only the browser sees it.
    let hash = use_location().hash.get_untracked();
    let pairing = hash.strip_prefix("#pair=").filter(|link| !link.is_empty()).map(str::to_owned);
    host_screen(Seat::Remote, pairing)
}

fn host_screen(seat: Seat, pairing: Option<String>) -> impl IntoView {
    let code = use_params_map().read_untracked().get("code");
    let ready = hydrated();
    let socket = ScreenSocket::new();
    let link = socket.link();
    // A remote's pairing id, kept before it is first sent (like a phone's join id), so that a
    // pairing whose answer was lost (or a reload before it came) gets the same remote back.
    let pair_id = match (&code, &pairing) {
        (Some(code), Some(_)) => {
            let key = browser::token_key("pair", code);
            let id = browser::load(&key).unwrap_or_else(browser::random_id);
            browser::save(&key, &id);
            Some(id)
        }
        _ => None,
    };
    let state = ControlsState::new(seat, code, pairing).with_pair_id(pair_id);
    let host = Host::new(seat, state, socket, ready.into());

    // On every (re)connection: resume with the token this browser holds, start a raffle, or (a
    // remote's first time) present the pairing link.
    let hello = move || host.state.try_update(|s| s.hello(browser::load)).flatten();
    socket.open(ServerMsg::decode, hello, move |msg| host.on_message(msg));

    view! {
        <Title text=if seat == Seat::Remote { "Raffler · Remote" } else { "Raffler · Controls" }/>
        <section class="host" class:remote=seat == Seat::Remote>
            <LinkNotice link/>
            {move || host.errors.page.get().map(|e| view! {
                <p class="banner-error" role="alert">{e}" "<a href="/">"Home"</a></p>
            })}
            <Show when=move || !host.gone.get()>
                <RaffleView host/>
            </Show>
        </section>
    }
}

/// What a host screen (the controls or the stage) says on every (re)connection: resume with the
/// host token this browser holds for `code`. `None`: it holds none, so it is not this raffle's
/// host. The token stays in localStorage: a second window of the same browser finds it there,
/// and no URL ever carries it.
pub(crate) fn host_resume(code: &str) -> Option<ClientMsg> {
    let token = browser::load(&browser::token_key("host", code))?;
    Some(ClientMsg::Resume { code: code.to_owned(), token, last_seq: None })
}

/// The address a person types: no scheme, and no code (the code is shown on its own).
pub(crate) fn typed_join_url(join_url: &str) -> String {
    let url = join_url.rsplit_once('/').map_or(join_url, |(base, _code)| base);
    url.split_once("://").map_or(url, |(_, rest)| rest).to_owned()
}

/// The raffle itself: how to join, the stage, the players, prizes, history and settings. Its
/// own component (and an erased view type) keeps the page's view type within the compiler's limits.
#[component]
fn RaffleView(host: Host) -> impl IntoView {
    let live = move || !host.board.with(|b| b.code.is_empty());
    // A remote is a phone in the host's hand: the draw first, no join panel (that is the
    // stage's), no stage to open (the stage needs the host's own browser).
    if host.seat == Seat::Remote {
        return view! { <RemoteView host/> }.into_any();
    }
    view! {
        <aside class="join-panel" aria-label="How to join">
            {move || if live() {
                view! {
                    <p class="join-label">"Join at"</p>
                    <p class="join-url">{move || {
                        // Break, when the panel is narrow, between the address and "/join".
                        let url = typed_join_url(&host.join_url.get());
                        let (address, path) = url.rsplit_once('/').map_or((url.clone(), String::new()), |(a, p)| (a.to_owned(), format!("/{p}")));
                        view! { {address}<wbr/>{path} }
                    }}</p>
                    <p class="join-label">"with the code"</p>
                    <p class="join-code">{move || host.board.with(|b| b.code.clone())}</p>
                    <img class="qr" src=move || host.qr_svg_url.get()
                        alt=move || format!("QR code that opens {}", host.join_url.get())/>
                    {move || (!host.board.with(|b| b.joining_open)).then(|| view! {
                        <p class="joining-closed">"Joining is closed"</p>
                    })}
                    {move || host.board.with(|b| b.fingerprint.clone()).map(|fp| view! {
                        <p class="fingerprint">"Fingerprint "<strong>{fp}</strong></p>
                    })}
                    // The show for the projector, in a window of its own: the same browser, so
                    // it finds the host token in localStorage; the link carries only the code.
                    <a class="button open-stage" target="_blank"
                        href=move || format!("/host/{}/stage", host.board.with(|b| b.code.clone()))>
                        "Open the stage"
                    </a>
                    <p class="hint">"For the projector: Space draws, F goes full screen."</p>
                }.into_any()
            } else {
                view! { <p class="starting">"Starting a raffle…"</p> }.into_any()
            }}
        </aside>
        <Panels host/>
    }
    .into_any()
}

/// The remote's page: its raffle's code, then the same panels as the controls, in one column.
#[component]
fn RemoteView(host: Host) -> impl IntoView {
    view! {
        <h1 class="remote-title">{move || format!("Remote · {}", host.board.with(|b| b.code.clone()))}</h1>
        <Panels host/>
    }
    .into_any()
}

/// What the controls and the remote both show: the draw, the claims waiting, the players, and
/// the lower panels.
#[component]
fn Panels(host: Host) -> impl IntoView {
    view! {
        <draw::DrawPanel host/>
        <claims::OpenClaims host/>
        <PlayersPanel host/>
        <Lower host/>
    }
    .into_any()
}

/// Hides a name from the stage (one not fit for the projector), or shows it again. The player
/// stays in and can win.
#[component]
fn HideButton(host: Host, player: PlayerView) -> impl IntoView {
    let id = player.id;
    let label = move || {
        let verb = if host.is_hidden(id) { "Show" } else { "Hide" };
        format!("{verb} {} on the stage", player.name)
    };
    view! {
        <button class="link-button" aria-label=label
            disabled=move || !host.ready.get() || host.board.with(|b| b.ended)
            on:click=move |_| host.send(ClientMsg::SetNameHidden { player: id, hidden: !host.is_hidden(id) })>
            {move || if host.is_hidden(id) { "Show" } else { "Hide" }}
        </button>
    }
}

/// Prizes, history, settings and (on the controls) the remotes. Erased, like the views above,
/// to keep the page's view type within the compiler's limits.
#[component]
fn Lower(host: Host) -> impl IntoView {
    view! {
        <div class="host-lower">
            <prizes::Prizes host/>
            <history::History host/>
            <controls::Controls host/>
            <remotes::Remotes host/>
        </div>
    }
    .into_any()
}

/// Who is in: the count, walk-ins, the newest names with "Remove", and the removed.
#[component]
fn PlayersPanel(host: Host) -> impl IntoView {
    view! {
        <section class="players" aria-labelledby="players-heading">
            <h2 id="players-heading">
                {move || match host.total.get() { 1 => "1 player".to_owned(), n => format!("{n} players") }}
            </h2>
            <p class="presence">{move || format!("{} connected now", host.connected.get())}</p>
            <walk_in::WalkInForm host/>
            <p id="player-error" class="field-error" role="alert">{move || host.errors.player.get()}</p>
            <ul class="player-list">
                // Newest first, and only the newest: a hall of 18,000 must not become 18,000
                // nodes. Keyed, so a join adds a node instead of redrawing the list.
                <For each=move || host.players.with(|all| all.iter().rev().take(SHOWN_NAMES).cloned().collect::<Vec<_>>()) key=|p| p.id let:player>
                    <li>
                        <span>
                            {player.name.clone()}
                            // The board that lists walk-ins may come just after the join.
                            {move || host.is_walk_in(Some(player.id)).then(|| view! { <span class="hint">" · entered by the host"</span> })}
                            {move || host.is_hidden(player.id).then(|| view! { <span class="hint">" · hidden on the stage"</span> })}
                        </span>
                        <HideButton host player=player.clone()/>
                        <button class="link-button" aria-label=format!("Remove {}", player.name)
                            disabled=move || !host.ready.get() || host.board.with(|b| b.ended)
                            on:click=move |_| host.send(ClientMsg::RemovePlayer { player: player.id })>
                            "Remove"
                        </button>
                    </li>
                </For>
            </ul>
            {move || {
                let hidden = host.players.with(Vec::len).saturating_sub(SHOWN_NAMES);
                (hidden > 0).then(|| view! { <p class="hint">{format!("…and {hidden} who joined earlier")}</p> })
            }}
            <claims::Removed host/>
        </section>
    }
}
