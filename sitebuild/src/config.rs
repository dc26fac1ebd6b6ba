//! The project as the build sees it: `[[workspace.metadata.leptos]]` in the workspace's
//! Cargo.toml (the section cargo-leptos reads, so `cargo leptos watch` and this build agree),
//! and where cargo puts things (`cargo metadata`, which honours `CARGO_TARGET_DIR`).

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Everything the build needs to know, resolved to paths.
#[derive(Debug, Clone)]
pub struct Project {
    /// The workspace's root folder.
    pub root: PathBuf,
    /// cargo's target folder (`CARGO_TARGET_DIR`, else `<root>/target`).
    pub target: PathBuf,
    /// `output-name`: the stem of the wasm, JS and CSS in the site.
    pub output_name: String,
    /// `bin-package`: the server's package (its binary has the same name).
    pub bin_package: String,
    /// `lib-package`: the frontend's package (a cdylib built for wasm32).
    pub lib_package: String,
    /// The frontend's cdylib target name (`frontend`: the wasm cargo writes).
    pub lib_target: String,
    /// `lib-profile-release`: the cargo profile of the wasm.
    pub lib_profile: String,
    /// `site-pkg-dir`: the site's folder of the wasm, JS and CSS.
    pub pkg_dir: String,
    /// `style-file`, relative to the root.
    pub style_file: Option<PathBuf>,
    /// `assets-dir`, relative to the root: copied as is into the site.
    pub assets_dir: Option<PathBuf>,
    /// `browserquery`: the browsers the CSS is written for.
    pub browserquery: String,
    /// `hash-files`: content hashes in the file names, and hash.txt.
    pub hash_files: bool,
    /// `site-addr` and `reload-port`, passed on as cargo-leptos passes them.
    pub site_addr: String,
    pub reload_port: u16,
    /// `bin-features`, `lib-features` and whether the default features are on.
    pub bin_features: Vec<String>,
    pub bin_default_features: bool,
    pub lib_features: Vec<String>,
    pub lib_default_features: bool,
}

impl Project {
    /// Reads the project of the workspace this process runs in.
    pub fn load() -> Result<Project> {
        let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["metadata", "--format-version=1", "--no-deps"])
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let metadata: Value = serde_json::from_slice(&output.stdout).context("reading cargo metadata")?;
        Project::from_metadata(&metadata)
    }

    /// The project described by `cargo metadata`'s output.
    pub fn from_metadata(metadata: &Value) -> Result<Project> {
        let root = PathBuf::from(str_at(metadata, "workspace_root")?);
        let target = PathBuf::from(str_at(metadata, "target_directory")?);
        let sections = metadata["metadata"]["leptos"]
            .as_array()
            .context("no [[workspace.metadata.leptos]] in Cargo.toml")?;
        let [leptos] = sections.as_slice() else {
            bail!(
                "this build knows one [[workspace.metadata.leptos]] project, Cargo.toml has {}",
                sections.len()
            );
        };
        let text = |key: &str| leptos[key].as_str().map(str::to_owned);
        let flag = |key: &str| leptos[key].as_bool();
        let list = |key: &str| -> Vec<String> {
            leptos[key]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let lib_package = text("lib-package").context("lib-package")?;
        let lib_target = cdylib_name(metadata, &lib_package)?;
        Ok(Project {
            output_name: text("output-name").unwrap_or_else(|| lib_package.replace('-', "_")),
            bin_package: text("bin-package").context("bin-package")?,
            lib_target,
            lib_package,
            lib_profile: text("lib-profile-release").unwrap_or_else(|| "release".into()),
            pkg_dir: text("site-pkg-dir").unwrap_or_else(|| "pkg".into()),
            style_file: text("style-file").map(PathBuf::from),
            assets_dir: text("assets-dir").map(PathBuf::from),
            browserquery: text("browserquery").unwrap_or_else(|| "defaults".into()),
            hash_files: flag("hash-files").unwrap_or(false),
            site_addr: text("site-addr").unwrap_or_else(|| "127.0.0.1:3000".into()),
            reload_port: leptos["reload-port"].as_u64().unwrap_or(3001).try_into()?,
            bin_features: list("bin-features"),
            bin_default_features: flag("bin-default-features").unwrap_or(false),
            lib_features: list("lib-features"),
            lib_default_features: flag("lib-default-features").unwrap_or(false),
            root,
            target,
        })
    }

    /// The site: `<target>/site`, where the server looks for it beside `<target>/release/`
    /// (server/src/site.rs). cargo-leptos' `site-root = "target/site"` is the same folder when
    /// `CARGO_TARGET_DIR` is unset.
    pub fn site_root(&self) -> PathBuf {
        self.target.join("site")
    }

    /// The site's package folder (`<site>/pkg`).
    pub fn site_pkg(&self) -> PathBuf {
        self.site_root().join(&self.pkg_dir)
    }

    /// cargo-leptos' own target folder for the wasm (`<target>/front`): the wasm is built with
    /// other flags (`--emit-relocs`) than the rest, which would otherwise rebuild each other.
    pub fn front_target(&self) -> PathBuf {
        self.target.join("front")
    }

    /// The wasm cargo writes for the frontend.
    pub fn front_wasm(&self) -> PathBuf {
        self.front_target()
            .join("wasm32-unknown-unknown")
            .join(profile_dir(&self.lib_profile))
            .join(format!("{}.wasm", self.lib_target))
    }

    /// The server binary (`<target>/release/<bin-package>`); hash.txt goes beside it, where
    /// Leptos reads it.
    pub fn server_exe(&self) -> PathBuf {
        self.target.join("release").join(&self.bin_package)
    }

    /// The variables cargo-leptos gives both cargo builds. Leptos reads `LEPTOS_OUTPUT_NAME` at
    /// compile time (`option_env!`); the others matter only when the server runs under them,
    /// and it does not (it finds its site by itself), but the build stays the one cargo-leptos
    /// makes.
    pub fn leptos_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("LEPTOS_OUTPUT_NAME", self.output_name.clone()),
            ("LEPTOS_SITE_ROOT", self.site_root().to_string_lossy().into_owned()),
            ("LEPTOS_SITE_PKG_DIR", self.pkg_dir.clone()),
            ("LEPTOS_SITE_ADDR", self.site_addr.clone()),
            ("LEPTOS_RELOAD_PORT", self.reload_port.to_string()),
            ("LEPTOS_LIB_DIR", self.lib_package.clone()),
            ("LEPTOS_BIN_DIR", self.bin_package.clone()),
            ("LEPTOS_JS_MINIFY", "true".into()),
            ("LEPTOS_HASH_FILES", self.hash_files.to_string()),
        ];
        if self.hash_files {
            env.push(("LEPTOS_HASH_FILE_NAME", "hash.txt".into()));
        }
        env
    }
}

/// The folder cargo writes a profile's artifacts to (`dev` writes to `debug`).
pub fn profile_dir(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    }
}

fn str_at<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value[key].as_str().with_context(|| format!("cargo metadata has no {key}"))
}

/// The name of `package`'s cdylib target, as rustc names its output file.
fn cdylib_name(metadata: &Value, package: &str) -> Result<String> {
    let packages = metadata["packages"].as_array().context("cargo metadata has no packages")?;
    let found =
        packages.iter().find(|p| p["name"] == package).with_context(|| format!("no package {package}"))?;
    let targets = found["targets"].as_array().context("no targets")?;
    let cdylib = targets
        .iter()
        .find(|t| t["crate_types"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib")))
        .with_context(|| format!("{package} has no cdylib target"))?;
    Ok(str_at(cdylib, "name")?.replace('-', "_"))
}

/// `path` relative to `root` when it is inside it (for messages).
pub fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata() -> Value {
        json!({
            "workspace_root": "/w",
            "target_directory": "/t",
            "packages": [
                { "name": "frontend", "targets": [{ "name": "frontend", "crate_types": ["cdylib", "rlib"] }] },
                { "name": "server", "targets": [{ "name": "server", "crate_types": ["bin"] }] }
            ],
            "metadata": { "leptos": [{
                "name": "raffler", "output-name": "raffler", "bin-package": "server",
                "lib-package": "frontend", "lib-profile-release": "wasm-release",
                "site-root": "target/site", "site-pkg-dir": "pkg", "style-file": "style/main.css",
                "assets-dir": "public", "site-addr": "0.0.0.0:3000", "reload-port": 3001,
                "browserquery": "defaults", "hash-files": true, "bin-default-features": false
            }]}
        })
    }

    #[test]
    fn paths_follow_the_target_folder() {
        let project = Project::from_metadata(&metadata()).unwrap();
        assert_eq!(project.site_pkg(), Path::new("/t/site/pkg"));
        assert_eq!(
            project.front_wasm(),
            Path::new("/t/front/wasm32-unknown-unknown/wasm-release/frontend.wasm")
        );
        assert_eq!(project.server_exe(), Path::new("/t/release/server"));
        assert_eq!(project.output_name, "raffler");
        assert!(project.hash_files);
    }

    #[test]
    fn the_leptos_variables_are_cargo_leptos_ones() {
        let project = Project::from_metadata(&metadata()).unwrap();
        let env = project.leptos_env();
        let get = |key: &str| env.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("LEPTOS_OUTPUT_NAME"), Some("raffler"));
        assert_eq!(get("LEPTOS_HASH_FILES"), Some("true"));
        assert_eq!(get("LEPTOS_HASH_FILE_NAME"), Some("hash.txt"));
        assert_eq!(get("LEPTOS_SITE_ROOT"), Some("/t/site"));
    }

    #[test]
    fn profile_folders() {
        assert_eq!(profile_dir("dev"), "debug");
        assert_eq!(profile_dir("wasm-release"), "wasm-release");
    }
}
