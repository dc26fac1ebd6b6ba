//! Join codes and secret tokens, from the OS-seeded CSPRNG. Their own module: the hub makes
//! codes and host tokens, the raffle task makes players' tokens, and neither imports the other.

use raffler_core::raffle::Token;
use rand::{Rng, RngCore};

/// No 0/O, 1/I/L: a code read off a far-away screen is typed right the first time.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

/// A fresh join code (the hub checks that no raffle has it).
pub fn new_code() -> String {
    // rand::rng() is a CSPRNG seeded from the OS: codes cannot be predicted from earlier ones.
    let mut rng = rand::rng();
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// A secret of 128 random bits, as 32 hex digits.
pub fn new_token() -> Token {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    // One allocation: a `format!` per byte made 16 more, 3 % of the server's CPU while a hall
    // joined (every join makes a token).
    let mut hex = String::with_capacity(32);
    for b in bytes {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    Token::new(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bits_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.expose().len(), 32);
        assert!(
            a.expose().bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "lowercase hex"
        );
        assert_ne!(a, b);
    }

    #[test]
    fn every_hex_digit_appears_in_tokens() {
        // A nibble mapped wrong (a digit that never comes, or one out of place) would show.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..64 {
            seen.extend(new_token().expose().chars());
        }
        assert_eq!(seen.len(), 16, "{seen:?}");
    }

    #[test]
    fn new_codes_use_the_readable_alphabet() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
        }
    }
}
