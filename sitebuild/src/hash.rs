//! Content hashes in the site's file names, and `hash.txt`, as cargo-leptos 0.3.10 writes them
//! (its `compile/hash.rs`), since Leptos and the server read both:
//!
//! - every file of the package folder gets `<stem>.<hash>.<ext>`, the hash being the MD5 of its
//!   bytes in unpadded base64url (22 characters); the split loader's placeholder name
//!   `__wasm_split.______________________.js` gets the hash in place of the underscores;
//! - the main JS and the split loader have the old names replaced by the new ones, the chunks'
//!   wasm the loader's name, and the split manifest the chunks' stems;
//! - the loader, rewritten, is hashed again (its name must follow its final bytes: it names the
//!   chunks, so a changed chunk gives a new loader name);
//! - `hash.txt` says `js`, `wasm`, `css`, `manifest` and `split` hashes, one a line.
//!
//! Differences from cargo-leptos, deliberate: the JS's name covers the loader and the chunks,
//! and the main wasm is named by its final bytes (see `hash_site`: with cargo-leptos' names a
//! browser could keep a year-old JS whose loader is gone); replacements run longest name first (cargo-leptos
//! goes in a hash map's order, so a name that ends another, `raffler.js` in `old_raffler.js`,
//! could be replaced inside it), and
//! the manifest keeps its keys sorted (see `front.rs`), so a build names its files the same way
//! every time.

use anyhow::{bail, Context, Result};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use md5::{Digest, Md5};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The split loader's name before hashing (wasm_split_cli_support writes it so).
pub const LOADER_PLACEHOLDER: &str = "__wasm_split.______________________.js";
/// The placeholder's 22 underscores: exactly a hash's length.
const HASH_PLACEHOLDER: &str = "______________________";
/// The split manifest's name before hashing.
pub const MANIFEST: &str = "__wasm_split_manifest.json";

/// The content hash of `bytes`: MD5 in unpadded base64url.
pub fn content_hash(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Md5::digest(bytes))
}

/// The hashed name of `file_name`: the hash replaces the placeholder if it has one, else goes
/// between the stem and the last extension (`raffler.d.ts` gives `raffler.d.<hash>.ts`).
pub fn hashed_name(file_name: &str, hash: &str) -> Result<String> {
    if file_name.contains(HASH_PLACEHOLDER) {
        if hash.len() != HASH_PLACEHOLDER.len() {
            bail!("a hash of {} characters cannot replace the placeholder in {file_name}", hash.len());
        }
        return Ok(file_name.replace(HASH_PLACEHOLDER, hash));
    }
    match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => Ok(format!("{stem}.{hash}.{ext}")),
        _ => bail!("{file_name} has no extension to put a hash before"),
    }
}

/// `hash.txt` as Leptos reads it (`HydrationScripts`): `js`, `wasm`, `css`, then the split
/// manifest and loader when the wasm is split.
pub fn hash_txt(js: &str, wasm: &str, css: &str, manifest: Option<&str>, split: Option<&str>) -> String {
    let mut text = format!("js: {js}\nwasm: {wasm}\ncss: {css}\n");
    if let Some(manifest) = manifest {
        text.push_str(&format!("manifest: {manifest}\n"));
    }
    if let Some(split) = split {
        text.push_str(&format!("split: {split}\n"));
    }
    text
}

/// `text` with every old name replaced by its new one, longest old name first so that no name
/// is replaced inside a longer one.
pub fn replace_names(text: &str, renames: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<(&String, &String)> = renames.iter().collect();
    pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
    let mut text = text.to_owned();
    for (old, new) in pairs {
        text = text.replace(old.as_str(), new);
    }
    text
}

/// `bytes` with every `old` replaced by `new`, of the same length (the loader's name in the
/// chunks' wasm: same length, so the module stays valid).
pub fn replace_bytes(bytes: &mut [u8], old: &[u8], new: &[u8]) {
    assert_eq!(old.len(), new.len(), "a name in a wasm can only be replaced by one as long");
    if old.is_empty() || bytes.len() < old.len() {
        return;
    }
    let mut i = 0;
    while i + old.len() <= bytes.len() {
        if &bytes[i..i + old.len()] == old {
            bytes[i..i + old.len()].copy_from_slice(new);
            i += old.len();
        } else {
            i += 1;
        }
    }
}

/// The split manifest (route → the chunks' file stems) with the stems renamed, compact as
/// cargo-leptos writes it. `renames` maps file names; only `.wasm` ones name chunks.
pub fn rewrite_manifest(text: &str, renames: &BTreeMap<String, String>) -> Result<String> {
    let mut manifest: Value = serde_json::from_str(text).context("reading the split manifest")?;
    let stems: BTreeMap<&str, &str> = renames
        .iter()
        .filter_map(|(old, new)| Some((old.strip_suffix(".wasm")?, new.strip_suffix(".wasm")?)))
        .collect();
    fn walk(value: &mut Value, stems: &BTreeMap<&str, &str>) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, stems)),
            Value::Object(fields) => fields.values_mut().for_each(|field| walk(field, stems)),
            Value::String(s) => {
                if let Some(new) = stems.get(s.as_str()) {
                    *s = (*new).to_owned();
                }
            }
            _ => {}
        }
    }
    walk(&mut manifest, &stems);
    Ok(serde_json::to_string(&manifest)?)
}

/// Which files of the package folder get a hashed name: all but another CSS than the site's
/// (cargo-leptos leaves those) and wasm-bindgen's snippets (the wasm imports them by name).
pub fn is_hashed_here(relative: &Path, style_name: &str) -> bool {
    if relative.components().any(|c| c.as_os_str().to_string_lossy().contains("snippets")) {
        return false;
    }
    !(relative.extension().is_some_and(|ext| ext == "css") && relative != Path::new(style_name))
}

/// What hashing did: the hashes written to `hash.txt`.
#[derive(Debug)]
pub struct Hashes {
    pub js: String,
    pub wasm: String,
    pub css: String,
    pub manifest: Option<String>,
    pub split: Option<String>,
}

/// Renames the package folder's files to their hashed names and rewrites the references
/// between them (see the module's comment); returns the hashes for `hash.txt`.
pub fn hash_site(pkg: &Path, output_name: &str, split: bool) -> Result<Hashes> {
    let style_name = format!("{output_name}.css");
    // Hash every file first, then rename: the hashes are those of the files as built.
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    for relative in files_under(pkg)? {
        if !is_hashed_here(&relative, &style_name) {
            continue;
        }
        let name = relative.to_string_lossy().into_owned();
        let hash = content_hash(&fs::read(pkg.join(&relative))?);
        // Already named by its hash (cargo-leptos skips those too).
        if relative.file_stem().is_some_and(|stem| stem.to_string_lossy() == hash) {
            continue;
        }
        hashes.insert(name, hash);
    }
    let js_name = format!("{output_name}.js");
    let wasm_name = format!("{output_name}.wasm");
    if split {
        // The JS and the loader import each other, so neither can be named by its final bytes;
        // cargo-leptos names the JS by its bytes with the loader's placeholder, which stay the
        // same when only a lazy screen changed, and a browser that cached the JS (a year,
        // immutable) would then import a loader the new site no longer has. Here the JS's name
        // also covers the loader and every chunk, so it changes whenever they do.
        let js_hash = hashes.get(&js_name).context("no JS in the site")?;
        let loader = fs::read(pkg.join(LOADER_PLACEHOLDER)).context("no split loader in the site")?;
        let mut covered = format!("{js_hash}\n{}\n", content_hash(&loader));
        for (name, hash) in &hashes {
            if name.ends_with(".wasm") && *name != wasm_name {
                covered.push_str(&format!("{name} {hash}\n"));
            }
        }
        hashes.insert(js_name.clone(), content_hash(covered.as_bytes()));
    }
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for (name, hash) in &hashes {
        let path = Path::new(name);
        let file = path.file_name().context("a file with no name")?.to_string_lossy();
        let new = path.with_file_name(hashed_name(&file, hash)?).to_string_lossy().into_owned();
        fs::rename(pkg.join(name), pkg.join(&new)).with_context(|| format!("renaming {name}"))?;
        renames.insert(name.clone(), new);
    }
    let hash_of = |name: &str| hashes.get(name).cloned().with_context(|| format!("no {name} in the site"));
    let js = renames.get(&js_name).cloned().context("no JS in the site")?;
    rewrite_text(&pkg.join(&js), &renames)?;

    let split_hash = if split {
        let first = renames.get(LOADER_PLACEHOLDER).cloned().context("no split loader in the site")?;
        rewrite_text(&pkg.join(&first), &renames)?;
        replace_loader_references(pkg, LOADER_PLACEHOLDER, &first, &renames)?;
        // Rewritten, the loader has other bytes: name it by them.
        let hash = content_hash(&fs::read(pkg.join(&first))?);
        let last = hashed_name(LOADER_PLACEHOLDER, &hash)?;
        if last != first {
            fs::rename(pkg.join(&first), pkg.join(&last))?;
            let again = BTreeMap::from([(first.clone(), last.clone())]);
            replace_loader_references(pkg, &first, &last, &again)?;
            rewrite_text(&pkg.join(&js), &again)?;
        }
        Some(hash)
    } else {
        None
    };
    // The main wasm names the loader (its imports), so it changed above: name it by its final
    // bytes (cargo-leptos keeps the name of its bytes before, the same trap as the JS's). Only
    // hash.txt names it; the chunks do not name the loader, so theirs stand.
    let mut wasm_hash = hash_of(&wasm_name)?;
    if split {
        let first = renames.get(&wasm_name).context("no wasm in the site")?;
        wasm_hash = content_hash(&fs::read(pkg.join(first))?);
        fs::rename(pkg.join(first), pkg.join(hashed_name(&wasm_name, &wasm_hash)?))?;
    }
    Ok(Hashes {
        js: hash_of(&js_name)?,
        wasm: wasm_hash,
        css: hash_of(&style_name)?,
        manifest: hashes.get(MANIFEST).cloned(),
        split: split_hash,
    })
}

/// Replaces the loader's old name by its new one in every wasm of the package folder, and
/// renames the chunks in the split manifest.
fn replace_loader_references(
    pkg: &Path,
    old: &str,
    new: &str,
    renames: &BTreeMap<String, String>,
) -> Result<()> {
    for entry in fs::read_dir(pkg)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !path.is_file() {
            continue;
        }
        if name.ends_with(".wasm") {
            let mut bytes = fs::read(&path)?;
            let before = bytes.clone();
            replace_bytes(&mut bytes, old.as_bytes(), new.as_bytes());
            if bytes != before {
                fs::write(&path, bytes)?;
            }
        } else if name.starts_with("__wasm_split_manifest") {
            let text = fs::read_to_string(&path)?;
            fs::write(&path, rewrite_manifest(&text, renames)?)?;
        }
    }
    Ok(())
}

fn rewrite_text(path: &Path, renames: &BTreeMap<String, String>) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    fs::write(path, replace_names(&text, renames))?;
    Ok(())
}

/// Every file under `dir`, relative to it, in a stable order.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        for entry in
            fs::read_dir(dir.join(&relative)).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let path = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_md5_in_unpadded_base64url() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(content_hash(b""), "1B2M2Y8AsgTpgAmY7PhCfg");
        assert_eq!(content_hash(b"raffler").len(), 22);
        assert!(content_hash(&[0xff; 100])
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn names_as_cargo_leptos_gives_them() {
        let h = "Qm9vYmFyYmF6cXV4cXV1eA";
        assert_eq!(hashed_name("raffler.wasm", h).unwrap(), format!("raffler.{h}.wasm"));
        assert_eq!(hashed_name("raffler.d.ts", h).unwrap(), format!("raffler.d.{h}.ts"));
        assert_eq!(hashed_name("raffler_bg.wasm.d.ts", h).unwrap(), format!("raffler_bg.wasm.d.{h}.ts"));
        assert_eq!(
            hashed_name("split___home_route_view_6209651931147527283.wasm", h).unwrap(),
            format!("split___home_route_view_6209651931147527283.{h}.wasm")
        );
        assert_eq!(hashed_name(LOADER_PLACEHOLDER, h).unwrap(), format!("__wasm_split.{h}.js"));
        assert_eq!(hashed_name(MANIFEST, h).unwrap(), format!("__wasm_split_manifest.{h}.json"));
        assert!(hashed_name(LOADER_PLACEHOLDER, "short").is_err());
        assert!(hashed_name("README", h).is_err());
    }

    #[test]
    fn hash_txt_has_the_keys_leptos_reads() {
        assert_eq!(
            hash_txt("J", "W", "C", Some("M"), Some("S")),
            "js: J\nwasm: W\ncss: C\nmanifest: M\nsplit: S\n"
        );
        assert_eq!(hash_txt("J", "W", "C", None, None), "js: J\nwasm: W\ncss: C\n");
    }

    #[test]
    fn a_name_is_never_replaced_inside_a_longer_one() {
        let renames = BTreeMap::from([
            ("raffler.js".to_owned(), "raffler.AAAA.js".to_owned()),
            ("old_raffler.js".to_owned(), "old_raffler.BBBB.js".to_owned()),
        ]);
        assert_eq!(
            replace_names("\"./old_raffler.js\" \"./raffler.js\"", &renames),
            "\"./old_raffler.BBBB.js\" \"./raffler.AAAA.js\""
        );
    }

    #[test]
    fn the_manifest_names_the_hashed_chunks() {
        let renames = BTreeMap::from([
            ("chunk_5.wasm".to_owned(), "chunk_5.AAAAAAAAAAAAAAAAAAAAAA.wasm".to_owned()),
            ("chunk_50.wasm".to_owned(), "chunk_50.BBBBBBBBBBBBBBBBBBBBBB.wasm".to_owned()),
            ("raffler.js".to_owned(), "raffler.CCCCCCCCCCCCCCCCCCCCCC.js".to_owned()),
        ]);
        let manifest = "{\n  \"b\": [\"chunk_5\", \"chunk_50\"],\n  \"a\": [\"chunk_50\", \"raffler\"]\n}";
        assert_eq!(
            rewrite_manifest(manifest, &renames).unwrap(),
            r#"{"a":["chunk_50.BBBBBBBBBBBBBBBBBBBBBB","raffler"],"b":["chunk_5.AAAAAAAAAAAAAAAAAAAAAA","chunk_50.BBBBBBBBBBBBBBBBBBBBBB"]}"#
        );
    }

    #[test]
    fn bytes_are_replaced_in_place() {
        let mut wasm = b"\0\x01./__wasm_split.______________________.js\0end".to_vec();
        replace_bytes(&mut wasm, LOADER_PLACEHOLDER.as_bytes(), b"__wasm_split.Qm9vYmFyYmF6cXV4cXV1eA.js");
        assert_eq!(wasm, b"\0\x01./__wasm_split.Qm9vYmFyYmF6cXV4cXV1eA.js\0end".to_vec());
    }

    #[test]
    fn which_files_get_a_hash() {
        assert!(is_hashed_here(Path::new("raffler.css"), "raffler.css"));
        assert!(!is_hashed_here(Path::new("other.css"), "raffler.css"));
        assert!(is_hashed_here(Path::new("raffler.d.ts"), "raffler.css"));
        assert!(!is_hashed_here(Path::new("snippets/app-123/inline0.js"), "raffler.css"));
        assert!(!is_hashed_here(Path::new("sub/raffler.css"), "raffler.css"));
    }

    /// A split site as the build leaves it before hashing, in a folder of its own: the main
    /// wasm imports the loader by its placeholder name (the chunks do not name it).
    fn split_site(tag: &str, chunk: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sitebuild-hash-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let js = "import * as s from \"./__wasm_split.______________________.js\";";
        let loader = "import { initSync } from \"./raffler.js\";\nfetch(new URL(\"./chunk_4.wasm\", import.meta.url));";
        fs::write(dir.join("raffler.js"), js).unwrap();
        fs::write(dir.join("raffler.wasm"), b"\0asm main ./__wasm_split.______________________.js").unwrap();
        fs::write(dir.join("raffler.css"), "a{}").unwrap();
        fs::write(dir.join("chunk_4.wasm"), chunk).unwrap();
        fs::write(dir.join(LOADER_PLACEHOLDER), loader).unwrap();
        fs::write(dir.join(MANIFEST), "{\n  \"__home\": [\n    \"chunk_4\"\n  ]\n}").unwrap();
        dir
    }

    /// Names, hash.txt's hashes and the references between the files come out as the server
    /// and the loader expect them, each name the hash of the file's final bytes but the JS's.
    #[test]
    fn a_split_site_is_hashed_and_wired() {
        let dir = split_site("wired", b"\0asm chunk");
        let hashes = hash_site(&dir, "raffler", true).unwrap();
        assert_eq!(hashes.css, content_hash(b"a{}"));
        let manifest = "{\n  \"__home\": [\n    \"chunk_4\"\n  ]\n}";
        assert_eq!(hashes.manifest.as_deref(), Some(content_hash(manifest.as_bytes()).as_str()));

        let chunk = format!("chunk_4.{}.wasm", content_hash(b"\0asm chunk"));
        assert!(dir.join(&chunk).is_file());
        let split = hashes.split.clone().unwrap();
        let loader_name = format!("__wasm_split.{split}.js");
        let final_loader = fs::read_to_string(dir.join(&loader_name)).unwrap();
        // The loader is named by its final bytes, and names the hashed JS and chunk.
        assert_eq!(content_hash(final_loader.as_bytes()), split);
        assert!(final_loader.contains(&format!("./raffler.{}.js", hashes.js)));
        assert!(final_loader.contains(&format!("./{chunk}")));
        // The JS imports the final loader.
        let main = fs::read_to_string(dir.join(format!("raffler.{}.js", hashes.js))).unwrap();
        assert_eq!(main, format!("import * as s from \"./{loader_name}\";"));
        // The main wasm imports it too, and is named by its bytes with that name in them.
        let wasm = fs::read(dir.join(format!("raffler.{}.wasm", hashes.wasm))).unwrap();
        assert_eq!(wasm, format!("\0asm main ./{loader_name}").into_bytes());
        assert_eq!(content_hash(&wasm), hashes.wasm);
        let manifest_text =
            fs::read_to_string(dir.join(format!("__wasm_split_manifest.{}.json", hashes.manifest.unwrap())))
                .unwrap();
        assert_eq!(manifest_text, format!("{{\"__home\":[\"{}\"]}}", chunk.trim_end_matches(".wasm")));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A change in a lazy screen alone (a chunk) leaves the JS's own bytes as they were, but
    /// gives it a new name: a browser that cached the old JS for a year must not keep it, since
    /// it imports a loader the new site no longer has.
    #[test]
    fn a_changed_chunk_renames_the_js_and_the_main_wasm() {
        let before = split_site("before", b"\0asm chunk");
        let after = split_site("after", b"\0asm chunk, changed");
        let old = hash_site(&before, "raffler", true).unwrap();
        let new = hash_site(&after, "raffler", true).unwrap();
        assert_ne!(old.js, new.js);
        assert_ne!(old.split, new.split);
        assert_ne!(old.wasm, new.wasm);
        assert_eq!(old.css, new.css);
        fs::remove_dir_all(&before).unwrap();
        fs::remove_dir_all(&after).unwrap();
    }
}
