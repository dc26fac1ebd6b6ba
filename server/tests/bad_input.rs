//! Every kind of bad input gets its own error frame, and the connection and raffle carry on.

use crate::common;

use common::{TestServer, MAX_FRAME_BYTES};
use raffler_core::protocol::{ClientMsg, ErrorCode, Field, ServerMsg};
use tokio_tungstenite::tungstenite::Message;

fn error_of(msg: ServerMsg) -> (ErrorCode, Option<Field>, String) {
    match msg {
        ServerMsg::Error { code, field, message, .. } => (code, field, message),
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn join_error(server: &TestServer, code: &str, name: &str) -> (ErrorCode, Option<Field>, String) {
    let mut phone = server.client().await;
    phone.send(&ClientMsg::Join { code: code.into(), name: name.into(), join_id: None }).await;
    error_of(phone.recv().await)
}

#[tokio::test]
async fn an_unknown_code_is_refused_next_to_the_code_field() {
    let server = TestServer::start().await;
    let (code, field, message) = join_error(&server, "NOPE42", "Ada").await;
    assert_eq!((code, field), (ErrorCode::UnknownCode, Some(Field::Code)));
    assert!(message.contains("NOPE42"), "{message}");
}

#[tokio::test]
async fn bad_names_are_refused_next_to_the_name_field() {
    let server = TestServer::start().await;
    let (_host, code, _) = server.host().await;
    let _ada = server.player(&code, "Ada").await;
    for (name, expected) in [
        ("", ErrorCode::NameEmpty),
        ("   \t ", ErrorCode::NameEmpty),
        (&"x".repeat(41), ErrorCode::NameTooLong),
        ("ada", ErrorCode::NameTaken),
    ] {
        let (got, field, _) = join_error(&server, &code, name).await;
        assert_eq!((got, field), (expected, Some(Field::Name)), "name {name:?}");
    }
}

#[tokio::test]
async fn a_phone_can_fix_its_name_and_join_on_the_same_connection() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let mut phone = server.client().await;
    phone.send(&ClientMsg::Join { code: code.clone(), name: " ".into(), join_id: None }).await;
    assert_eq!(error_of(phone.recv().await).0, ErrorCode::NameEmpty);
    // Typed in lower case with a space: codes are forgiving.
    let typed = format!("{} {}", &code[..3], &code[3..]).to_lowercase();
    phone.send(&ClientMsg::Join { code: typed, name: "Ada".into(), join_id: None }).await;
    assert!(matches!(phone.recv().await, ServerMsg::Joined { .. }));
    host.wait_for_players(1).await;
}

#[tokio::test]
async fn drawing_with_no_players_is_refused_and_a_later_draw_works() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    assert_eq!(error_of(host.recv().await).0, ErrorCode::NoPlayers);
    server.player(&code, "Ada").await;
    host.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    host.recv_until(|m| matches!(m, ServerMsg::DrawStarted { .. })).await;
}

#[tokio::test]
async fn only_the_host_can_draw() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let mut phone = server.player(&code, "Mallory").await;
    host.wait_for_players(1).await;
    phone.client.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    assert_eq!(error_of(phone.client.recv().await).0, ErrorCode::NotAllowed);
    let mut stranger = server.client().await;
    stranger.send(&ClientMsg::Draw { draw: 1, prize: None }).await;
    assert_eq!(error_of(stranger.recv().await).0, ErrorCode::NotAllowed);
    host.recv_until(|m| matches!(m, ServerMsg::Presence { .. })).await;
    host.expect_silence().await;
}

#[tokio::test]
async fn malformed_unknown_binary_and_oversized_frames_get_errors_and_the_connection_carries_on() {
    let server = TestServer::start().await;
    let (mut host, code, _) = server.host().await;
    let mut phone = server.client().await;

    phone.send_raw("{not json").await;
    assert_eq!(error_of(phone.recv().await).0, ErrorCode::MalformedFrame);
    phone.send_raw(r#"{"type":"join","code":"ABC"}"#).await;
    assert_eq!(error_of(phone.recv().await).0, ErrorCode::MalformedFrame);
    phone.send_raw(r#"{"type":"become_host"}"#).await;
    assert_eq!(error_of(phone.recv().await).0, ErrorCode::UnknownMessage);
    phone.send_message(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(error_of(phone.recv().await).0, ErrorCode::MalformedFrame);
    let huge = format!(r#"{{"type":"join","code":"{code}","name":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
    phone.send_raw(huge).await;
    assert_eq!(error_of(phone.recv().await).0, ErrorCode::FrameTooLarge);

    // Same connection, same raffle: all is well.
    phone.send(&ClientMsg::Join { code, name: "Ada".into(), join_id: None }).await;
    assert!(matches!(phone.recv().await, ServerMsg::Joined { .. }));
    host.wait_for_players(1).await;
}

#[tokio::test]
async fn a_joined_phone_cannot_join_again() {
    let server = TestServer::start().await;
    let (_host, code, _) = server.host().await;
    let mut phone = server.player(&code, "Ada").await;
    phone.client.send(&ClientMsg::Join { code, name: "Ada 2".into(), join_id: None }).await;
    assert_eq!(error_of(phone.client.recv().await).0, ErrorCode::AlreadyJoined);
}

#[tokio::test]
async fn the_qr_code_is_an_svg_for_a_running_raffle_only() {
    let server = TestServer::start().await;
    let (_host, code, _) = server.host().await;
    let (head, svg) = server.http_get(&format!("/raffles/{code}/qr.svg")).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("image/svg+xml") && svg.contains("<svg"));
    let (missing, _) = server.http_get("/raffles/NOPE42/qr.svg").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}
