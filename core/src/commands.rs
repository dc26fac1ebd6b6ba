//! From the wire to the rules: which raffle [`Command`] each client message asks for. Beside
//! the protocol and the engine rather than in the server's socket code, so that the one
//! translation is tested here and any client of the core (a bot, a replay tool) shares it.

use crate::protocol::ClientMsg;
use crate::raffle::{Command, DrawNumber, PlayerId, PrizeId, RemoteId};

impl ClientMsg {
    /// The raffle command this message asks for; `None` for the messages a session answers
    /// itself (`ping`, `start_raffle`, `join`, `resume`: they are not commands to a raffle; the
    /// remote's `open_remote_link` and `pair_remote`: the server makes their secrets).
    pub fn into_command(self) -> Option<Command> {
        Some(match self {
            ClientMsg::Leave {} => Command::Leave,
            ClientMsg::Claim { draw } => Command::Claim { draw: DrawNumber(draw) },
            ClientMsg::AddPrize { name } => Command::AddPrize { name },
            ClientMsg::RenamePrize { prize, name } => Command::RenamePrize { prize: PrizeId(prize), name },
            ClientMsg::RemovePrize { prize } => Command::RemovePrize { prize: PrizeId(prize) },
            ClientMsg::Draw { draw, prize } => {
                Command::Draw { draw: DrawNumber(draw), prize: prize.map(PrizeId) }
            }
            ClientMsg::Redraw { draw } => Command::Redraw { draw: DrawNumber(draw) },
            ClientMsg::SetJoining { open } => Command::SetJoining { open },
            ClientMsg::SetRepeatWinners { allowed } => Command::SetRepeatWinners { allowed },
            ClientMsg::SetClaimSeconds { seconds } => Command::SetClaimSeconds { seconds },
            ClientMsg::RemovePlayer { player } => Command::RemovePlayer { player: PlayerId(player) },
            ClientMsg::ReadmitPlayer { player } => Command::ReadmitPlayer { player: PlayerId(player) },
            ClientMsg::SetBeacon { on } => Command::SetBeacon { on },
            ClientMsg::EndRaffle {} => Command::End,
            ClientMsg::AddWalkIn { name } => Command::AddWalkIn { name },
            ClientMsg::SetNameHidden { player, hidden } => {
                Command::SetNameHidden { player: PlayerId(player), hidden }
            }
            ClientMsg::RevokeRemote { remote } => Command::RevokeRemote { remote: RemoteId(remote) },
            // Both need a fresh secret from the server, which the session asks its raffle for.
            ClientMsg::OpenRemoteLink {}
            | ClientMsg::PairRemote { .. }
            | ClientMsg::Ping {}
            | ClientMsg::StartRaffle {}
            | ClientMsg::Join { .. }
            | ClientMsg::Resume { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_player_messages_become_commands() {
        assert_eq!(ClientMsg::EndRaffle {}.into_command(), Some(Command::End));
        assert_eq!(
            ClientMsg::Draw { draw: 2, prize: Some(3) }.into_command(),
            Some(Command::Draw { draw: DrawNumber(2), prize: Some(PrizeId(3)) })
        );
        assert_eq!(ClientMsg::Claim { draw: 1 }.into_command(), Some(Command::Claim { draw: DrawNumber(1) }));
        assert_eq!(
            ClientMsg::AddWalkIn { name: "Ada".into() }.into_command(),
            Some(Command::AddWalkIn { name: "Ada".into() })
        );
    }

    #[test]
    fn session_messages_are_not_commands() {
        assert_eq!(ClientMsg::Ping {}.into_command(), None);
        assert_eq!(ClientMsg::StartRaffle {}.into_command(), None);
        let resume = ClientMsg::Resume { code: "A".into(), token: "t".into(), last_seq: None };
        assert_eq!(resume.into_command(), None);
    }
}
