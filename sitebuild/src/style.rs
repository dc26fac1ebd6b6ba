//! The site's CSS, as cargo-leptos 0.3.10 writes it (its `compile/style.rs`): Lightning CSS
//! parses `style-file`, minifies it for the browsers of `browserquery` (which adds the vendor
//! prefixes they still need, e.g. `-webkit-mask-image`) and prints it minified. A sheet Lightning
//! CSS cannot parse is copied as it is, as cargo-leptos does.

use anyhow::{Context, Result};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::targets::{Browsers, Targets};
use std::path::Path;

/// The CSS for the site from the source sheet's text.
pub fn process(css: &str, filename: &Path, browserquery: &str) -> Result<String> {
    let browsers = Browsers::from_browserslist([browserquery])
        .with_context(|| format!("the browserquery {browserquery:?}"))?;
    let targets = Targets::from(browsers);
    let options = ParserOptions { filename: filename.display().to_string(), ..Default::default() };
    let mut sheet = match StyleSheet::parse(css, options) {
        Ok(sheet) => sheet,
        Err(_) => return Ok(css.to_owned()),
    };
    sheet.minify(MinifyOptions { targets, ..Default::default() }).map_err(|e| anyhow::anyhow!("{e}"))?;
    let printed = sheet
        .to_css(PrinterOptions { targets, minify: true, ..Default::default() })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(printed.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minified_with_the_prefixes_the_targets_need() {
        let css = ".reel { mask-image: linear-gradient(transparent, #000 30%, #000 70%, transparent); }\n";
        let out = process(css, Path::new("main.css"), "defaults").unwrap();
        assert!(out.starts_with(".reel{"), "{out}");
        assert!(out.contains("-webkit-mask-image:"), "{out}");
        assert!(!out.contains('\n'), "{out}");
    }

    /// The project's own sheet goes through whole (a rule Lightning CSS could not read would
    /// leave it unminified) and keeps every rule's selector.
    #[test]
    fn the_projects_sheet_is_minified() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../style/main.css");
        let css = std::fs::read_to_string(&path).unwrap();
        let out = process(&css, Path::new("style/main.css"), "defaults").unwrap();
        assert!(!out.contains('\n'), "not minified");
        assert!(out.len() < css.len());
        assert!(out.contains(".reel-window{"));
    }
}
