//! The project's plugin crates and whether a built library is older than its sources.
//!
//! [`workspace_plugins`] asks `cargo metadata --no-deps --offline` (it reads manifests only:
//! no build, no network) for the packages with a `cdylib` target, keyed by library name
//! (`-` → `_`, as in `lib<name>.so`). [`newest_source`] is the newest file among a package's
//! `Cargo.toml` and the folders of its library and build-script sources (`src/`, `build.rs`),
//! skipping `target` and hidden folders; a library whose modification time is older than
//! that was built before the last edit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde::Deserialize;

/// A package of the project that builds a plugin library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCrate {
    /// The package name.
    pub package: String,
    /// Its `Cargo.toml`.
    pub manifest: PathBuf,
    /// What counts as its sources: the manifest and the source folders of its library and
    /// build script.
    pub sources: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

/// The `cdylib` packages of the Cargo workspace at `root`, by library name.
pub fn workspace_plugins(root: &Path) -> Result<BTreeMap<String, PluginCrate>, String> {
    let out = Command::new("cargo")
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "cargo metadata failed ({}): {}",
            out.status,
            err.trim()
        ));
    }
    parse_metadata(&out.stdout)
}

/// [`workspace_plugins`] on the output of `cargo metadata --format-version 1`.
pub fn parse_metadata(json: &[u8]) -> Result<BTreeMap<String, PluginCrate>, String> {
    let meta: Metadata = serde_json::from_slice(json)
        .map_err(|e| format!("cannot read cargo metadata's output: {e}"))?;
    let mut out = BTreeMap::new();
    for p in meta.packages {
        let Some(lib) = p
            .targets
            .iter()
            .find(|t| t.kind.iter().any(|k| k == "cdylib"))
        else {
            continue;
        };
        let mut sources = vec![p.manifest_path.clone()];
        for t in &p.targets {
            let relevant = t
                .kind
                .iter()
                .any(|k| matches!(k.as_str(), "cdylib" | "lib" | "rlib" | "custom-build"));
            if let Some(dir) = t.src_path.parent().filter(|_| relevant)
                && !sources.iter().any(|s| s == dir)
            {
                sources.push(dir.to_path_buf());
            }
        }
        out.insert(
            lib.name.replace('-', "_"),
            PluginCrate {
                package: p.name,
                manifest: p.manifest_path,
                sources,
            },
        );
    }
    Ok(out)
}

/// The most recently modified file under `paths` (files, or folders walked recursively
/// without `target` and hidden folders), with its time.
pub fn newest_source(paths: &[PathBuf]) -> Option<(PathBuf, SystemTime)> {
    fn walk(p: &Path, best: &mut Option<(PathBuf, SystemTime)>) {
        let Ok(meta) = std::fs::metadata(p) else {
            return;
        };
        if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(p) else {
                return;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                if is_dir && (name == "target" || name.starts_with('.')) {
                    continue;
                }
                walk(&e.path(), best);
            }
        } else if let Ok(m) = meta.modified()
            && best.as_ref().is_none_or(|(_, t)| m > *t)
        {
            *best = Some((p.to_path_buf(), m));
        }
    }
    let mut best = None;
    for p in paths {
        walk(p, &mut best);
    }
    best
}

/// When `library` is older than the newest file of `krate`'s sources: that file.
pub fn stale_source(library: &Path, krate: &PluginCrate) -> Option<PathBuf> {
    let built = std::fs::metadata(library).and_then(|m| m.modified()).ok()?;
    let (file, changed) = newest_source(&krate.sources)?;
    (changed > built).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keeps_cdylib_packages_by_library_name() {
        let json = br#"{"packages": [
            {"name": "word-count", "manifest_path": "/p/plugins/wc/Cargo.toml", "targets": [
                {"name": "word_count", "kind": ["cdylib", "rlib"], "src_path": "/p/plugins/wc/src/lib.rs"},
                {"name": "build-script-build", "kind": ["custom-build"], "src_path": "/p/plugins/wc/build.rs"},
                {"name": "it", "kind": ["test"], "src_path": "/p/plugins/wc/tests/it.rs"}]},
            {"name": "tool", "manifest_path": "/p/tool/Cargo.toml", "targets": [
                {"name": "tool", "kind": ["bin"], "src_path": "/p/tool/src/main.rs"}]}],
            "workspace_root": "/p"}"#;
        let m = parse_metadata(json).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["word_count"]);
        let wc = &m["word_count"];
        assert_eq!(wc.package, "word-count");
        assert_eq!(
            wc.sources,
            [
                PathBuf::from("/p/plugins/wc/Cargo.toml"),
                PathBuf::from("/p/plugins/wc/src"),
                PathBuf::from("/p/plugins/wc"),
            ]
        );
        assert!(parse_metadata(b"nope").is_err());
    }

    #[test]
    fn newest_source_skips_target_and_hidden_folders() {
        let dir = std::env::temp_dir().join(format!("sparse-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["src", "target", ".git"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let at = |secs: u64| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        let touch = |p: &str, secs: u64| {
            let f = std::fs::File::create(dir.join(p)).unwrap();
            f.set_modified(at(secs)).unwrap();
        };
        touch("Cargo.toml", 1_000);
        touch("src/lib.rs", 2_000);
        touch("target/libx.so", 3_000);
        touch(".git/index", 4_000);
        let (file, t) = newest_source(std::slice::from_ref(&dir)).unwrap();
        assert_eq!((file, t), (dir.join("src/lib.rs"), at(2_000)));

        let krate = PluginCrate {
            package: "x".into(),
            manifest: dir.join("Cargo.toml"),
            sources: vec![dir.join("Cargo.toml"), dir.join("src")],
        };
        // Built after the last edit: fresh. Built before: stale, naming the newer file.
        assert_eq!(stale_source(&dir.join("target/libx.so"), &krate), None);
        touch("target/libx.so", 1_500);
        assert_eq!(
            stale_source(&dir.join("target/libx.so"), &krate),
            Some(dir.join("src/lib.rs"))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
