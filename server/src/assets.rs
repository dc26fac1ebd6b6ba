//! What a phone downloads, made small and cached.
//!
//! - The wasm, JS and CSS under `/pkg` are served by tower-http's `ServeDir` with the brotli
//!   and gzip files the release build (`scripts/build.sh`: `sitebuild/`, as cargo-leptos'
//!   `--precompress` would) writes beside them
//!   (`raffler.<hash>.wasm.br`, `.gz`): a browser that accepts `br` or `gzip` gets those bytes,
//!   compressed once at build time at the highest level; any other gets the plain file.
//! - A file whose name carries its content hash (`hash-files = true`) never changes
//!   under that name: it is cached for a year, `immutable`. So are the lazy routes' wasm chunks
//!   and their loader (`--split`: `split_*.<hash>.wasm`, `chunk_*.<hash>.wasm`,
//!   `__wasm_split.<hash>.js`). Any other asset is revalidated
//!   (`no-cache`), so `cargo leptos watch` keeps reloading fresh files.
//! - Everything else the server answers (pages, the QR code, errors) is compressed as it is
//!   sent (`CompressionLayer`, br or gzip), and pages are never cached: each carries its own
//!   CSP nonce.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::config::LeptosOptions;
use std::path::PathBuf;
use tower_http::services::ServeDir;

/// `Cache-Control` of a file whose name carries its content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else: revalidate before each use.
pub const REVALIDATE: &str = "no-cache";

/// The route the site's package folder is served at, e.g. `/pkg`.
pub fn pkg_route(options: &LeptosOptions) -> String {
    format!("/{}", options.site_pkg_dir.trim_matches('/'))
}

/// The files of `site_root/pkg`, with their precompressed variants when the browser takes them.
pub fn pkg_files(options: &LeptosOptions) -> ServeDir {
    let folder = PathBuf::from(&*options.site_root).join(options.site_pkg_dir.trim_matches('/'));
    ServeDir::new(folder).precompressed_br().precompressed_gzip()
}

/// Sets `Cache-Control` (and `Vary` for the assets) on every response that has none:
/// hashed assets are immutable for a year, everything else is revalidated.
pub async fn cache_headers(request: Request, next: Next) -> Response {
    let asset = request.uri().path().starts_with("/pkg/");
    let hashed = asset && is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let ok = response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    if asset {
        // The same URL gives br, gzip or plain bytes: caches must keep them apart.
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let policy = if hashed && ok { IMMUTABLE } else { REVALIDATE };
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(policy));
    response
}

/// Whether the last segment of `path` is a hashed name (sitebuild's, as cargo-leptos'): `name.<hash>.ext`, the
/// hash being an MD5 in unpadded base64url (22 characters).
pub fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    // 22 underscores is not a hash but the split loader's placeholder (`--split` without
    // hash-files), whose content changes from build to build.
    let is_hash = |part: &str| {
        part.len() == 22
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && part.bytes().any(|b| b != b'_')
    };
    // The stem comes first and the extension last: the hash is in between.
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|part| is_hash(part))
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("/pkg/raffler.Qm9vYmFyYmF6cXV4cXV1eA.wasm"));
        assert!(is_hashed("/pkg/raffler.Qm9vYmFy-mF6cXV4cX_1eA.wasm.br"));
        assert!(is_hashed("/pkg/raffler.Qm9vYmFyYmF6cXV4cXV1eA.css"));
        assert!(!is_hashed("/pkg/raffler.wasm"));
        assert!(!is_hashed("/pkg/raffler_bg.wasm"));
        assert!(!is_hashed("/pkg/raffler.css.gz"));
        assert!(!is_hashed("/pkg/Qm9vYmFyYmF6cXV4cXV1eA"));
    }

    /// The split build adds the lazy routes' chunks, the split loader and its
    /// manifest to `/pkg`, under hashed names too: cached a year like the main wasm.
    #[test]
    fn split_chunks_are_hashed() {
        assert!(is_hashed("/pkg/split___host_route_view_6209651931147527283.Z4LfxDnvVmgmwnSUnt6Stg.wasm"));
        assert!(is_hashed(
            "/pkg/split___stage_route_view_14493908318734454118.qzOC4MnSXTDCJF-lkngbEA.wasm.br"
        ));
        assert!(is_hashed("/pkg/chunk_5.HpDq4OVObwge-9pu69eWGg.wasm"));
        assert!(is_hashed("/pkg/__wasm_split.y5H3-Hh4WntaNkJQLArc4w.js"));
        assert!(is_hashed("/pkg/__wasm_split_manifest.PiioKpamwypYsu2CECkvYw.json"));
        // The loader's placeholder name (no hash-files): revalidated, not immutable.
        assert!(!is_hashed("/pkg/__wasm_split.______________________.js"));
    }
}
