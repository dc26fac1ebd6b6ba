//! The browser's side, as cargo-leptos 0.3.10 builds it with `--release --split` (its
//! `compile/front.rs` and `wasm_split_tools/`):
//!
//! 1. `cargo build` of the frontend for wasm32 in its own target folder, with
//!    `-Clink-args=--emit-relocs` (the splitter needs the relocations);
//! 2. the split at the lazy routes (`wasm_split_cli_support`): chunks and their loader into the
//!    site, the main module beside the cargo output as `<lib>_split.wasm`, and the manifest;
//! 3. wasm-bindgen on the main module (`--target web --keep-lld-exports --no-demangle`, the
//!    chunks call into the main module's exports by their linker names);
//! 4. `wasm-opt -Oz` on the main wasm and every chunk (binaryen from npm: Debian's is too old);
//! 5. the JS minified (cargo-leptos uses swc, a large compile; esbuild from npm does it here).

use crate::config::{shown, Project};
use crate::hash::{LOADER_PLACEHOLDER, MANIFEST};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The flag cargo-leptos adds to the wasm's rustflags for `--split`.
pub const EMIT_RELOCS: &str = "-Clink-args=--emit-relocs";

/// The rustflags for the wasm build: the caller's, if any, and the split's flag. Returns the
/// variable to set and its value (cargo reads `CARGO_ENCODED_RUSTFLAGS` before `RUSTFLAGS`).
/// Setting either makes cargo ignore `rustflags` from its config files (cargo-leptos merges
/// those in; this project has none): put such flags in `RUSTFLAGS` instead.
pub fn wasm_rustflags(encoded: Option<&str>, plain: Option<&str>) -> (&'static str, String) {
    match (encoded, plain) {
        (Some(flags), _) if !flags.is_empty() => {
            ("CARGO_ENCODED_RUSTFLAGS", format!("{flags}\x1f{EMIT_RELOCS}"))
        }
        (_, Some(flags)) if !flags.trim().is_empty() => {
            ("RUSTFLAGS", format!("{} {EMIT_RELOCS}", flags.trim()))
        }
        _ => ("RUSTFLAGS", EMIT_RELOCS.to_owned()),
    }
}

/// The cargo command that builds the frontend's wasm.
pub fn cargo_command(project: &Project) -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(&project.root).args([
        "build".to_owned(),
        format!("--package={}", project.lib_package),
        "--lib".to_owned(),
        format!("--target-dir={}", project.front_target().display()),
        "--target=wasm32-unknown-unknown".to_owned(),
    ]);
    if !project.lib_default_features {
        cargo.arg("--no-default-features");
    }
    if !project.lib_features.is_empty() {
        cargo.arg(format!("--features={}", project.lib_features.join(",")));
    }
    cargo.arg(format!("--profile={}", project.lib_profile));
    cargo.envs(project.leptos_env());
    let encoded = std::env::var("CARGO_ENCODED_RUSTFLAGS").ok();
    let plain = std::env::var("RUSTFLAGS").ok();
    let (name, flags) = wasm_rustflags(encoded.as_deref(), plain.as_deref());
    cargo.env(name, flags);
    cargo
}

/// Builds the wasm and writes the site's wasm, JS, chunks, loader and manifest (unhashed).
pub fn build(project: &Project) -> Result<()> {
    crate::run(&mut cargo_command(project), "cargo build (the frontend's wasm)")?;
    let pkg = project.site_pkg();
    fs::create_dir_all(&pkg)?;
    let wasm = project.front_wasm();
    let input = fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;

    crate::say("splitting the wasm at the lazy routes");
    let main_out = wasm.with_file_name(format!("{}_split.wasm", project.lib_target));
    let main_module = format!("./{}.js", project.output_name);
    let link_name = format!("./{LOADER_PLACEHOLDER}");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&input);
        options.output_dir = &pkg;
        options.main_out_path = &main_out;
        options.main_module = &main_module;
        options.link_name = &link_name;
        options
    })
    .map_err(|e| anyhow::anyhow!("splitting the wasm: {e}"))?;
    drop(input);
    // Sorted, unlike cargo-leptos' (a hash map's order): the manifest's name is its hash.
    let manifest: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    fs::write(pkg.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;

    crate::say("wasm-bindgen");
    bindgen(&main_out, &pkg, &project.output_name, true)?;
    // cargo-leptos names the wasm `<output>.wasm`, not wasm-bindgen's `<output>_bg.wasm`:
    // Leptos' `HydrationScripts` asks for that name.
    let main_wasm = pkg.join(format!("{}.wasm", project.output_name));
    fs::rename(pkg.join(format!("{}_bg.wasm", project.output_name)), &main_wasm)?;

    let mut wasm_files = vec![main_wasm];
    wasm_files.extend(split.split_modules);
    optimize(&wasm_files, &project.root)?;

    crate::say("minifying the JS (esbuild)");
    minify_js(&pkg.join(format!("{}.js", project.output_name)))?;
    Ok(())
}

/// wasm-bindgen for the web (as `wasm-bindgen --target web`), into `out_dir`. The split build
/// keeps the linker's exports and their mangled names (the chunks use them) and the
/// TypeScript declarations (cargo-leptos leaves them in the site too).
pub fn bindgen(input: &Path, out_dir: &Path, out_name: &str, split: bool) -> Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(input)
        .web(true)?
        .keep_lld_exports(split)
        .demangle(!split)
        .typescript(split)
        // The CLI's default (the library's is the opposite): `init()` with no argument finds
        // the wasm beside the JS. Leptos and verify.js pass the path, but the JS stays the
        // CLI's, byte for byte.
        .omit_default_module_path(false)
        .out_name(out_name);
    bindgen.generate(out_dir).with_context(|| format!("wasm-bindgen on {}", input.display()))
}

/// `wasm-opt -Oz` on every file, as many at a time as there are cores, the largest first (the
/// main wasm takes most of the time; the chunks run beside it). The features are those
/// cargo-leptos enables: what Rust's wasm32 target emits that binaryen does not assume. Its
/// output is shown only when it fails, as cargo-leptos does: every file gives a harmless
/// "unknown name subsection" warning (rustc's name section is newer than binaryen reads).
fn optimize(files: &[PathBuf], root: &Path) -> Result<()> {
    crate::say(&format!("wasm-opt -Oz on {} files", files.len()));
    let mut files = files.to_vec();
    files.sort_by_key(|file| std::cmp::Reverse(fs::metadata(file).map(|m| m.len()).unwrap_or(0)));
    let parallel = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut queue = files.iter();
    let mut running: Vec<(&PathBuf, Child)> = Vec::new();
    loop {
        while running.len() < parallel {
            let Some(file) = queue.next() else { break };
            let child = Command::new("wasm-opt")
                .args(["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"])
                .arg(file)
                .arg("-o")
                .arg(file)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting wasm-opt (binaryen from npm: source scripts/tools.sh)")?;
            running.push((file, child));
        }
        if running.is_empty() {
            return Ok(());
        }
        // Whichever ends first frees a core (polled: std has no wait-for-any).
        let done = loop {
            if let Some(i) = running.iter_mut().position(|(_, child)| matches!(child.try_wait(), Ok(Some(_))))
            {
                break i;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let (file, child) = running.swap_remove(done);
        let output = child.wait_with_output()?;
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            bail!("wasm-opt failed on {}", shown(file, root));
        }
    }
}

/// Minifies the JS in place: whitespace, names and syntax, as an ES module (its exports and
/// imports keep their names: the loader and Leptos' hydration script use them).
fn minify_js(file: &Path) -> Result<()> {
    let mut esbuild = Command::new("esbuild");
    esbuild.arg(file).args(["--minify", "--format=esm", "--log-level=warning", "--allow-overwrite"]);
    // wasm-bindgen lists the split loader once per import in the wasm's import object, under
    // the same key: the same module each time, so which one wins does not matter.
    esbuild.arg("--log-override:duplicate-object-key=silent");
    esbuild.arg(format!("--outfile={}", file.display()));
    crate::run(&mut esbuild, "esbuild (from npm: source scripts/tools.sh)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_flag_joins_the_callers_rustflags() {
        assert_eq!(wasm_rustflags(None, None), ("RUSTFLAGS", EMIT_RELOCS.to_owned()));
        assert_eq!(wasm_rustflags(None, Some("")), ("RUSTFLAGS", EMIT_RELOCS.to_owned()));
        assert_eq!(wasm_rustflags(None, Some("-Cfoo ")), ("RUSTFLAGS", format!("-Cfoo {EMIT_RELOCS}")));
        assert_eq!(
            wasm_rustflags(Some("-Ca\x1f-Cb"), Some("-Cignored")),
            ("CARGO_ENCODED_RUSTFLAGS", format!("-Ca\x1f-Cb\x1f{EMIT_RELOCS}"))
        );
    }
}
