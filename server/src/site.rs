//! Where the site's files (the wasm, JS, CSS and `public/`) are, and Leptos' options for them.
//!
//! Under cargo-leptos (`cargo leptos watch`, `serve`, `end-to-end`) the options come from the
//! `LEPTOS_*` variables it sets. Run on its own (a systemd unit, a container, the deploy
//! artifact), the binary finds its files by itself, whatever the working directory, and serves
//! them in production mode:
//!
//! - `<binary's folder>/site/` (the deploy artifact: `raffler/server`, `raffler/site/`), else
//! - `<binary's folder>/../site/` (`target/release/server` beside cargo-leptos' `target/site/`);
//! - file names carry their content hash when `hash.txt` lies beside the binary (cargo-leptos
//!   writes it there, and Leptos reads it from there).

use leptos::config::{Env, LeptosOptions};
use std::path::{Path, PathBuf};

/// The name cargo-leptos gives the wasm, JS and CSS (`output-name` in Cargo.toml).
pub const OUTPUT_NAME: &str = "raffler";
/// The folder of the site that holds them (`site-pkg-dir`).
pub const PKG_DIR: &str = "pkg";

/// Leptos' options, and where they came from (for the log).
pub struct Site {
    pub options: LeptosOptions,
    pub found: Found,
}

pub enum Found {
    /// cargo-leptos said where (its `LEPTOS_*` variables).
    CargoLeptos,
    /// Found beside the binary.
    BesideBinary,
    /// Not found: pages are served, but no wasm, so they never come alive.
    Missing { looked_in: Vec<PathBuf> },
}

/// Leptos' options for this process: from cargo-leptos' variables when it runs us, else
/// production mode with the site found beside the binary.
pub fn locate() -> Site {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        if let Ok(conf) = leptos::config::get_configuration(None) {
            return Site { options: conf.leptos_options, found: Found::CargoLeptos };
        }
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.canonicalize().ok())
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let candidates = [exe_dir.join("site"), exe_dir.join("..").join("site")];
    let root = candidates.iter().find(|dir| dir.join(PKG_DIR).is_dir()).map(|dir| dir.canonicalize());
    let hashed = exe_dir.join("hash.txt").is_file();
    let builder = |root: &Path| {
        LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(root.to_string_lossy().into_owned())
            .site_pkg_dir(PKG_DIR)
            .env(Env::PROD)
            .hash_files(hashed)
            .build()
    };
    match root {
        Some(Ok(root)) => Site { options: builder(&root), found: Found::BesideBinary },
        _ => Site {
            options: builder(&exe_dir.join("site")),
            found: Found::Missing { looked_in: candidates.to_vec() },
        },
    }
}
