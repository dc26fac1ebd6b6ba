//! The site's files precompressed beside themselves (`name.br`, `name.gz`), as cargo-leptos'
//! `--precompress` writes them: every file of the site, public/'s included. The server sends
//! them to a browser that accepts brotli or gzip (tower-http's `ServeDir`).
//!
//! Brotli is the brotli crate's, with its default parameters (quality 11, a 4 MiB window),
//! as cargo-leptos uses it: the same bytes. Gzip is the best deflate of flate2 (cargo-leptos
//! uses libflate, weaker); scripts/build.sh then writes each .gz again with `gzip -9`.

use anyhow::{Context, Result};
use brotli::enc::BrotliEncoderParams;
use flate2::{write::GzEncoder, Compression};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Whether `path` is itself a compressed copy (never compressed again).
pub fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "br" || ext == "gz")
}

/// The brotli bytes of `data`, with cargo-leptos' parameters.
pub fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &BrotliEncoderParams::default())?;
    Ok(out)
}

/// The gzip bytes of `data`, at the best level.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

/// Writes `.br` and `.gz` beside every file under `root`, on every core (brotli at quality
/// 11 takes seconds for the wasm).
pub fn compress_all(root: &Path) -> Result<()> {
    let files: Vec<PathBuf> = crate::hash::files_under(root)?
        .into_iter()
        .filter(|file| !is_compressed(file))
        .map(|file| root.join(file))
        .collect();
    // Largest first, so that no core is left with the wasm at the end.
    let mut files: Vec<(u64, PathBuf)> =
        files.into_iter().map(|f| (fs::metadata(&f).map(|m| m.len()).unwrap_or(0), f)).collect();
    files.sort_by_key(|file| std::cmp::Reverse(file.0));
    let queue = Mutex::new(files.into_iter().map(|(_, f)| f).collect::<Vec<_>>().into_iter());
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let Some(file) = queue.lock().expect("no worker panics holding it").next() else {
                            return Ok(());
                        };
                        let data = fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                        fs::write(with_suffix(&file, "gz"), gzip(&data)?)?;
                        fs::write(with_suffix(&file, "br"), brotli(&data)?)?;
                    }
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().expect("a compressing thread panicked"))
    })
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn both_decompress_to_the_file() {
        let data = b"raffler raffler raffler raffler".repeat(100);
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(&data).unwrap()[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, data);
        let mut ungzip = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&data).unwrap()[..]).read_to_end(&mut ungzip).unwrap();
        assert_eq!(ungzip, data);
    }

    #[test]
    fn compressed_files_are_not_compressed_again() {
        assert!(is_compressed(Path::new("pkg/raffler.wasm.br")));
        assert!(is_compressed(Path::new("favicon.svg.gz")));
        assert!(!is_compressed(Path::new("pkg/raffler.wasm")));
        assert_eq!(with_suffix(Path::new("a/b.js"), "br"), Path::new("a/b.js.br"));
    }
}
