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
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    Token::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bits_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.expose().len(), 32);
        assert_ne!(a, b);
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
