//! `assets-dir` (public/) copied into the site root, as cargo-leptos mirrors it: everything,
//! folders included, except what the build itself writes there (`index.html`, the package
//! folder), which cargo-leptos refuses to overwrite.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::Path;

/// Copies every file under `from` into `to`, keeping the folders.
pub fn copy(from: &Path, to: &Path, pkg_dir: &str) -> Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    for reserved in ["index.html", pkg_dir] {
        if from.join(reserved).exists() {
            bail!("{} has {reserved}, which the build writes itself: move or rename it", from.display());
        }
    }
    for relative in crate::hash::files_under(from)? {
        let target = to.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(from.join(&relative), &target).with_context(|| format!("copying {}", relative.display()))?;
    }
    Ok(())
}
