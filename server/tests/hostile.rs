//! A room full of developers poking at the raffle: whatever they send, only the host runs it,
//! nothing is lost, and honest screens carry on.

use crate::common;

use common::{is_winner, TestServer, MAX_FRAME_BYTES};
use futures_util::{SinkExt, StreamExt};
use raffler_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use rand::{rngs::StdRng, Rng, SeedableRng};
use tokio_tungstenite::tungstenite::{
    client::IntoClientRequest,
    http::StatusCode,
    protocol::frame::{coding::Data, coding::OpCode, Frame},
    Message,
};

fn code_of(msg: ServerMsg) -> ErrorCode {
    match msg {
        ServerMsg::Error { code, .. } => code,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Every command only the host may give.
fn host_commands() -> Vec<ClientMsg> {
    vec![
        ClientMsg::Draw { draw: 1, prize: None },
        ClientMsg::Redraw { draw: 1 },
        ClientMsg::AddPrize { name: "Stolen".into() },
        ClientMsg::RenamePrize { prize: 1, name: "Mine".into() },
        ClientMsg::RemovePrize { prize: 1 },
        ClientMsg::SetJoining { open: false },
        ClientMsg::SetRepeatWinners { allowed: true },
        ClientMsg::SetClaimSeconds { seconds: 1 },
        ClientMsg::RemovePlayer { player: 1 },
        ClientMsg::EndRaffle {},
    ]
}

#[tokio::test]
async fn a_player_sending_every_host_command_is_refused_and_nothing_changes() {
    let server = TestServer::start().await;
    let (mut host, code, host_token) = server.host().await;
    host.send(&ClientMsg::AddPrize { name: "Book".into() }).await;
    let mut mallory = server.player(&code, "Mallory").await;
    server.player(&code, "Ada").await;
    let before = snapshot(&server, &code, &host_token).await;

    for command in host_commands() {
        mallory.client.send(&command).await;
        assert_eq!(code_of(mallory.client.recv().await), ErrorCode::NotAllowed, "{command:?}");
    }
    assert_eq!(snapshot(&server, &code, &host_token).await, before);
}

/// The raffle as a host sees it, minus who is connected right now.
async fn snapshot(
    server: &TestServer,
    code: &str,
    host_token: &str,
) -> (Vec<raffler_core::protocol::PlayerView>, raffler_core::protocol::Board) {
    let mut host = server.resume(code, host_token, None).await;
    let ServerMsg::HostSnapshot { players, board, .. } = host.recv().await else { panic!("no snapshot") };
    (players, board)
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let server = TestServer::start().await;
    let (_host, code, _) = server.host().await;
    let long = "a".repeat(3_000);
    for token in ["'; DROP TABLE players; --", "\u{202E}olleh", long.as_str(), "null"] {
        let mut client = server.resume(&code, token, None).await;
        assert_eq!(code_of(client.recv().await), ErrorCode::BadToken, "{token:?}");
    }
}

#[tokio::test]
async fn a_page_from_a_foreign_origin_cannot_open_a_socket() {
    let server = TestServer::start().await;
    let mut request = server.ws_url().into_client_request().unwrap();
    request.headers_mut().insert("Origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            // `/ws` is routed around the header middlewares; its refusals still carry them.
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            assert_eq!(
                response.headers()["content-security-policy"],
                "default-src 'none'; frame-ancestors 'none'"
            );
        }
        other => panic!("a foreign origin was let in: {:?}", other.map(|_| ())),
    }
    for own in ["http://raffle.test", &format!("http://{}", server.addr)] {
        let mut request = server.ws_url().into_client_request().unwrap();
        request.headers_mut().insert("Origin", own.parse().unwrap());
        assert!(tokio_tungstenite::connect_async(request).await.is_ok(), "{own} is this server's own origin");
    }
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009_and_bad_utf8_with_1007() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.send_raw("x".repeat(MAX_FRAME_BYTES * 16 + 1)).await;
    assert_eq!(client.close_code().await, Some(1009));

    let mut client = server.client().await;
    let invalid = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    client.send_message(Message::Frame(invalid)).await;
    assert_eq!(client.close_code().await, Some(1007));
}

#[tokio::test]
async fn a_flood_of_frames_is_limited_then_closed_with_1008() {
    let server = TestServer::start().await;
    let mut flooder = server.client().await;
    for _ in 0..200 {
        flooder.send(&ClientMsg::Ping {}).await;
    }
    let mut limited = None;
    loop {
        match flooder.recv_or_close().await {
            Some(ServerMsg::Error { code: ErrorCode::RateLimited, retry_after_ms, .. }) => {
                limited = retry_after_ms
            }
            Some(_) => continue,
            None => break,
        }
    }
    assert!(limited.is_some_and(|ms| ms > 0 && ms <= 1_000), "told when to retry: {limited:?}");
    assert_eq!(flooder.last_close_code(), Some(1008));
    // Everyone else is fine.
    let (_host, _code, _) = server.host().await;
}

#[tokio::test]
async fn guessing_codes_is_limited_per_address_even_for_a_lucky_guess() {
    let mut settings = TestServer::settings();
    settings.limits.wrong_codes_per_minute = 3;
    let server = TestServer::start_custom(settings).await;
    let (_host, code, _) = server.host().await;
    let mut guesser = server.client().await;
    for guess in ["AAAAAA", "BBBBBB", "CCCCCC"] {
        guesser.send(&ClientMsg::Join { code: guess.into(), name: "Eve".into(), join_id: None }).await;
        assert_eq!(code_of(guesser.recv().await), ErrorCode::UnknownCode);
    }
    guesser.send(&ClientMsg::Join { code: "DDDDDD".into(), name: "Eve".into(), join_id: None }).await;
    let ServerMsg::Error { code: ErrorCode::RateLimited, retry_after_ms: Some(wait), message, .. } =
        guesser.recv().await
    else {
        panic!("the fourth wrong code was not limited")
    };
    assert!(wait > 1_000 && message.contains("Try again in"), "{wait} {message}");
    guesser.send(&ClientMsg::Join { code: code.clone(), name: "Eve".into(), join_id: None }).await;
    assert_eq!(
        code_of(guesser.recv().await),
        ErrorCode::RateLimited,
        "a blocked address may not try the right code"
    );
}

#[tokio::test]
async fn raffles_started_per_address_are_limited() {
    let mut settings = TestServer::settings();
    settings.limits.raffles_per_hour = 2;
    let server = TestServer::start_custom(settings).await;
    server.host().await;
    server.host().await;
    let mut third = server.client().await;
    third.send(&ClientMsg::StartRaffle {}).await;
    let ServerMsg::Error { code: ErrorCode::RateLimited, retry_after_ms: Some(_), .. } = third.recv().await
    else {
        panic!("a third raffle in an hour was allowed")
    };
}

#[tokio::test]
async fn capacity_limits_give_clear_answers() {
    let mut settings = TestServer::settings();
    settings.raffle.max_players = 2;
    settings.limits.max_raffles = 1;
    settings.limits.max_connections_per_ip = 4;
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, _) = server.host().await;
    let _ada = server.player(&code, "Ada").await;
    let _grace = server.player(&code, "Grace").await;

    let mut late = server.client().await;
    late.send(&ClientMsg::Join { code, name: "Late".into(), join_id: None }).await;
    let ServerMsg::Error { code: ErrorCode::RaffleFull, message, .. } = late.recv().await else { panic!() };
    assert!(message.contains("full"));

    let mut secondhost = server.client().await; // fifth connection from this address
    let ServerMsg::Error { code: ErrorCode::TooManyConnections, retry_after_ms: Some(_), .. } =
        secondhost.recv().await
    else {
        panic!("the fifth connection was let in")
    };
    assert_eq!(secondhost.close_code().await, Some(1013));
    drop(late);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut secondhost = server.client().await;
    secondhost.send(&ClientMsg::StartRaffle {}).await;
    assert_eq!(code_of(secondhost.recv().await), ErrorCode::ServerFull);

    // An ended raffle no longer counts.
    host.send(&ClientMsg::EndRaffle {}).await;
    host.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    secondhost.send(&ClientMsg::StartRaffle {}).await;
    assert!(matches!(secondhost.recv().await, ServerMsg::RaffleStarted { .. }));
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_a_fresh_nonce_and_the_other_headers() {
    let server = TestServer::start().await;
    let (headers, body) = server.http_get("/").await;
    let csp = header(&headers, "content-security-policy").expect("a CSP");
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce");
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the inline script carries the nonce: {csp} {body}"
    );
    assert!(csp.contains("script-src 'self' 'nonce-") && csp.contains("'wasm-unsafe-eval'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(header(&headers, "x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header(&headers, "referrer-policy").as_deref(), Some("no-referrer"));
    let (again, _) = server.http_get("/").await;
    // A GET of /ws that is no handshake is refused, with the same headers as any response.
    let (refusal, why) = server.http_get("/ws").await;
    assert!(refusal.starts_with("HTTP/1.1 400"), "{refusal}");
    assert!(why.contains("upgrade"), "{why}");
    assert_eq!(header(&refusal, "x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header(&refusal, "x-frame-options").as_deref(), Some("DENY"));
    assert_ne!(header(&again, "content-security-policy"), Some(csp.clone()), "a nonce is used once");
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(": ")?;
        key.eq_ignore_ascii_case(name).then(|| value.to_owned())
    })
}

/// Frames an attacker might send: every documented message, then mutated.
fn hostile_frames(rng: &mut StdRng, code: &str, count: usize) -> Vec<Message> {
    let documented = [
        r#"{"type":"start_raffle"}"#.to_owned(),
        format!(r#"{{"type":"join","code":"{code}","name":"Eve"}}"#),
        format!(
            r#"{{"type":"resume","code":"{code}","token":"0123456789abcdef0123456789abcdef","last_seq":3}}"#
        ),
        r#"{"type":"leave"}"#.to_owned(),
        r#"{"type":"claim","draw":1}"#.to_owned(),
        r#"{"type":"add_prize","name":"A book"}"#.to_owned(),
        r#"{"type":"rename_prize","prize":1,"name":"B"}"#.to_owned(),
        r#"{"type":"remove_prize","prize":1}"#.to_owned(),
        r#"{"type":"draw","draw":1,"prize":null}"#.to_owned(),
        r#"{"type":"redraw","draw":1}"#.to_owned(),
        r#"{"type":"set_joining","open":false}"#.to_owned(),
        r#"{"type":"set_repeat_winners","allowed":true}"#.to_owned(),
        r#"{"type":"set_claim_seconds","seconds":5}"#.to_owned(),
        r#"{"type":"remove_player","player":1}"#.to_owned(),
        r#"{"type":"end_raffle"}"#.to_owned(),
        r#"{"type":"ping"}"#.to_owned(),
    ];
    let nasty =
        ["null", "-1", "1e999", "18446744073709551616", "\"\u{202E}\"", "[]", "{}", "true", "\"<script>\""];
    (0..count)
        .map(|_| {
            let mut text = documented[rng.random_range(0..documented.len())].clone();
            match rng.random_range(0..10) {
                0 => {
                    let cut = rng.random_range(0..text.len());
                    text.truncate(cut);
                }
                1 => text = text.replacen("\"type\":\"", "\"type\":\"x", 1),
                2 => {
                    text = text.replacen(
                        '}',
                        &format!(",\"extra\":{}}}", nasty[rng.random_range(0..nasty.len())]),
                        1,
                    )
                }
                3 => {
                    // Every value replaced by something of the wrong type.
                    let value = nasty[rng.random_range(0..nasty.len())];
                    text = text.replacen(":1", &format!(":{value}"), 1).replacen(
                        ":\"Eve\"",
                        &format!(":{value}"),
                        1,
                    );
                }
                4 => {
                    text = format!(
                        "{}{}{}",
                        "[".repeat(rng.random_range(1..5_000)),
                        text,
                        "]".repeat(rng.random_range(0..5_000))
                    )
                }
                5 => {
                    let mut bytes = text.into_bytes();
                    let at = rng.random_range(0..bytes.len());
                    bytes[at] = rng.random_range(0x20..0x7f);
                    text = String::from_utf8(bytes).unwrap();
                }
                6 => return Message::binary(text.into_bytes()),
                7 => text = text.replace("Eve", &"\u{202E}<b>x</b>\u{0}".repeat(rng.random_range(1..20))),
                _ => {}
            }
            Message::text(text)
        })
        .collect()
}

#[tokio::test]
async fn ten_thousand_random_and_mutated_frames_break_nothing() {
    let mut settings = TestServer::settings();
    settings.limits.frames_per_second = 100_000; // let the whole barrage through
    let server = TestServer::start_custom(settings).await;
    let (mut host, code, host_token) = server.host().await;
    host.send(&ClientMsg::AddPrize { name: "Book".into() }).await;
    let mut honest = Vec::new();
    for name in ["Ada", "Grace", "Linus"] {
        honest.push(server.player(&code, name).await);
    }
    host.send(&ClientMsg::Draw { draw: 1, prize: Some(1) }).await;
    host.recv_until(is_winner).await;
    let (players_before, board_before) = snapshot(&server, &code, &host_token).await;

    let mut rng = StdRng::seed_from_u64(7);
    let frames = hostile_frames(&mut rng, &code, 10_000);
    let attacks = frames.chunks(500).map(|chunk| {
        let url = server.ws_url();
        let chunk = chunk.to_vec();
        tokio::spawn(async move {
            let (ws, _) =
                tokio_tungstenite::connect_async(url).await.expect("the server still takes connections");
            let (mut sink, mut stream) = ws.split();
            let drain = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
            for frame in chunk {
                if sink.send(frame).await.is_err() {
                    break; // closed for what it sent: fine
                }
            }
            let _ = sink.close().await;
            drain.abort();
        })
    });
    for attack in futures_util::future::join_all(attacks).await {
        attack.expect("no attacker task panicked");
    }

    // The raffle is intact: the honest players are in, the first draw stands, settings unchanged.
    let (players_after, board_after) = snapshot(&server, &code, &host_token).await;
    for player in &players_before {
        assert!(players_after.contains(player), "{} is still in", player.name);
    }
    assert_eq!(board_after.draws[0], board_before.draws[0]);
    assert_eq!(board_after.prizes, board_before.prizes);
    assert_eq!(
        (board_after.joining_open, board_after.repeat_winners, board_after.ended),
        (board_before.joining_open, board_before.repeat_winners, board_before.ended)
    );

    // And honest screens carry on: the host draws again and every honest phone hears it.
    let mut host = server.resume(&code, &host_token, None).await;
    let ServerMsg::HostSnapshot { board, .. } = host.recv().await else { panic!() };
    host.send(&ClientMsg::Draw { draw: board.next_draw, prize: None }).await;
    for phone in &mut honest {
        phone
            .client
            .recv_until(|m| matches!(m, ServerMsg::WinnerDrawn { draw, .. } if *draw == board.next_draw))
            .await;
    }
}
