//! `raffler-draw/1`: how a draw's winner follows from inputs that are published, so that anyone
//! can recompute every winner after the evening. Pure functions: the server draws with them and
//! the verify page (the same code, compiled to wasm) checks with them. docs/fairness.md explains
//! the scheme for a sceptical attendee and gives an independent Python check.
//!
//! - The **seed**, 32 bytes from the server's CSPRNG, is made when the raffle starts; only its
//!   SHA-256, the **commitment**, is shown until the raffle has ended.
//! - A draw's **entries** are the players who could win when it started, by ascending id; their
//!   **entries hash** is SHA-256 over `"{id}\t{name}\n"` for each.
//! - The **randomness** is that of a drand beacon round that did not exist yet when the entries
//!   were frozen (or none, for a draw the host made without the beacon).
//! - The winner: HMAC-SHA256 keyed by the seed over the draw's inputs and a counter gives
//!   candidates; each is mapped onto the list by rejection sampling (no modulo bias), and one
//!   whose player left during the spin is passed over for the next.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The name of this scheme, written into every record: a later scheme gets a new name.
pub const SCHEME: &str = "raffler-draw/1";

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The secret a raffle's draws are keyed with, published once the raffle has ended.
pub type Seed = [u8; 32];

pub fn commitment(seed: &Seed) -> Hash {
    Sha256::digest(seed).into()
}

/// The commitment as people compare it between the big screen and their phone: its first eight
/// bytes, `3F9A-12C4-0B7E-55D1`. Sixty-four bits, so that no operator can prepare a second seed
/// with the same fingerprint (32 bits would take a GPU under a second).
pub fn fingerprint(commitment: &Hash) -> String {
    // Every phone's `joined` carries it: built by hand, not by `format!`.
    let mut grouped = String::with_capacity(19);
    for (i, pair) in commitment[..8].chunks(2).enumerate() {
        if i > 0 {
            grouped.push('-');
        }
        push_hex(&mut grouped, pair, b"0123456789ABCDEF");
    }
    grouped
}

/// The entries hash of a draw: `entries` in ascending id order, as (id, name).
pub fn entries_hash<'a>(entries: impl IntoIterator<Item = (u32, &'a str)>) -> Hash {
    // A draw at 18,000 hashes 18,000 lines before anyone learns the winner: no `format!` each.
    let (mut hasher, mut digits) = (Sha256::new(), itoa::Buffer::new());
    for (id, name) in entries {
        hasher.update(digits.format(id));
        hasher.update(b"\t");
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

/// What a draw's pick depends on, besides the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawInputs<'a> {
    pub code: &'a str,
    pub draw: u32,
    pub entries_hash: &'a Hash,
    /// The beacon round's randomness; `None` for a draw made from the seed alone.
    pub randomness: Option<&'a Hash>,
}

impl DrawInputs<'_> {
    /// The bytes the HMAC covers (before the counter).
    fn message(&self) -> Vec<u8> {
        let randomness = self.randomness.map_or_else(|| "none".to_owned(), |r| to_hex(r));
        format!("{SCHEME}\n{}\n{}\n{}\n{randomness}\n", self.code, self.draw, to_hex(self.entries_hash))
            .into_bytes()
    }
}

/// The index of the winning entry: `still_in[i]` says whether entry `i` is still in the raffle
/// at the reveal. `None` when nobody is (the draw is void).
pub fn pick(seed: &Seed, inputs: &DrawInputs<'_>, still_in: &[bool]) -> Option<usize> {
    if !still_in.iter().any(|&is_in| is_in) {
        return None;
    }
    let n = still_in.len() as u64;
    // The largest multiple of n that fits: values at or above it would favour the first entries.
    let limit = (u64::MAX / n) * n;
    let message = inputs.message();
    (0u32..).find_map(|counter| {
        let mut mac = Hmac::<Sha256>::new_from_slice(seed).expect("HMAC takes any key length");
        mac.update(&message);
        mac.update(&counter.to_be_bytes());
        let bytes = mac.finalize().into_bytes();
        let x = u64::from_be_bytes(bytes[..8].try_into().expect("8 of 32 bytes"));
        let index = (x % n) as usize;
        (x < limit && still_in[index]).then_some(index)
    })
}

/// Bytes from hex of any even length (a beacon's signature); `None` if it is not hex.
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    // Hex digits only: `from_str_radix` would take a leading `+`, which Python's check refuses.
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

pub fn to_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(2 * bytes.len());
    push_hex(&mut hex, bytes, b"0123456789abcdef");
    hex
}

fn push_hex(out: &mut String, bytes: &[u8], digits: &[u8; 16]) {
    for b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0xf)]));
    }
}

/// `None` unless `text` is exactly `N` bytes of hex.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in text.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: Seed = [7; 32];
    const HASH: Hash = [1; 32];

    fn inputs<'a>(draw: u32, randomness: Option<&'a Hash>) -> DrawInputs<'a> {
        DrawInputs { code: "K7QX2M", draw, entries_hash: &HASH, randomness }
    }

    #[test]
    fn the_documented_example_gives_the_documented_winner() {
        // The same numbers are in docs/fairness.md and in its Python check.
        let seed: Seed =
            from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").unwrap();
        assert_eq!(
            to_hex(&commitment(&seed)),
            "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
        );
        assert_eq!(fingerprint(&commitment(&seed)), "630D-CD29-66C4-3366");
        let entries = entries_hash([(1, "Ada Lovelace"), (2, "Grace Hopper"), (4, "Katherine Johnson")]);
        let randomness: Hash =
            from_hex("fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd").unwrap();
        let draw =
            DrawInputs { code: "K7QX2M", draw: 1, entries_hash: &entries, randomness: Some(&randomness) };
        let winner = pick(&seed, &draw, &[true, true, true]).unwrap();
        assert_eq!(winner, DOCUMENTED_WINNER, "entries hash {}", to_hex(&entries));
    }

    /// Pinned from the first run: if it changes, the scheme changed and needs a new name.
    const DOCUMENTED_WINNER: usize = 2;

    #[test]
    fn entries_hash_covers_the_documented_lines() {
        let entries = [(1, "Ada"), (10, "Grace Hopper"), (4_294_967_295, "Émile")];
        let lines: String = entries.iter().map(|(id, name)| format!("{id}\t{name}\n")).collect();
        assert_eq!(entries_hash(entries), <[u8; 32]>::from(Sha256::digest(lines.as_bytes())));
        assert_eq!(entries_hash([]), <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn hex_reads_back() {
        assert_eq!(from_hex::<2>("0aff"), Some([10, 255]));
        assert_eq!(from_hex::<2>("0af"), None);
        assert_eq!(from_hex::<1>("zz"), None);
    }

    #[test]
    fn nobody_in_means_no_winner_and_someone_in_always_wins() {
        assert_eq!(pick(&SEED, &inputs(1, None), &[false, false]), None);
        assert_eq!(pick(&SEED, &inputs(1, None), &[]), None);
        assert_eq!(pick(&SEED, &inputs(1, None), &[false, true, false]), Some(1));
    }

    #[test]
    fn every_input_moves_the_result() {
        let still_in = vec![true; 1_000];
        let base = pick(&SEED, &inputs(1, None), &still_in);
        let r: Hash = [9; 32];
        let other_hash: Hash = [2; 32];
        let changed = [
            pick(&[8; 32], &inputs(1, None), &still_in),
            pick(&SEED, &inputs(2, None), &still_in),
            pick(&SEED, &inputs(1, Some(&r)), &still_in),
            pick(&SEED, &DrawInputs { code: "K7QX2N", ..inputs(1, None) }, &still_in),
            pick(&SEED, &DrawInputs { entries_hash: &other_hash, ..inputs(1, None) }, &still_in),
        ];
        for (i, result) in changed.iter().enumerate() {
            assert_ne!(*result, base, "input {i} did not change the winner (1 in 1,000 by chance)");
        }
    }

    #[test]
    fn picks_are_uniform_by_a_chi_squared_test() {
        // 6 entries, 12,000 draws over different seeds: 2,000 expected each. With 5 degrees of
        // freedom, chi-squared stays under 20.5 with probability 0.999.
        let mut counts = [0u32; 6];
        for i in 0u32..12_000 {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_be_bytes());
            counts[pick(&seed, &inputs(1, None), &[true; 6]).unwrap()] += 1;
        }
        let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - 2_000.0).powi(2) / 2_000.0).sum();
        assert!(chi2 < 20.5, "chi-squared {chi2:.1} for {counts:?}");
    }

    #[test]
    fn a_player_who_left_is_passed_over_for_the_next_candidate() {
        let everyone = [true; 5];
        let first = pick(&SEED, &inputs(3, None), &everyone).unwrap();
        let mut without = everyone;
        without[first] = false;
        let second = pick(&SEED, &inputs(3, None), &without).unwrap();
        assert_ne!(first, second);
    }
}
