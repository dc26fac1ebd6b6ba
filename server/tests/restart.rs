//! The real server binary, killed and started again on the same database: nothing that any
//! screen was shown is lost, and the raffle carries on.

use crate::common;

use common::{fresh_database, is_winner, Phone, TestServer};
use raffler_core::protocol::{ClientMsg, PlayerView, ServerMsg};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const PLAYERS: usize = 100;

/// The `server` binary as an operator runs it, on `port`, keeping raffles in `database`.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl ServerProcess {
    fn start(database: &Path, port: u16) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = unique(database.with_extension("log"));
        let output = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--database")
            .arg(database)
            // No internet in the tests: draws are seed only (tests/beacon.rs has a local relay).
            .args(["--public-url", "http://raffle.test", "--spin-ms", "0", "--beacon-relays", "off"])
            .env("RUST_LOG", "info")
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("the server binary starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "the server did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, addr, log }
    }

    /// Everything the server logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    fn server(&self) -> TestServer {
        TestServer { addr: self.addr }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status();
        assert!(status.expect("kill runs").success());
    }

    /// Waits for the process to exit; returns how long that took.
    fn wait(&mut self, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if self.child.try_wait().expect("wait on the server").is_some() {
                return started.elapsed();
            }
            assert!(started.elapsed() < within, "the server is still running after {within:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `path`, or `path` with a number added if that is taken (a restart logs to a new file).
fn unique(path: PathBuf) -> PathBuf {
    (0..).map(|n| path.with_extension(format!("{n}.log"))).find(|p| !p.exists()).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A raffle as the first server ran it: a host, 100 phones, two prizes drawn.
struct Evening {
    code: String,
    host_token: String,
    host: common::Client,
    phones: Vec<Phone>,
    winners: Vec<PlayerView>,
}

async fn an_evening_with_two_prizes_drawn(server: &TestServer) -> Evening {
    let (mut host, code, host_token) = server.host().await;
    host.send(&ClientMsg::AddPrize { name: "Book".into() }).await;
    host.send(&ClientMsg::AddPrize { name: "Mug".into() }).await;
    let mut phones = Vec::new();
    for i in 0..PLAYERS {
        phones.push(server.player(&code, &format!("Player {i:03}")).await);
    }
    host.wait_for_players(PLAYERS as u32).await;
    let mut winners = Vec::new();
    for (draw, prize) in [(1, 1), (2, 2)] {
        host.send(&ClientMsg::Draw { draw, prize: Some(prize) }).await;
        let ServerMsg::WinnerDrawn { winner, .. } = host.recv_until(is_winner).await else { unreachable!() };
        winners.push(winner);
    }
    assert_ne!(winners[0], winners[1]);
    // Every phone was shown both results before the server goes down.
    for phone in &mut phones {
        for _ in 0..2 {
            let ServerMsg::WinnerDrawn { seq, .. } = phone.client.recv_until(is_winner).await else {
                unreachable!()
            };
            phone.seq = seq;
        }
    }
    Evening { code, host_token, host, phones, winners }
}

/// After the restart: every screen comes back with its token and finds the raffle as it was,
/// and the third draw works and picks someone who has not won.
async fn everyone_comes_back_and_the_third_draw_works(server: &TestServer, evening: Evening) {
    let Evening { code, host_token, phones, winners, .. } = evening;
    let mut host = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { players, board, .. } = host.recv().await else {
        panic!("no host snapshot")
    };
    assert_eq!(players.len(), PLAYERS, "the same players");
    let drawn: Vec<_> = board.draws.iter().filter_map(|d| d.winner.clone()).collect();
    assert_eq!(drawn, winners, "the same two winners");
    assert_eq!(board.next_draw, 3);

    let mut returned = Vec::new();
    for phone in &phones {
        // Half return having seen everything, half as a reloaded page with no sequence number.
        let seen = (phone.you.id % 2 == 0).then_some(phone.seq);
        let mut client = server.resume(&code, &phone.token, seen).await;
        if seen.is_none() {
            let ServerMsg::PlayerSnapshot { you, draws, ended: false, .. } = client.recv().await else {
                panic!("{} got no snapshot", phone.you.name)
            };
            assert_eq!(you, phone.you);
            let drawn: Vec<_> = draws.iter().filter_map(|d| d.winner.clone()).collect();
            assert_eq!(drawn, winners);
        }
        returned.push(client);
    }
    // Every phone is back on the big screen's count before the draw.
    host.recv_until(|m| matches!(m, ServerMsg::Presence { connected, .. } if *connected as usize == PLAYERS))
        .await;

    host.send(&ClientMsg::Draw { draw: 3, prize: None }).await;
    let ServerMsg::WinnerDrawn { winner, draw: 3, .. } = host.recv_until(is_winner).await else {
        unreachable!()
    };
    assert!(!winners.contains(&winner), "{} won twice", winner.name);
    for client in &mut returned {
        let ServerMsg::WinnerDrawn { winner: seen, draw: 3, .. } = client.recv_until(is_winner).await else {
            unreachable!()
        };
        assert_eq!(seen, winner);
    }
}

#[tokio::test]
async fn a_raffle_survives_kill_9_and_carries_on() {
    let database = fresh_database();
    let port = free_port();
    let mut first = ServerProcess::start(&database, port);
    let evening = an_evening_with_two_prizes_drawn(&first.server()).await;

    first.signal("KILL");
    first.wait(Duration::from_secs(5));

    let second = ServerProcess::start(&database, port);
    let tokens: Vec<String> =
        evening.phones.iter().map(|p| p.token.clone()).chain([evening.host_token.clone()]).collect();
    everyone_comes_back_and_the_third_draw_works(&second.server(), evening).await;

    // One line per meaningful event, and never a secret.
    let log = first.log() + &second.log();
    for line in ["raffle started", "winner drawn", "draw started"] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
    for token in tokens {
        assert!(!log.contains(&token), "a token reached the log");
    }
}

#[tokio::test]
async fn sigterm_tells_every_screen_the_server_is_restarting_and_exits_quickly() {
    let database = fresh_database();
    let port = free_port();
    let mut first = ServerProcess::start(&database, port);
    let mut evening = an_evening_with_two_prizes_drawn(&first.server()).await;

    let signalled = Instant::now();
    first.signal("TERM");
    // Every open connection is closed with 1012 "service restart": the pages reconnect quietly.
    assert_eq!(evening.host.close_code().await, Some(1012));
    for phone in &mut evening.phones {
        assert_eq!(phone.client.close_code().await, Some(1012), "{} was not told", phone.you.name);
    }
    first.wait(Duration::from_secs(5));
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");

    let second = ServerProcess::start(&database, port);
    everyone_comes_back_and_the_third_draw_works(&second.server(), evening).await;
}

#[tokio::test]
async fn a_corrupt_database_stops_the_server_with_a_clear_error_and_is_left_alone() {
    let folder = fresh_database().parent().unwrap().to_owned();
    let database = folder.join("raffler.db");
    let garbage = b"This is not a database, but somebody's notes. Do not overwrite them.\n".repeat(100);
    std::fs::write(&database, &garbage).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--database")
        .arg(&database)
        .output()
        .expect("the server binary runs");
    assert!(!output.status.success(), "it must not start on a corrupt database");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("cannot use the database"), "{said}");
    assert!(said.contains("not a readable SQLite database"), "{said}");
    assert!(said.contains(&database.display().to_string()), "the error names the file: {said}");
    assert_eq!(std::fs::read(&database).unwrap(), garbage, "the file was changed");
}

/// A join the server committed and then died before the phone read `joined` (the phone never
/// learned it was in): after the restart, the phone asks again with the join id it kept, and it
/// is the same player with the same token; the big screen has one player, not two.
#[tokio::test]
async fn a_join_whose_answer_died_with_the_server_is_the_same_player_after_the_restart() {
    let database = fresh_database();
    let port = free_port();
    let mut first = ServerProcess::start(&database, port);
    let (mut host, code, host_token) = first.server().host().await;
    let join = ClientMsg::Join { code: code.clone(), name: "Ada".into(), join_id: Some("ada-phone".into()) };
    let mut phone = first.server().client().await;
    phone.send(&join).await;
    // The host hears of a player only once the join is on disk: it is committed now.
    host.wait_for_players(1).await;
    first.signal("KILL");
    first.wait(Duration::from_secs(5));
    drop(phone); // its `joined` was never read

    let second = ServerProcess::start(&database, port);
    let mut retry = second.server().client().await;
    retry.send(&join).await;
    let ServerMsg::Joined { you, token, .. } = retry.recv().await else { panic!("joined again") };
    assert_eq!(you.id, 1, "the same player");
    let mut host = second.server().resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { players, .. } = host.recv().await else { panic!("no host snapshot") };
    assert_eq!(players.len(), 1, "one player, not two");
    let mut resumed = second.server().resume(&code, &token, None).await;
    assert!(matches!(resumed.recv().await, ServerMsg::PlayerSnapshot { .. }), "the token works");
}
