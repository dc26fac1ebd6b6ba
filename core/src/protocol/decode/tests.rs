//! The hand-written decoder against serde: every variant the server writes (with its optional
//! fields there and not) decodes to the same message, every name serde knows is known here, and
//! bad frames get errors that say what and where.

use super::*;

fn player(id: u32, name: &str) -> PlayerView {
    PlayerView { id, name: name.into() }
}

fn draw(n: u32, claim: ClaimView) -> DrawView {
    DrawView {
        draw: n,
        prize_id: 3,
        prize: Some("Tea \"pot\" \\ 🎉".into()),
        winner: Some(player(7, "Zoë\n名前")),
        claim,
        started_at: 1_764_000_000_000,
        revealed_at: Some(1_764_000_004_000),
        claim_changed_at: Some(1_764_000_009_000),
        redraw_of: Some(1),
        claim_ms_left: Some(55_000),
        beacon_round: Some(u64::MAX),
        void_reason: Some(VoidView::BeaconLate),
    }
}

fn bare_draw() -> DrawView {
    DrawView {
        draw: 1,
        prize_id: 0,
        prize: None,
        winner: None,
        claim: ClaimView::Spinning,
        started_at: 0,
        revealed_at: None,
        claim_changed_at: None,
        redraw_of: None,
        claim_ms_left: None,
        beacon_round: None,
        void_reason: None,
    }
}

fn board() -> Board {
    Board {
        code: "K7QX2M".into(),
        joining_open: true,
        repeat_winners: false,
        claim_seconds: 60,
        ended: true,
        ended_at: Some(1_764_000_100_000),
        fingerprint: Some("3f9a c2e1".into()),
        beacon_on: true,
        next_draw: 4,
        prizes: vec![PrizeView { id: 3, name: "Tea pot".into(), drawn: true }],
        draws: vec![draw(1, ClaimView::Skipped), draw(2, ClaimView::Claimed), bare_draw()],
        removed: vec![player(9, "Eve")],
        walk_ins: vec![4, 5],
        hidden: vec![5],
        pairing_open: true,
        remotes: vec![1, 2],
    }
}

/// At least one message of every variant, each optional field both present and absent.
fn samples() -> Vec<ServerMsg> {
    use ServerMsg as M;
    vec![
        M::RaffleStarted { code: "K7QX2M".into(), host_token: "s3cr3t".into() },
        M::HostSnapshot {
            seq: 12,
            join_url: "https://raffle.example.org/join/K7QX2M".into(),
            qr_svg_url: "/qr/K7QX2M.svg".into(),
            players: vec![player(1, "Ada"), player(2, "Grace")],
            connected: 2,
            board: board(),
        },
        M::HostSnapshot {
            seq: 0,
            join_url: String::new(),
            qr_svg_url: String::new(),
            players: vec![],
            connected: 0,
            board: Board::default(),
        },
        M::PlayersJoined { players: vec![player(3, "Linus")], total: 3 },
        M::PlayersGone { players: vec![1, 2], total: 1 },
        M::Presence { connected: u32::MAX, total: 0 },
        M::Board { seq: 5, board: board() },
        M::RemotePaired { code: "K7QX2M".into(), remote: 2, token: "r3m0te".into() },
        M::RemoteLink {
            url: "https://raffle.example.org/remote/K7QX2M#pair=abc".into(),
            ms_left: 600_000,
            qr_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0 0h1\"/></svg>".into(),
        },
        M::RemoteRevoked { seq: 8 },
        M::Joined {
            seq: 3,
            code: "K7QX2M".into(),
            token: "t0k3n".into(),
            you: player(3, "Linus"),
            fingerprint: Some("3f9a c2e1".into()),
        },
        M::Joined {
            seq: 3,
            code: "K7QX2M".into(),
            token: "t0k3n".into(),
            you: player(3, "Linus"),
            fingerprint: None,
        },
        M::Resumed { seq: u64::MAX },
        M::PlayerSnapshot {
            seq: 20,
            code: "K7QX2M".into(),
            you: player(7, "Zoë"),
            ended: true,
            draws: vec![draw(1, ClaimView::Open), draw(2, ClaimView::Expired), bare_draw()],
            fingerprint: Some("3f9a".into()),
        },
        M::PlayerSnapshot {
            seq: 1,
            code: "K7QX2M".into(),
            you: player(7, "Zoë"),
            ended: false,
            draws: vec![],
            fingerprint: None,
        },
        M::DrawStarted {
            seq: 9,
            draw: 2,
            prize: Some("Tea pot".into()),
            spin_ms: 4_000,
            redraw_of: Some(1),
            entries_hash: Some("ab12".into()),
            beacon_round: Some(123_456),
        },
        M::DrawStarted {
            seq: 9,
            draw: 2,
            prize: None,
            spin_ms: 0,
            redraw_of: None,
            entries_hash: None,
            beacon_round: None,
        },
        M::WinnerDrawn {
            seq: 10,
            draw: 2,
            prize: Some("Tea pot".into()),
            winner: player(7, "Zoë"),
            claim_seconds: 60,
        },
        M::WinnerDrawn { seq: 10, draw: 2, prize: None, winner: player(7, "Zoë"), claim_seconds: 0 },
        M::DrawVoided { seq: 11, draw: 2, reason: Some(VoidView::NobodyLeft) },
        M::DrawVoided { seq: 11, draw: 2, reason: Some(VoidView::BeaconLate) },
        M::DrawVoided { seq: 11, draw: 2, reason: None },
        M::PrizeClaimed { seq: 12, draw: 2, player: 7 },
        M::WinnerSkipped { seq: 13, draw: 2, player: 7 },
        M::Removed { seq: 14 },
        M::Left { seq: 15 },
        M::ClaimExpired { seq: 16, draw: 2, player: 7 },
        M::Ended { seq: 17, claim_ms_left: 300_000 },
        M::Pong,
        M::error(ErrorCode::NameTaken, Some(Field::Name), "That name is taken."),
        M::error(ErrorCode::UnknownRemote, None, ""),
        M::limited(ErrorCode::TooManyConnections, Some(Field::Code), "Too many.", 2_500),
    ]
}

/// Which variant a message is: a `match` with no catch-all, so a new variant fails to compile
/// here until it has a sample.
fn variant(msg: &ServerMsg) -> usize {
    use ServerMsg as M;
    match msg {
        M::RaffleStarted { .. } => 0,
        M::HostSnapshot { .. } => 1,
        M::PlayersJoined { .. } => 2,
        M::PlayersGone { .. } => 3,
        M::Presence { .. } => 4,
        M::Board { .. } => 5,
        M::RemotePaired { .. } => 6,
        M::RemoteLink { .. } => 7,
        M::RemoteRevoked { .. } => 8,
        M::Joined { .. } => 9,
        M::Resumed { .. } => 10,
        M::PlayerSnapshot { .. } => 11,
        M::DrawStarted { .. } => 12,
        M::WinnerDrawn { .. } => 13,
        M::DrawVoided { .. } => 14,
        M::PrizeClaimed { .. } => 15,
        M::WinnerSkipped { .. } => 16,
        M::Removed { .. } => 17,
        M::Left { .. } => 18,
        M::ClaimExpired { .. } => 19,
        M::Ended { .. } => 20,
        M::Pong => 21,
        M::Error { .. } => 22,
    }
}

#[test]
fn every_variant_round_trips_from_the_servers_json() {
    let mut seen = [false; 23];
    for msg in samples() {
        seen[variant(&msg)] = true;
        let text = msg.to_json();
        assert_eq!(ServerMsg::decode(&text), Ok(msg), "{text}");
    }
    assert!(seen.iter().all(|s| *s), "a variant has no sample: {seen:?}");
}

/// The types a player's phone is sent (server/src/views.rs): its join, resume and farewell, the
/// public draw messages, `pong` and `error`.
const PHONE_TYPES: [&str; 14] = [
    "joined",
    "resumed",
    "player_snapshot",
    "draw_started",
    "winner_drawn",
    "draw_voided",
    "prize_claimed",
    "winner_skipped",
    "removed",
    "left",
    "claim_expired",
    "ended",
    "pong",
    "error",
];

#[test]
fn a_phone_reads_its_messages_and_skips_the_hosts() {
    let mut phone_types = Vec::new();
    for msg in samples() {
        let text = msg.to_json();
        let kind = text.split('"').nth(3).expect("the type comes first").to_owned();
        if PHONE_TYPES.contains(&kind.as_str()) {
            phone_types.push(kind);
            assert_eq!(ServerMsg::decode_for_phone(&text), Ok(msg), "{text}");
        } else {
            assert_eq!(ServerMsg::decode_for_phone(&text), Err(DecodeError::UnknownType(kind)), "{text}");
        }
    }
    phone_types.dedup();
    assert_eq!(phone_types.len(), PHONE_TYPES.len(), "{phone_types:?}");
    // Its errors are the full decoder's.
    let bad = r#"{"type":"winner_drawn","seq":1,"draw":1,"winner":null,"claim_seconds":0}"#;
    assert_eq!(ServerMsg::decode_for_phone(bad), ServerMsg::decode(bad));
    assert_eq!(ServerMsg::decode_for_phone("[]"), ServerMsg::decode("[]"));
}

/// The backquoted names in serde's "unknown variant" error: every name its derive knows.
fn serde_names<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> Vec<String> {
    let error = serde_json::from_str::<T>(json).unwrap_err().to_string();
    let expected = error.split_once("expected").expect("serde lists what it expected").1;
    expected.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn every_name_serde_knows_is_known_here() {
    let types = serde_names::<ServerMsg>(r#"{"type":"no_such_type"}"#);
    assert_eq!(types.len(), 23, "{types:?}");
    for kind in types {
        let decoded = ServerMsg::decode(&format!(r#"{{"type":"{kind}"}}"#));
        assert!(!matches!(decoded, Err(DecodeError::UnknownType(_))), "{kind}: {decoded:?}");
    }
    fn check<T: FromJson + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(table: &[(&str, T)]) {
        let names = serde_names::<T>(r#""no_such_name""#);
        assert_eq!(names.len(), table.len(), "{names:?}");
        for name in names {
            let serde: T = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(T::from_json(Json::Str(name.clone())), Ok(serde), "{name}");
        }
    }
    check(&ERROR_CODES);
    check(&CLAIMS);
    check(&VOIDS);
    check(&FIELDS);
}

/// Frames as an older or newer server writes them: fields missing, extra or reordered.
#[test]
fn reads_what_serde_reads_from_other_servers() {
    for text in [
        // From before the beacon: no `reason`, no `entries_hash`, no `beacon_round`.
        r#"{"type":"draw_voided","seq":1,"draw":2}"#,
        r#"{"type":"draw_started","seq":1,"draw":2,"prize":null,"spin_ms":4000}"#,
        // A board from before walk-ins, hidden names and remotes; a draw without beacon_round.
        r#"{"type":"board","seq":2,"board":{"code":"K7QX2M","joining_open":true,"repeat_winners":false,
            "claim_seconds":0,"ended":false,"ended_at":null,"next_draw":2,"prizes":[],"removed":[],
            "draws":[{"draw":1,"prize_id":0,"prize":null,"winner":{"id":1,"name":"Ada"},"claim":"open",
            "started_at":5,"revealed_at":6,"claim_changed_at":null,"redraw_of":null,"claim_ms_left":null}]}}"#,
        // A newer server's extra fields, and the tag last.
        r#"{"seq":4,"confetti":[1.5,-2,{"x":null}],"type":"resumed"}"#,
        r#"{"type":"pong","extra":true}"#,
        r#" { "type" : "left" , "seq" : 3 } "#,
    ] {
        let serde: ServerMsg = serde_json::from_str(text).expect(text);
        assert_eq!(ServerMsg::decode(text), Ok(serde), "{text}");
    }
}

#[test]
fn bad_frames_say_what_is_wrong() {
    let malformed = |detail: &str| Err(DecodeError::Malformed(detail.into()));
    assert_eq!(ServerMsg::decode("not json"), malformed("expected a value at byte 0"));
    assert_eq!(ServerMsg::decode(r#"{"type":"left","seq":1"#), malformed("expected `,` or `}` at byte 22"));
    assert_eq!(ServerMsg::decode("[1]"), malformed("expected an object, found an array"));
    assert_eq!(ServerMsg::decode(r#"{"seq":1}"#), malformed("missing field `type`"));
    assert_eq!(ServerMsg::decode(r#"{"type":7}"#), malformed("`type`: expected a string, found a number"));
    assert_eq!(ServerMsg::decode(r#"{"type":"resumed"}"#), malformed("resumed: missing field `seq`"));
    assert_eq!(
        ServerMsg::decode(r#"{"type":"resumed","seq":"1"}"#),
        malformed("resumed: `seq`: expected an unsigned integer, found a string")
    );
    assert_eq!(
        ServerMsg::decode(r#"{"type":"resumed","seq":-1}"#),
        malformed("resumed: `seq`: expected an unsigned integer, found a number")
    );
    assert_eq!(
        ServerMsg::decode(r#"{"type":"presence","connected":4294967296,"total":0}"#),
        malformed("presence: `connected`: number too large")
    );
    assert_eq!(
        ServerMsg::decode(
            r#"{"type":"player_snapshot","seq":1,"code":"K","you":{"id":1,"name":"A"},"ended":false,"draws":[{"draw":1}]}"#
        ),
        malformed("player_snapshot: `draws`: [0]: missing field `prize_id`")
    );
    assert_eq!(
        ServerMsg::decode(r#"{"type":"error","code":"gremlins","field":null,"message":""}"#),
        malformed("error: `code`: unknown value `gremlins`")
    );
    assert_eq!(
        ServerMsg::decode(r#"{"type":"winner_drawn","seq":1,"draw":1,"winner":null,"claim_seconds":0}"#),
        malformed("winner_drawn: `winner`: expected an object, found null")
    );
    assert_eq!(
        ServerMsg::decode(r#"{"type":"teleport","seq":1}"#),
        Err(DecodeError::UnknownType("teleport".into()))
    );
}

#[test]
fn every_error_the_core_can_refuse_with_decodes() {
    use crate::raffle::Rejected;
    for why in [Rejected::NameEmpty, Rejected::NotAllowed, Rejected::ClaimClosed, Rejected::RemoteLinkUsed] {
        let msg = ServerMsg::rejected(&why);
        assert_eq!(ServerMsg::decode(&msg.to_json()), Ok(msg));
    }
}
