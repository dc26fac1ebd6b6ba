//! The host's big screen: how to join, the players as they arrive, the draw, the prizes, the
//! history of the evening and the host's controls. It survives a reload, a second tab and a
//! dropped Wi-Fi: the host token in localStorage brings back the same raffle.

mod claims;
mod controls;
mod draw;
mod history;
mod prizes;
mod walk_in;

pub(crate) use draw::{reel_names, Reel};

use super::{countdown, hydrated, LinkNotice};
use crate::browser;
use crate::protocol::{Board, ClientMsg, ErrorCode, Field, PlayerView, ServerMsg};
use crate::ws_client::{LinkState, ScreenSocket};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// How many of the newest names the host's list shows.
const SHOWN_NAMES: usize = 300;

/// Everything the host screen shows, as signals; `Copy`, so every part can hold it.
#[derive(Clone, Copy)]
pub(super) struct Host {
    code: RwSignal<Option<String>>,
    join_url: RwSignal<String>,
    qr_svg_url: RwSignal<String>,
    players: RwSignal<Vec<PlayerView>>,
    total: RwSignal<u32>,
    connected: RwSignal<u32>,
    board: RwSignal<Board>,
    /// When each open claim runs out, by this device's clock: (draw, deadline in ms).
    claim_deadlines: RwSignal<Vec<(u32, f64)>>,
    errors: Errors,
    /// This browser cannot run this raffle (not its host, or the raffle has closed): the page
    /// shows why and a way home, not a raffle that looks live.
    gone: RwSignal<bool>,
    link: ReadSignal<LinkState>,
    ready: Signal<bool>,
    socket: ScreenSocket,
}

#[derive(Clone, Copy, Default)]
pub(super) struct Errors {
    draw: RwSignal<Option<String>>,
    prize: RwSignal<Option<String>>,
    player: RwSignal<Option<String>>,
    page: RwSignal<Option<String>>,
}

/// The server answers a closed raffle and a foreign browser alike (so that codes cannot be
/// probed), and so does this page.
pub(crate) const CANNOT_HOST: &str =
    "This raffle has closed, or this browser is not its host. Start a new one from the home page.";

impl Host {
    fn send(&self, msg: ClientMsg) {
        self.socket.send(msg);
    }

    fn on_message(&self, msg: ServerMsg) {
        match msg {
            ServerMsg::RaffleStarted { code, host_token } => {
                browser::save(&browser::token_key("host", &code), &host_token);
                browser::replace_path(&format!("/host/{code}"));
                self.code.set(Some(code));
            }
            ServerMsg::HostSnapshot { join_url, qr_svg_url, players, connected, board, .. } => {
                self.join_url.set(join_url);
                self.qr_svg_url.set(qr_svg_url);
                self.total.set(players.len() as u32);
                self.players.set(players);
                self.connected.set(connected);
                self.set_board(board);
                self.errors.page.set(None);
            }
            ServerMsg::PlayersJoined { players, total } => {
                self.players.update(|all| all.extend(players));
                self.total.set(total);
            }
            ServerMsg::PlayersGone { players: gone, total } => {
                self.players.update(|all| all.retain(|p| !gone.contains(&p.id)));
                self.total.set(total);
            }
            ServerMsg::Presence { connected, total } => {
                self.connected.set(connected);
                self.total.set(total);
            }
            ServerMsg::Board { board, .. } => self.set_board(board),
            // Raffles close after a day without activity (or an hour after they end).
            ServerMsg::Error { code: ErrorCode::BadToken | ErrorCode::UnknownCode, .. } => {
                self.give_up(CANNOT_HOST)
            }
            ServerMsg::Error { field, message, .. } => match field {
                Some(Field::Draw | Field::Claim) => self.errors.draw.set(Some(message)),
                Some(Field::Prize) => self.errors.prize.set(Some(message)),
                // A host's name errors are a walk-in's (hosts never join).
                Some(Field::Player | Field::Name) => self.errors.player.set(Some(message)),
                _ => self.errors.page.set(Some(message)),
            },
            _ => {}
        }
    }

    /// Whole seconds the winner of `draw` has left to claim, at `now`, if a deadline applies.
    fn seconds_left(&self, draw: u32, now: f64) -> Option<u64> {
        let deadline =
            self.claim_deadlines.with(|all| all.iter().find(|(d, _)| *d == draw).map(|(_, at)| *at))?;
        Some(countdown::seconds_left(deadline, now))
    }

    /// Whether player `id` was entered by the host (a walk-in).
    fn is_walk_in(&self, id: Option<u32>) -> bool {
        id.is_some_and(|id| self.board.with(|b| b.walk_ins.contains(&id)))
    }

    fn give_up(&self, why: &str) {
        self.errors.page.set(Some(why.into()));
        self.gone.set(true);
    }

    fn set_board(&self, board: Board) {
        let now = browser::now_ms();
        let deadlines =
            board.draws.iter().filter_map(|d| Some((d.draw, countdown::deadline(now, d.claim_ms_left?))));
        self.claim_deadlines.set(deadlines.collect());
        if board.draws.last().is_some_and(|d| d.winner.is_some()) {
            self.errors.draw.set(None);
        }
        self.board.set(board);
    }
}

#[component]
pub fn HostPage() -> impl IntoView {
    let params = use_params_map();
    let ready = hydrated();
    let socket = ScreenSocket::new();
    let link = socket.link();
    let host = Host {
        code: RwSignal::new(params.read_untracked().get("code")),
        join_url: RwSignal::new(String::new()),
        qr_svg_url: RwSignal::new(String::new()),
        players: RwSignal::new(Vec::new()),
        total: RwSignal::new(0),
        connected: RwSignal::new(0),
        board: RwSignal::new(Board::default()),
        claim_deadlines: RwSignal::new(Vec::new()),
        errors: Errors::default(),
        gone: RwSignal::new(false),
        link,
        ready: ready.into(),
        socket,
    };

    // On every (re)connection: resume with the token this browser holds, or start a raffle.
    let hello = move || match host.code.get_untracked() {
        None => Some(ClientMsg::StartRaffle {}),
        Some(code) => {
            let resume = host_resume(&code);
            if resume.is_none() {
                host.give_up(CANNOT_HOST);
            }
            resume
        }
    };
    socket.open(hello, move |msg| host.on_message(msg));

    view! {
        <Title text="Raffler · Controls"/>
        <section class="host">
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
        <draw::DrawPanel host/>
        <claims::OpenClaims host/>
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
                        </span>
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
        <div class="host-lower">
            <prizes::Prizes host/>
            <history::History host/>
            <controls::Controls host/>
        </div>
    }
    .into_any()
}
