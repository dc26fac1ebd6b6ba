//! What counts as a name (of a player or a prize), and when two names are the same.
//!
//! A name shown on a projector must be what it looks like: it is Unicode-normalized (NFC),
//! stripped of control characters and of the invisible ones that reorder or hide text (bidi
//! overrides, isolates and marks, zero-width characters), trimmed, and its inner white space
//! folded. Two names collide when they would look alike: compared after compatibility
//! normalization (NFKC) and ignoring case, so "Ada", "ADA", "Ａｄａ" and "Ada\u{200B}" are one.

use super::Rejected;
use unicode_normalization::UnicodeNormalization;

/// Long enough for "Maria-Fernanda Oyelaran-Schwarz", short enough for the big screen.
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_PRIZE_CHARS: usize = 60;

/// Characters that change how the text around them shows while showing nothing themselves.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{061C}'                // Arabic letter mark
        | '\u{180E}'                // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2069}'   // word joiner, invisible operators, bidi isolates
        | '\u{FEFF}'                // zero-width no-break space
        | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotations
    )
}

/// Drops control and invisible characters, normalizes to NFC, trims and folds white space.
/// `None` if nothing is left.
fn tidy(raw: &str) -> Option<String> {
    // Most names are ASCII, which NFC leaves as it is and which has no invisible characters:
    // a hall of 18,000 joins skips the normalizer's tables (tested equal below).
    let name = if raw.is_ascii() {
        fold_whitespace(raw.chars().filter(|c| !c.is_control()))
    } else {
        let visible: String = raw.chars().filter(|c| !c.is_control() && !is_invisible(*c)).collect();
        fold_whitespace(visible.nfc())
    };
    (!name.is_empty()).then_some(name)
}

/// The words of `chars` with one space between them and none around them.
fn fold_whitespace(chars: impl Iterator<Item = char>) -> String {
    let mut folded = String::new();
    let mut space = false;
    for c in chars {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !folded.is_empty() {
            folded.push(' ');
        }
        space = false;
        folded.push(c);
    }
    folded
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

/// The key under which names collide: what is left when look-alike differences are dropped.
pub fn collision_key(name: &str) -> String {
    if name.is_ascii() {
        // NFKC leaves ASCII as it is, and ASCII's lower case is ASCII (tested equal below).
        return fold_whitespace(name.chars().filter(|c| !c.is_control()).map(|c| c.to_ascii_lowercase()));
    }
    unicode_collision_key(name)
}

fn unicode_collision_key(name: &str) -> String {
    let folded: String = name.nfkc().flat_map(char::to_lowercase).collect();
    fold_whitespace(folded.nfkc().filter(|c| !c.is_control() && !is_invisible(*c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_tidied_for_the_big_screen() {
        assert_eq!(normalize_name("  Ada \t Lovelace ", 40).unwrap(), "Ada Lovelace");
        assert_eq!(normalize_name("e\u{301}mile", 40).unwrap(), "\u{e9}mile", "composed (NFC)");
        assert_eq!(normalize_name("Ada\u{202E}ecalevoL", 40).unwrap(), "AdaecalevoL", "no bidi override");
        assert_eq!(normalize_name("\u{200B}\u{2066}\u{7}", 40), Err(Rejected::NameEmpty));
    }

    #[test]
    fn names_that_look_alike_collide() {
        let ada = collision_key("Ada");
        for twin in ["ADA", "ada", "\u{FF21}\u{FF44}\u{FF41}", "Ada\u{200B}", "A\u{2066}da", " Ada "] {
            assert_eq!(collision_key(&normalize_name(twin, 40).unwrap()), ada, "{twin:?}");
        }
        assert_eq!(collision_key("\u{e9}mile"), collision_key("E\u{301}MILE"));
        assert_ne!(collision_key("Ada"), collision_key("Adam"));
    }

    fn unicode_soup() -> impl Strategy<Value = String> {
        // Letters, marks, spaces, controls and the invisible characters, mixed.
        let pieces = prop_oneof![
            "[a-zA-Z ]{1,4}",
            Just("\u{301}".to_owned()),
            Just("\u{202E}".to_owned()),
            Just("\u{2066}".to_owned()),
            Just("\u{200B}".to_owned()),
            Just("\u{FEFF}".to_owned()),
            Just("\u{7}\n\t".to_owned()),
            Just("\u{FF21}".to_owned()),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(raw in unicode_soup()) {
            if let Ok(name) = normalize_name(&raw, 1_000) {
                prop_assert_eq!(normalize_name(&name, 1_000), Ok(name.clone()));
                prop_assert_eq!(collision_key(&name), collision_key(&collision_key(&name)));
            }
        }

        #[test]
        fn no_control_or_invisible_character_survives(raw in unicode_soup()) {
            if let Ok(name) = normalize_name(&raw, 1_000) {
                prop_assert!(name.chars().all(|c| !c.is_control() && !is_invisible(c)), "{:?}", name);
                prop_assert_eq!(name.trim(), name.as_str());
                prop_assert!(!name.contains("  "));
            }
        }

        #[test]
        fn white_space_folds_as_split_and_join_would(raw in unicode_soup()) {
            prop_assert_eq!(fold_whitespace(raw.chars()), raw.split_whitespace().collect::<Vec<_>>().join(" "));
        }

        #[test]
        fn ascii_takes_a_shortcut_to_the_same_names_and_keys(raw in "[\\x00-\\x7f]{0,48}") {
            let slow_tidy = {
                let visible: String = raw.chars().filter(|c| !c.is_control() && !is_invisible(*c)).collect();
                let normalized: String = visible.nfc().collect();
                normalized.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            prop_assert_eq!(tidy(&raw).unwrap_or_default(), slow_tidy);
            prop_assert_eq!(collision_key(&raw), unicode_collision_key(&raw));
        }

        #[test]
        fn look_alikes_collide(name in "[a-zA-Z\u{e0}-\u{ff}]{1,10}( [a-zA-Z]{1,6})?") {
            let key = collision_key(&normalize_name(&name, 1_000).unwrap());
            let decomposed: String = name.nfd().collect();
            let shouting = name.to_uppercase();
            let hidden = format!("\u{200B}{}\u{2066}", name);
            for twin in [decomposed, shouting, hidden] {
                prop_assert_eq!(collision_key(&normalize_name(&twin, 1_000).unwrap()), key.clone(), "{:?}", twin);
            }
        }
    }
}
