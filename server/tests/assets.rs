//! What a phone downloads: the wasm, JS and CSS come precompressed (brotli or gzip, as the
//! browser asks) with long-lived immutable caching under hashed names; pages are compressed as
//! they are sent and never cached. The site is a folder of this test's own, laid out as
//! `cargo leptos build --release --precompress` with `hash-files` lays it out.

use crate::common;

use common::TestServer;
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HASH: &str = "Qm9vYmFyYmF6cXV4cXV1eA";

struct Asset {
    name: String,
    content_type: &'static str,
}

fn assets() -> Vec<Asset> {
    vec![
        Asset { name: format!("raffler.{HASH}.wasm"), content_type: "application/wasm" },
        Asset { name: format!("raffler.{HASH}.js"), content_type: "text/javascript" },
        Asset { name: format!("raffler.{HASH}.css"), content_type: "text/css" },
    ]
}

/// The bytes the site folder holds for `name`: distinct per encoding, so a test can tell which
/// file was sent.
fn bytes_of(name: &str, encoding: &str) -> Vec<u8> {
    format!("{encoding} bytes of {name} ").repeat(20).into_bytes()
}

/// A site folder: pkg/ with each asset plain, .br and .gz, an unhashed CSS, and public files.
fn site_folder() -> tempfile::TempDir {
    let site =
        tempfile::Builder::new().prefix("raffler-site-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for asset in assets() {
        std::fs::write(pkg.join(&asset.name), bytes_of(&asset.name, "plain")).unwrap();
        std::fs::write(pkg.join(format!("{}.br", asset.name)), bytes_of(&asset.name, "br")).unwrap();
        std::fs::write(pkg.join(format!("{}.gz", asset.name)), bytes_of(&asset.name, "gzip")).unwrap();
    }
    std::fs::write(pkg.join("raffler.css"), bytes_of("raffler.css", "plain")).unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    site
}

async fn server_for(site: &Path) -> TestServer {
    let mut settings = TestServer::settings();
    settings.leptos = leptos::config::LeptosOptions::builder()
        .output_name("raffler")
        .site_root(site.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .env(leptos::config::Env::PROD)
        .build();
    TestServer::start_custom(settings).await
}

/// A GET with `Accept-Encoding: accept` (none if empty); returns the head and the raw body.
async fn get(server: &TestServer, path: &str, accept: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let accept = if accept.is_empty() { String::new() } else { format!("Accept-Encoding: {accept}\r\n") };
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{accept}Connection: close\r\n\r\n", server.addr);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    (head, response[split + 4..].to_vec())
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(": ")?;
        key.eq_ignore_ascii_case(name).then(|| value.to_owned())
    })
}

fn status(head: &str) -> u16 {
    head.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status")
}

#[tokio::test]
async fn the_wasm_js_and_css_come_precompressed_as_asked_and_cached_for_a_year() {
    let site = site_folder();
    let server = server_for(site.path()).await;
    for asset in assets() {
        let path = format!("/pkg/{}", asset.name);
        for (accept, encoding) in [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("", "plain")] {
            let (head, body) = get(&server, &path, accept).await;
            assert_eq!(status(&head), 200, "{path} with {accept:?}: {head}");
            assert_eq!(body, bytes_of(&asset.name, encoding), "{path} with {accept:?} sent other bytes");
            let sent_encoding = header(&head, "content-encoding");
            if encoding == "plain" {
                assert_eq!(sent_encoding, None, "{path}: {head}");
            } else {
                assert_eq!(sent_encoding.as_deref(), Some(encoding), "{path}: {head}");
            }
            assert!(
                header(&head, "content-type").is_some_and(|t| t.starts_with(asset.content_type)),
                "{path} keeps its own type whatever the encoding: {head}"
            );
            assert_eq!(
                header(&head, "cache-control").as_deref(),
                Some("public, max-age=31536000, immutable"),
                "{path}: {head}"
            );
            assert!(
                header(&head, "vary").is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{path}: {head}"
            );
            assert_eq!(header(&head, "x-content-type-options").as_deref(), Some("nosniff"));
        }
    }
}

#[tokio::test]
async fn assets_without_a_hash_in_their_name_and_missing_ones_are_not_cached_long() {
    let site = site_folder();
    let server = server_for(site.path()).await;
    let (head, _) = get(&server, "/pkg/raffler.css", "br").await;
    assert_eq!(status(&head), 200, "{head}");
    assert_eq!(header(&head, "cache-control").as_deref(), Some("no-cache"), "{head}");

    let (head, _) = get(&server, &format!("/pkg/gone.{HASH}.wasm"), "br").await;
    assert_eq!(status(&head), 404, "{head}");
    assert_eq!(header(&head, "cache-control").as_deref(), Some("no-cache"), "{head}");
}

#[tokio::test]
async fn pages_are_compressed_as_sent_and_never_cached() {
    let site = site_folder();
    let server = server_for(site.path()).await;
    for path in ["/", "/join", "/join/ABCDEF", "/host"] {
        for (accept, encoding) in [("gzip, deflate, br", Some("br")), ("gzip", Some("gzip")), ("", None)] {
            let (head, body) = get(&server, path, accept).await;
            assert_eq!(status(&head), 200, "{path}: {head}");
            assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/html")), "{head}");
            assert_eq!(
                header(&head, "content-encoding").as_deref(),
                encoding,
                "{path} with {accept:?}: {head}"
            );
            let cache = header(&head, "cache-control").unwrap_or_default();
            assert_eq!(cache, "no-cache", "{path}: a page (with its own CSP nonce) is never kept: {head}");
            assert!(header(&head, "content-security-policy").is_some_and(|csp| csp.contains("'nonce-")));
            if encoding.is_none() {
                let html = String::from_utf8(body).unwrap();
                assert!(html.contains("/pkg/raffler.css"), "the page links its stylesheet: {html}");
            }
        }
    }
}

#[tokio::test]
async fn public_files_are_served_beside_the_pages() {
    let site = site_folder();
    let server = server_for(site.path()).await;
    let (head, body) = get(&server, "/favicon.svg", "").await;
    assert_eq!(status(&head), 200, "{head}");
    assert!(String::from_utf8(body).unwrap().contains("<svg"));
    assert_eq!(header(&head, "cache-control").as_deref(), Some("no-cache"), "{head}");
}
