//! Who is in the raffle: players in joining order, with names unique within the raffle.

use super::name::collision_key;
use super::Rejected;
use std::collections::HashMap;

/// A player's number within its raffle, given in joining order from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlayerId(pub u32);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Player {
    pub id: PlayerId,
    pub name: String,
}

#[derive(Debug, Default)]
pub(super) struct Roster {
    players: Vec<Player>,
    /// Collision key -> index into `players`, so a join is O(1) even with 18,000 players.
    by_key: HashMap<String, usize>,
}

impl Roster {
    pub fn players(&self) -> &[Player] {
        &self.players
    }

    pub fn is_empty(&self) -> bool {
        self.players.is_empty()
    }

    pub fn get(&self, id: PlayerId) -> Option<&Player> {
        // Ids are handed out in order from 1 and players never leave, so the id is the index.
        let index = (id.0 as usize).checked_sub(1)?;
        self.players.get(index)
    }

    /// Adds a player under an already normalized name.
    pub fn add(&mut self, name: String) -> Result<&Player, Rejected> {
        let key = collision_key(&name);
        if let Some(&index) = self.by_key.get(&key) {
            return Err(Rejected::NameTaken {
                taken: self.players[index].name.clone(),
            });
        }
        let index = self.players.len();
        let id = PlayerId(index as u32 + 1);
        self.players.push(Player { id, name });
        self.by_key.insert(key, index);
        Ok(&self.players[index])
    }
}
