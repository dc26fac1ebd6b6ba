//! What counts as a name, and when two names are the same.

use super::Rejected;

/// Long enough for "Maria-Fernanda Oyelaran-Schwarz", short enough for the big screen.
pub const MAX_NAME_CHARS: usize = 40;

/// Trims the name, folds runs of white space into one space and drops control characters,
/// then checks its length. Returns the name as it will be shown.
pub fn normalize_name(raw: &str, max_chars: usize) -> Result<String, Rejected> {
    let mut name = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !name.is_empty() {
            name.push(' ');
        }
        name.extend(word.chars().filter(|c| !c.is_control()));
    }
    if name.is_empty() {
        return Err(Rejected::NameEmpty);
    }
    if name.chars().count() > max_chars {
        return Err(Rejected::NameTooLong { max: max_chars });
    }
    Ok(name)
}

/// The key under which names collide: "ada lovelace" and "Ada  Lovelace" are one person.
pub(super) fn collision_key(name: &str) -> String {
    name.to_lowercase()
}
