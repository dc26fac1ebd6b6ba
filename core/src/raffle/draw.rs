//! How a winner is chosen: uniformly, from the injected random source.

use super::PlayerId;
use rand::{Rng, RngCore};

/// One of `eligible`, each with the same chance; `None` when there is nobody to pick.
pub(super) fn pick_uniformly(rng: &mut dyn RngCore, eligible: &[PlayerId]) -> Option<PlayerId> {
    if eligible.is_empty() {
        return None;
    }
    // `random_range` rejects biased samples, unlike `next_u32() % len`.
    let index = rng.random_range(0..eligible.len());
    Some(eligible[index])
}
