//! Secret tokens: a phone's or a host's proof of who it is when it comes back.

use std::fmt;

/// A secret handed to one screen. The caller makes it (128 bits or more from a CSPRNG); the
/// raffle only remembers and compares it. Its `Debug` never shows the secret, so a token cannot
/// reach a log line by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Self {
        Token(secret.into())
    }

    /// The secret itself, for the one frame that hands it to its owner.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<secret>)")
    }
}
