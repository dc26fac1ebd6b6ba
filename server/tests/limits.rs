//! Guessing and stuffing (issue 11): joins per address, the QR endpoint's wrong codes, prizes
//! per raffle, the host's board at most ten times a second, and WebSockets past the server's
//! open-file budget.

use crate::common;

use common::{is_winner, TestServer};
use raffler_core::protocol::{ClientMsg, ErrorCode, Field, ServerMsg};
use std::net::IpAddr;
use std::time::{Duration, Instant};

fn local(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

#[tokio::test]
async fn joins_per_address_are_limited_and_resumes_never_count() {
    let mut settings = TestServer::settings();
    settings.limits.joins_per_minute = 3;
    let server = TestServer::start_custom(settings).await;
    let (_host, code, _) = server.host().await;
    let mut phones = Vec::new();
    for i in 0..3 {
        phones.push(server.player(&code, &format!("Bot {i}")).await);
    }
    let mut fourth = server.client().await;
    fourth.send(&ClientMsg::Join { code: code.clone(), name: "Bot 3".into(), join_id: None }).await;
    match fourth.recv().await {
        ServerMsg::Error {
            code: ErrorCode::RateLimited,
            field: Some(Field::Name),
            message,
            retry_after_ms,
        } => {
            let wait = retry_after_ms.expect("says when to retry");
            assert!(wait > 1_000 && wait <= 20_001, "{wait}");
            assert!(message.contains("Try again in"), "{message}");
        }
        other => panic!("expected rate_limited, got {other:?}"),
    }
    // Resumes never count: every phone comes back, twice, although the address is over.
    for _ in 0..2 {
        for phone in &phones {
            let mut back = server.resume(&code, &phone.token, Some(phone.seq)).await;
            back.send(&ClientMsg::Ping {}).await;
            loop {
                match back.recv().await {
                    ServerMsg::Pong => break,
                    error @ ServerMsg::Error { .. } => panic!("a resume is never limited: {error:?}"),
                    _ => {} // what it missed
                }
            }
        }
    }
    // Another address has its own allowance.
    let mut other = server.client_from(local(2)).await;
    other.send(&ClientMsg::Join { code: code.clone(), name: "Neighbour".into(), join_id: None }).await;
    assert!(matches!(other.recv().await, ServerMsg::Joined { .. }));
}

#[tokio::test]
async fn the_qr_endpoint_counts_wrong_codes_and_refuses_any_code_while_blocked() {
    let mut settings = TestServer::settings();
    settings.limits.wrong_codes_per_minute = 3;
    let server = TestServer::start_custom(settings).await;
    let (_host, code, _) = server.host().await;
    let (head, _) = server.http_get(&format!("/raffles/{code}/qr.svg")).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    for _ in 0..3 {
        let (head, _) = server.http_get("/raffles/ZZZZZZ/qr.svg").await;
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    }
    let (head, _) = server.http_get("/raffles/ZZZZZZ/qr.svg").await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    let retry_after = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("retry-after: ").map(str::to_owned))
        .expect("a Retry-After header");
    let seconds: u64 = retry_after.trim().parse().unwrap();
    assert!((1..=21).contains(&seconds), "{seconds}");
    // Blocked: the right code tells nothing either, over HTTP or a WebSocket.
    let (head, _) = server.http_get(&format!("/raffles/{code}/qr.svg")).await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    let mut phone = server.client().await;
    phone.send(&ClientMsg::Join { code: code.clone(), name: "Lucky".into(), join_id: None }).await;
    assert!(matches!(phone.recv().await, ServerMsg::Error { code: ErrorCode::RateLimited, .. }));
}

#[tokio::test]
async fn prizes_per_raffle_are_capped_and_draws_without_a_named_prize_count() {
    let mut settings = TestServer::settings();
    settings.raffle.max_prizes = 3;
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, _) = server.host().await;
    let _phone = server.player(&code, "Ada").await;
    host.send(&ClientMsg::SetRepeatWinners { allowed: true }).await;
    host.send(&ClientMsg::AddPrize { name: "Book".into() }).await;
    host.send(&ClientMsg::AddPrize { name: "Mug".into() }).await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await; // the third prize, unnamed
    host.recv_until(is_winner).await;
    host.send(&ClientMsg::AddPrize { name: "Hoodie".into() }).await;
    let is_error = |m: &ServerMsg| matches!(m, ServerMsg::Error { .. });
    match host.recv_until(is_error).await {
        ServerMsg::Error { code: ErrorCode::TooManyPrizes, field: Some(Field::Prize), message, .. } => {
            assert!(message.contains('3'), "{message}")
        }
        other => panic!("expected too_many_prizes, got {other:?}"),
    }
    host.send(&ClientMsg::Draw { draw: 2, prize: None }).await;
    assert!(matches!(
        host.recv_until(is_error).await,
        ServerMsg::Error { code: ErrorCode::TooManyPrizes, .. }
    ));
    // The named prizes can still be drawn.
    host.send(&ClientMsg::Draw { draw: 2, prize: Some(1) }).await;
    assert!(matches!(host.recv_until(is_winner).await, ServerMsg::WinnerDrawn { draw: 2, .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_flooding_commands_gets_ten_boards_a_second_and_another_raffles_reveal_is_on_time() {
    const SPIN_MS: u64 = 1_000;
    let mut settings = TestServer::settings();
    settings.raffle.spin = raffler_core::raffle::Millis(SPIN_MS);
    // The flooding host's connection is not throttled, so the raffle task takes it all.
    settings.limits.frames_per_second = 1_000_000;
    let server = TestServer::start_custom(settings).await;
    // Raffle A: one screen of its host floods, another watches the boards.
    let (mut flooder, code_a, token_a) = server.host().await;
    let mut watcher = server.resume(&code_a, &token_a, None).await;
    assert!(matches!(watcher.recv().await, ServerMsg::HostSnapshot { .. }));
    // Raffle B: a host, a phone and a draw.
    let (mut host, code, _) = server.host().await;
    let mut phone = server.player(&code, "Ada").await;
    host.wait_for_players(1).await;

    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flood_started = Instant::now();
    let flood = tokio::spawn({
        let flooding = flooding.clone();
        async move {
            let mut seconds = 0;
            while flooding.load(std::sync::atomic::Ordering::Relaxed) {
                seconds += 1;
                flooder.send(&ClientMsg::SetClaimSeconds { seconds }).await;
                if seconds % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            (seconds, flooder)
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = Instant::now();
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    phone.client.recv_until(is_winner).await;
    let reveal = asked.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    flooding.store(false, std::sync::atomic::Ordering::Relaxed);
    let (commands, _flooder) = flood.await.unwrap();
    // Every command changed the board; count the boards until the last change shows.
    let mut boards = 0;
    loop {
        if let ServerMsg::Board { board, .. } = watcher.recv().await {
            boards += 1;
            if board.claim_seconds == commands {
                break;
            }
        }
    }
    // From the first command to the board that shows the last one.
    let took = flood_started.elapsed();
    assert!(
        reveal < Duration::from_millis(SPIN_MS + 500),
        "the other raffle's reveal came {reveal:?} after the draw (spin {SPIN_MS} ms)"
    );
    let most = (took.as_secs_f64() * 10.0).ceil() as u32 + 2;
    assert!(boards <= most, "{boards} boards in {took:?} for {commands} commands; at most {most}");
    assert!(commands > 10 * most, "a flood: {commands} commands in {took:?}");
}

#[tokio::test]
async fn a_single_board_change_reaches_the_host_at_once() {
    let server = TestServer::start().await;
    let (mut host, _, _) = server.host().await;
    for name in ["Book", "Mug"] {
        let asked = Instant::now();
        host.send(&ClientMsg::AddPrize { name: name.into() }).await;
        let ServerMsg::Board { board, .. } = host.recv().await else { panic!("a board") };
        assert_eq!(board.prizes.last().map(|p| p.name.as_str()), Some(name));
        // The second waits for the first's 100 ms at most.
        assert!(asked.elapsed() < Duration::from_millis(250), "{:?}", asked.elapsed());
    }
}

#[tokio::test]
async fn past_the_open_file_budget_a_screen_is_told_server_full_and_closed_1013() {
    let mut settings = TestServer::settings();
    settings.limits.max_connections = Some(2);
    let server = TestServer::start_custom(settings).await;
    let (_host, code, _) = server.host().await;
    let phone = server.player(&code, "Ada").await;
    let mut third = server.client_from(local(3)).await;
    match third.recv_or_close().await {
        Some(ServerMsg::Error { code: ErrorCode::ServerFull, retry_after_ms: Some(wait), .. }) => {
            assert!(wait > 0)
        }
        other => panic!("expected server_full, got {other:?}"),
    }
    assert_eq!(third.close_code().await, Some(1013));
    // A closed one makes room.
    drop(phone);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut next = server.client().await;
        next.send(&ClientMsg::Ping {}).await;
        match next.recv_or_close().await {
            Some(ServerMsg::Pong) => break,
            _ => assert!(Instant::now() < deadline, "no room was made"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
