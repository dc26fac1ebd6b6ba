//! The real server binary started the way a shell or a systemd unit starts a process, with a
//! soft limit of 1,024 open files and a higher hard limit (issue 11): it raises its limit, says
//! so, and takes a room of 2,000 phones behind one address with none refused.

use crate::common;

use common::{fresh_database, raise_open_files, TestServer};
use futures_util::StreamExt;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const PHONES: usize = 2_000;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_with_1024_open_files_the_server_takes_2000_phones() {
    let _turn = common::many_sockets().await;
    let hard = rlimit::Resource::NOFILE.get_hard().expect("the hard open-file limit");
    assert!(
        hard >= 2 * PHONES as u64 + 1_000,
        "this test needs a hard open-file limit of 5,000; it is {hard}"
    );
    raise_open_files(); // this process holds the 2,000 phones' ends
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let database = fresh_database();
    let log = database.with_extension("log");
    let output = std::fs::File::create(&log).unwrap();
    let child = Command::new("prlimit")
        .arg(format!("--nofile=1024:{hard}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_server"))
        .args(["--listen", &addr.to_string(), "--public-url", "http://raffle.test", "--spin-ms", "0"])
        .args(["--beacon-relays", "off"])
        .arg("--database")
        .arg(&database)
        .env("RUST_LOG", "info")
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .expect("prlimit (util-linux) runs the server binary");
    let _server_process = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let server = TestServer { addr };

    let (mut host, code, _) = server.host().await;
    let started = Instant::now();
    let phones: Vec<_> = futures_util::stream::iter(0..PHONES)
        .map(|i| {
            let (server, code) = (&server, &code);
            async move { server.player(code, &format!("Phone {i:04}")).await }
        })
        .buffer_unordered(200)
        .collect()
        .await;
    assert_eq!(phones.len(), PHONES);
    host.wait_for_players(PHONES as u32).await;
    let joined_in = started.elapsed();
    assert_eq!(server.metric("raffler_connections_open").await, (PHONES + 1) as f64, "all still connected");

    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains(&format!("open files: raised the limit from 1024 to {hard}")),
        "the server says what it raised its limit to:\n{log}"
    );
    assert!(!log.contains("Too many open files") && !log.contains("open files. Raise"), "{log}");
    assert!(joined_in < Duration::from_secs(60), "2,000 phones took {joined_in:?}");
    drop(phones);
}
