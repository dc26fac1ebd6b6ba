//! [`ClientMsg::to_json`]: a browser's frames written by hand, byte for byte what serde's
//! derived `Serialize` writes (the tests compare every variant), so that the phone's wasm needs
//! neither serde's serializer nor serde_json's (issue 15: the phone's page carries no serde at
//! all). The derive stays for whoever serializes with serde directly.

use super::ClientMsg;
use std::fmt::Write as _;

impl ClientMsg {
    /// The frame: `{"type":"…",…}` with the fields in their declared order, `null` for a `None`
    /// unless the field is skipped when `None` (as the serde attributes say).
    pub fn to_json(&self) -> String {
        use ClientMsg as C;
        let (kind, fields) = match self {
            C::StartRaffle {} => ("start_raffle", Frame::default()),
            C::Join { code, name, join_id } => {
                let mut f = Frame::default();
                f.str("code", code).str("name", name);
                if let Some(join_id) = join_id {
                    f.str("join_id", join_id);
                }
                ("join", f)
            }
            C::Resume { code, token, last_seq } => {
                let mut f = Frame::default();
                f.str("code", code).str("token", token).opt_num("last_seq", *last_seq);
                ("resume", f)
            }
            C::Leave {} => ("leave", Frame::default()),
            C::Claim { draw } => ("claim", Frame::num_field("draw", *draw)),
            C::AddPrize { name } => ("add_prize", Frame::str_field("name", name)),
            C::RenamePrize { prize, name } => {
                let mut f = Frame::num_field("prize", *prize);
                f.str("name", name);
                ("rename_prize", f)
            }
            C::RemovePrize { prize } => ("remove_prize", Frame::num_field("prize", *prize)),
            C::Draw { draw, prize } => {
                let mut f = Frame::num_field("draw", *draw);
                f.opt_num("prize", prize.map(u64::from));
                ("draw", f)
            }
            C::Redraw { draw } => ("redraw", Frame::num_field("draw", *draw)),
            C::SetJoining { open } => ("set_joining", Frame::bool_field("open", *open)),
            C::SetRepeatWinners { allowed } => ("set_repeat_winners", Frame::bool_field("allowed", *allowed)),
            C::SetClaimSeconds { seconds } => ("set_claim_seconds", Frame::num_field("seconds", *seconds)),
            C::RemovePlayer { player } => ("remove_player", Frame::num_field("player", *player)),
            C::SetBeacon { on } => ("set_beacon", Frame::bool_field("on", *on)),
            C::ReadmitPlayer { player } => ("readmit_player", Frame::num_field("player", *player)),
            C::EndRaffle {} => ("end_raffle", Frame::default()),
            C::Ping {} => ("ping", Frame::default()),
            C::AddWalkIn { name } => ("add_walk_in", Frame::str_field("name", name)),
            C::SetNameHidden { player, hidden } => {
                let mut f = Frame::num_field("player", *player);
                f.bool("hidden", *hidden);
                ("set_name_hidden", f)
            }
            C::OpenRemoteLink {} => ("open_remote_link", Frame::default()),
            C::PairRemote { code, link, pair_id } => {
                let mut f = Frame::default();
                f.str("code", code).str("link", link);
                if let Some(pair_id) = pair_id {
                    f.str("pair_id", pair_id);
                }
                ("pair_remote", f)
            }
            C::RevokeRemote { remote } => ("revoke_remote", Frame::num_field("remote", *remote)),
        };
        let mut json = String::with_capacity(fields.0.len() + kind.len() + 12);
        json.push_str("{\"type\":");
        push_str_literal(&mut json, kind);
        json.push_str(&fields.0);
        json.push('}');
        json
    }
}

/// The fields after `type`, each written as `,"name":value`.
#[derive(Default)]
struct Frame(String);

impl Frame {
    fn num_field(name: &str, value: u32) -> Frame {
        let mut f = Frame::default();
        f.num(name, value.into());
        f
    }

    fn str_field(name: &str, value: &str) -> Frame {
        let mut f = Frame::default();
        f.str(name, value);
        f
    }

    fn bool_field(name: &str, value: bool) -> Frame {
        let mut f = Frame::default();
        f.bool(name, value);
        f
    }

    fn key(&mut self, name: &str) -> &mut String {
        self.0.push(',');
        push_str_literal(&mut self.0, name);
        self.0.push(':');
        &mut self.0
    }

    fn str(&mut self, name: &str, value: &str) -> &mut Self {
        push_str_literal(self.key(name), value);
        self
    }

    fn num(&mut self, name: &str, value: u64) -> &mut Self {
        let _ = write!(self.key(name), "{value}");
        self
    }

    fn opt_num(&mut self, name: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(value) => self.num(name, value),
            None => {
                self.key(name).push_str("null");
                self
            }
        }
    }

    fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.key(name).push_str(if value { "true" } else { "false" });
        self
    }
}

/// `text` as a JSON string, escaped as serde_json escapes: `"` and `\`, the short forms of
/// backspace, form feed, newline, return and tab, `\u00xx` (lowercase) for other control
/// characters, everything else as it is.
fn push_str_literal(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant, with its optional fields there and not, and strings that need escaping.
    fn samples() -> Vec<ClientMsg> {
        use ClientMsg as C;
        let tricky =
            "quote \" backslash \\ slash / \u{8}\u{c}\n\r\t nul \u{0} unit \u{1f} del \u{7f} é 🎉 \u{2028}";
        vec![
            C::StartRaffle {},
            C::Join { code: "K7QX2M".into(), name: tricky.into(), join_id: Some("f3a9-B_c".into()) },
            C::Join { code: "".into(), name: "Ada".into(), join_id: None },
            C::Resume { code: "K7QX2M".into(), token: "s3cr3t".into(), last_seq: Some(u64::MAX) },
            C::Resume { code: "K7QX2M".into(), token: "s3cr3t".into(), last_seq: None },
            C::Leave {},
            C::Claim { draw: u32::MAX },
            C::AddPrize { name: tricky.into() },
            C::RenamePrize { prize: 3, name: "Tea pot".into() },
            C::RemovePrize { prize: 0 },
            C::Draw { draw: 2, prize: Some(7) },
            C::Draw { draw: 2, prize: None },
            C::Redraw { draw: 1 },
            C::SetJoining { open: true },
            C::SetRepeatWinners { allowed: false },
            C::SetClaimSeconds { seconds: 60 },
            C::RemovePlayer { player: 9 },
            C::SetBeacon { on: true },
            C::ReadmitPlayer { player: 9 },
            C::EndRaffle {},
            C::Ping {},
            C::AddWalkIn { name: "Grace".into() },
            C::SetNameHidden { player: 4, hidden: true },
            C::OpenRemoteLink {},
            C::PairRemote { code: "K7QX2M".into(), link: "abc".into(), pair_id: Some("p1".into()) },
            C::PairRemote { code: "K7QX2M".into(), link: "abc".into(), pair_id: None },
            C::RevokeRemote { remote: 2 },
        ]
    }

    #[test]
    fn writes_what_serde_writes_for_every_variant() {
        let samples = samples();
        let mut kinds: Vec<String> = samples
            .iter()
            .map(|msg| {
                let serde = serde_json::to_string(msg).expect("serializable");
                assert_eq!(msg.to_json(), serde);
                assert_eq!(ClientMsg::decode(&msg.to_json()).as_ref(), Ok(msg));
                let value: serde_json::Value = serde_json::from_str(&serde).unwrap();
                value["type"].as_str().unwrap().to_owned()
            })
            .collect();
        kinds.sort();
        kinds.dedup();
        let mut known = super::super::KNOWN_CLIENT_TYPES.map(str::to_owned).to_vec();
        known.sort();
        assert_eq!(kinds, known, "a client message type has no sample");
    }

    #[test]
    fn escapes_every_control_character_as_serde_does() {
        for c in (0..0x80).filter_map(char::from_u32) {
            let msg = ClientMsg::AddPrize { name: c.to_string() };
            assert_eq!(msg.to_json(), serde_json::to_string(&msg).unwrap(), "{:?}", c);
        }
    }
}
