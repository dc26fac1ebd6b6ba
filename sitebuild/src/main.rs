//! Raffler's release build without cargo-leptos: what `cargo leptos build --release
//! --precompress --split` does for this project, with the same output, so that the server and
//! the tests do not notice (README, "First run": compiling cargo-leptos took 20 minutes of a
//! fresh machine's first serve; this tool compiles in a few).
//!
//! ```text
//! sitebuild site [--no-server]            the site in <target>/site, hash.txt and the server
//! sitebuild bindgen INPUT OUT_DIR NAME    wasm-bindgen --target web --no-typescript (verifier)
//! ```
//!
//! `site` reads `[[workspace.metadata.leptos]]` (the section `cargo leptos watch` reads), builds
//! the server (`cargo build --release`) while it builds the wasm, splits it, binds it, optimizes
//! it (wasm-opt), minifies the JS (esbuild) and the CSS (Lightning CSS), copies `assets-dir`,
//! names the files by their content hash, writes `hash.txt` beside the server, and writes the
//! brotli and gzip copies of every file of the site. wasm-opt and esbuild come from npm
//! (`end2end/node_modules/.bin`, put on PATH by scripts/tools.sh).

mod assets;
mod compress;
mod config;
mod front;
mod hash;
mod style;

use anyhow::{bail, Context, Result};
use config::Project;
use std::fs;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::Instant;

fn main() {
    if let Err(error) = run_cli(std::env::args().skip(1).collect()) {
        eprintln!("sitebuild: {error:#}");
        std::process::exit(1);
    }
}

fn run_cli(args: Vec<String>) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["site"] => site(true),
        ["site", "--no-server"] => site(false),
        ["bindgen", input, out_dir, out_name] => {
            fs::create_dir_all(out_dir)?;
            front::bindgen(Path::new(input), Path::new(out_dir), out_name, false)
        }
        _ => {
            bail!("usage: sitebuild site [--no-server] | sitebuild bindgen INPUT OUT_DIR NAME (got {args:?})")
        }
    }
}

/// The whole release build (see the crate's comment).
fn site(with_server: bool) -> Result<()> {
    let started = Instant::now();
    say("reading the project");
    let project = Project::load()?;
    // The server does not need the site to compile: built beside the wasm, it keeps the
    // second core busy while the wasm's single-unit LTO link runs on one.
    let server = if with_server { Some(start_server_build(&project)?) } else { None };
    let built = build_site(&project);
    if let Some(mut server) = server {
        let status = server.wait()?;
        built?;
        if !status.success() {
            bail!("cargo build (the server) failed");
        }
    } else {
        built?;
    }
    say(&format!("release build done in {:.0?}", started.elapsed()));
    Ok(())
}

fn start_server_build(project: &Project) -> Result<Child> {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(&project.root).args([
        "build".to_owned(),
        format!("--package={}", project.bin_package),
        format!("--bin={}", project.bin_package),
    ]);
    if !project.bin_default_features {
        cargo.arg("--no-default-features");
    }
    if !project.bin_features.is_empty() {
        cargo.arg(format!("--features={}", project.bin_features.join(",")));
    }
    cargo.arg("--release").envs(project.leptos_env());
    say("cargo build --release (the server), beside the wasm");
    cargo.spawn().context("starting cargo")
}

fn build_site(project: &Project) -> Result<()> {
    let root = project.site_root();
    // A fresh site each time, as cargo-leptos empties it: no stale hashed names are left.
    if root.exists() {
        fs::remove_dir_all(&root).with_context(|| format!("emptying {}", root.display()))?;
    }
    fs::create_dir_all(project.site_pkg())?;

    front::build(project)?;

    if let Some(style_file) = &project.style_file {
        say("the CSS (Lightning CSS)");
        let source = project.root.join(style_file);
        let css = fs::read_to_string(&source).with_context(|| format!("reading {}", source.display()))?;
        let css = style::process(&css, style_file, &project.browserquery)?;
        fs::write(project.site_pkg().join(format!("{}.css", project.output_name)), css)?;
    }
    if let Some(assets_dir) = &project.assets_dir {
        assets::copy(&project.root.join(assets_dir), &root, &project.pkg_dir)?;
    }

    if project.hash_files {
        say("content hashes in the names, and hash.txt");
        let hashes = hash::hash_site(&project.site_pkg(), &project.output_name, true)?;
        let text = hash::hash_txt(
            &hashes.js,
            &hashes.wasm,
            &hashes.css,
            hashes.manifest.as_deref(),
            hashes.split.as_deref(),
        );
        let hash_file = project.server_exe().with_file_name("hash.txt");
        fs::create_dir_all(hash_file.parent().context("hash.txt has a folder")?)?;
        fs::write(&hash_file, text)?;
    }

    say("brotli and gzip of every file of the site");
    compress::compress_all(&root)?;
    Ok(())
}

/// Runs `command` to its end; an error names `what` if it fails.
pub fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// A step, in the same bold `==>` as the scripts, with the seconds since the start (which
/// step takes how long is the first question when a build is slow).
pub fn say(message: &str) {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed().as_secs_f32();
    eprintln!("\x1b[1m==> sitebuild [{elapsed:5.1} s]: {message}\x1b[0m");
}
