//! What counts as a name (of a player or a prize), and when two names are the same.

use super::Rejected;

/// Long enough for "Maria-Fernanda Oyelaran-Schwarz", short enough for the big screen.
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_PRIZE_CHARS: usize = 60;

/// Trims, folds runs of white space into one space and drops control characters. `None` if
/// nothing is left.
fn tidy(raw: &str) -> Option<String> {
    let mut name = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        if word.is_empty() {
            continue;
        }
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(&word);
    }
    (!name.is_empty()).then_some(name)
}

/// A player's name as it will be shown, or why it cannot be.
pub fn normalize_name(raw: &str, max_chars: usize) -> Result<String, Rejected> {
    let name = tidy(raw).ok_or(Rejected::NameEmpty)?;
    if name.chars().count() > max_chars {
        return Err(Rejected::NameTooLong { max: max_chars });
    }
    Ok(name)
}

pub fn normalize_prize_name(raw: &str) -> Result<String, Rejected> {
    let name = tidy(raw).ok_or(Rejected::PrizeNameEmpty)?;
    if name.chars().count() > MAX_PRIZE_CHARS {
        return Err(Rejected::PrizeNameTooLong { max: MAX_PRIZE_CHARS });
    }
    Ok(name)
}

/// The key under which names collide: "ada lovelace" and "Ada  Lovelace" are one person.
pub(super) fn collision_key(name: &str) -> String {
    name.to_lowercase()
}
