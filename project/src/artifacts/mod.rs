//! Which `sparse-host` and which plugin files `sparse run`, `sparse jar` and `sparse submit`
//! use, and whether they fit together.
//!
//! # Which `sparse-host`
//!
//! [`find_host`] takes, in this order:
//!
//! 1. `<build folder>/sparse-host`, only when the project's Cargo workspace builds a
//!    `sparse-host` binary (the sparse repository does; a project made by `sparse quickstart`
//!    does not). [`Workspace::read`] asks `cargo metadata`. A `sparse-host` in the build
//!    folder that the workspace does not build was put there by hand or by an old build: it
//!    is skipped, and the commands say so.
//! 2. `sparse-host` next to the running `sparse` (where `cargo install` puts both).
//! 3. The first `sparse-host` on `PATH`.
//!
//! When the workspace cannot be read (no `Cargo.toml`, no `cargo`), a `sparse-host` in the
//! build folder comes first.
//!
//! # Which plugins
//!
//! `sparse-host --component CRATE::TYPE` loads `lib<CRATE>.so` (`-` → `_`) from the build
//! folder of the profile in use ([`crate::release::profile_dir`]). A file there whose crate
//! is not a `cdylib` of the project's workspace was not built by this project:
//! [`stale_plugin`] finds it, and the commands refuse it rather than run or ship old code.
//!
//! # Do they fit?
//!
//! [`list_plugins`] runs the chosen `sparse-host --list --plugin-dir <build folder>`, which
//! loads every plugin there the way a task does. A plugin built against another plugin ABI
//! (another major version of `plugin-api`, so no `sparse_plugin_v1` symbol, or a descriptor
//! the host refuses) is an [`ArtifactError::AbiMismatch`] naming both files.
//! [`Listing::check_components`] then checks that every component's type is in its plugin,
//! with the kind (spout or bolt) the topology gives it.
//!
//! ```no_run
//! # fn demo(root: &std::path::Path, t: &sparse_topology::model::Topology) -> Result<(), sparse_project::artifacts::ArtifactError> {
//! use sparse_project::{artifacts, release};
//!
//! let dir = release::profile_dir(root, "release");
//! let ws = artifacts::Workspace::read(root).ok();
//! let wanted = artifacts::wanted(t);
//! let choice = artifacts::find_host(&dir, "release", ws.as_ref());
//! let host = choice.host.clone().ok_or_else(|| choice.error())?;
//! if let Some(ws) = &ws {
//!     artifacts::stale_plugin(&dir, ws, &wanted)?;
//! }
//! let files: Vec<_> = wanted.iter().map(|w| w.plugin_path(&dir)).collect();
//! artifacts::list_plugins(&host.path, &dir, &files)?.check_components(&wanted, &dir)?;
//! println!("sparse-host {host}");
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

// Which `sparse-host`: the places looked at, in order, and its build profile.
mod host;
// Which plugin files, whether they are stale, and whether they fit (`sparse-host --list`).
mod plugin_files;
#[cfg(test)]
mod test_tmp;

pub use host::{Host, HostChoice, HostSource, find_host, host_profile, installed_host_candidates};
pub use plugin_files::{
    Listed, Listing, Wanted, component_arg, list_plugins, stale_plugin, wanted,
};

/// The host's file name.
pub const HOST_NAME: &str = "sparse-host";

/// What `cargo metadata` says about the project's workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// The workspace root.
    pub root: PathBuf,
    /// Whether a member has a `sparse-host` binary target.
    pub builds_host: bool,
    /// Library names (`-` → `_`) of the members' `cdylib` targets: the plugins it builds.
    pub plugins: BTreeSet<String>,
    /// Cargo's target folder (`target_directory`): it honours `CARGO_TARGET_DIR` and
    /// `build.target-dir` in `.cargo/config.toml`, which a guess from the root cannot.
    pub target_directory: Option<PathBuf>,
}

impl Workspace {
    /// Runs `cargo metadata --no-deps` in `project_root` (no network, no build). Fails when
    /// there is no `Cargo.toml` there or above, or `cargo` cannot run; the error is cargo's
    /// message.
    ///
    /// The answer is remembered per `project_root` for the life of the process, so the
    /// several places that need it (the target folder, the `sparse-host` choice) share one
    /// `cargo metadata` run.
    pub fn read(project_root: &Path) -> Result<Workspace, String> {
        type Cache =
            std::sync::Mutex<std::collections::HashMap<PathBuf, Result<Workspace, String>>>;
        static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(hit) = cache.lock().ok().and_then(|c| c.get(project_root).cloned()) {
            return hit;
        }
        let answer = Self::read_uncached(project_root);
        if let Ok(mut c) = cache.lock() {
            c.insert(project_root.to_path_buf(), answer.clone());
        }
        answer
    }

    /// [`Workspace::read`] without the cache.
    pub fn read_uncached(project_root: &Path) -> Result<Workspace, String> {
        let out = Command::new("cargo")
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(project_root)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let json: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
        Ok(Workspace::from_metadata(&json))
    }

    /// The workspace described by `cargo metadata --no-deps --format-version 1` output.
    pub fn from_metadata(json: &Value) -> Workspace {
        let mut ws = Workspace {
            root: PathBuf::from(json["workspace_root"].as_str().unwrap_or_default()),
            target_directory: json["target_directory"].as_str().map(PathBuf::from),
            ..Workspace::default()
        };
        let targets = json["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["targets"].as_array().into_iter().flatten());
        for t in targets {
            let name = t["name"].as_str().unwrap_or_default();
            let kinds: Vec<&str> = t["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if kinds.contains(&"bin") && name == HOST_NAME {
                ws.builds_host = true;
            }
            if kinds.contains(&"cdylib") {
                ws.plugins.insert(name.replace('-', "_"));
            }
        }
        ws
    }
}

/// The folder `cargo install --path <it>` installs `sparse-host` from: the `host` crate of
/// the source tree this `sparse` was built from, when it still exists.
pub fn host_source_dir() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("host"))
        .filter(|p| p.join("Cargo.toml").is_file())
}

fn install_hint() -> String {
    match host_source_dir() {
        Some(d) => format!("cargo install --path {}", d.display()),
        None => "cargo install --path <sparse checkout>/host".to_string(),
    }
}

/// Why the `sparse-host` or a plugin cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// No `sparse-host` anywhere.
    #[error(
        "no sparse-host found (looked at {}){}; install it with `{}` (it goes next to sparse, in ~/.cargo/bin)",
        searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        skipped.as_ref().map(|p| format!("; skipped {}, which this project's workspace does not build", p.display())).unwrap_or_default(),
        install_hint()
    )]
    NoHost {
        /// Every place looked at.
        searched: Vec<PathBuf>,
        /// A copy in the build folder that the workspace does not build.
        skipped: Option<PathBuf>,
    },
    /// A plugin in the build folder that the workspace does not build.
    #[error(
        "component `{component}` runs `{krate}::...`, but no crate of this project's workspace ({}) builds {} (its cdylib crates: {}); the file is left from an earlier build or was copied there: remove it, or add the `{krate}` crate to the workspace",
        workspace.display(),
        path.display(),
        if plugins.is_empty() { "none".to_string() } else { plugins.join(", ") }
    )]
    StalePlugin {
        /// The component id.
        component: String,
        /// The crate as written.
        krate: String,
        /// The stale file.
        path: PathBuf,
        /// The workspace root.
        workspace: PathBuf,
        /// What the workspace does build.
        plugins: Vec<String>,
    },
    /// `sparse-host --list` could not run or failed.
    #[error("cannot check the plugins with {}: {detail}", host.display())]
    HostFailed {
        /// The host.
        host: PathBuf,
        /// What happened.
        detail: String,
    },
    /// The host refused a plugin.
    #[error(
        "{} cannot load {}: {reason}. The plugin and this sparse-host do not speak the same plugin ABI: rebuild the plugin against the plugin-api of this sparse-host, or install the sparse-host that matches the plugin (`{}`)",
        host.display(),
        plugin.display(),
        install_hint()
    )]
    AbiMismatch {
        /// The host.
        host: PathBuf,
        /// The plugin file.
        plugin: PathBuf,
        /// The host's reason.
        reason: String,
    },
    /// The host listed nothing from a plugin (and gave no reason).
    #[error("{} listed no component of {}{}", host.display(), plugin.display(), if stderr.is_empty() { String::new() } else { format!(" ({stderr})") })]
    NotListed {
        /// The host.
        host: PathBuf,
        /// The plugin file.
        plugin: PathBuf,
        /// The host's stderr.
        stderr: String,
    },
    /// A component's type is not in its plugin.
    #[error("component `{component}` runs `{name}`, but {} has no such component (it has: {available})", plugin.display())]
    ComponentMissing {
        /// The component id.
        component: String,
        /// `CRATE::TYPE`.
        name: String,
        /// The plugin file.
        plugin: PathBuf,
        /// The types it has, comma-separated.
        available: String,
    },
    /// A spout's type is a bolt in the plugin, or the other way round.
    #[error("component `{component}` is a {declared} in the topology, but `{name}` is a {actual} in {}", plugin.display())]
    WrongKind {
        /// The component id.
        component: String,
        /// `spout` or `bolt`, from the topology.
        declared: &'static str,
        /// `CRATE::TYPE`.
        name: String,
        /// The kind in the plugin.
        actual: String,
        /// The plugin file.
        plugin: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_names_the_host_and_the_plugins() {
        let json: Value = serde_json::from_str(
            r#"{"workspace_root":"/w","target_directory":"/w/out","packages":[
                {"targets":[{"name":"my-topo","kind":["cdylib","rlib"]}]},
                {"targets":[{"name":"sparse_host","kind":["lib"]},{"name":"sparse-host","kind":["bin"]}]},
                {"targets":[{"name":"tool","kind":["bin"]}]}]}"#,
        )
        .unwrap();
        let ws = Workspace::from_metadata(&json);
        assert_eq!(ws.root, Path::new("/w"));
        assert!(ws.builds_host);
        assert_eq!(ws.target_directory.as_deref(), Some(Path::new("/w/out")));
        assert_eq!(ws.plugins, BTreeSet::from(["my_topo".to_string()]));
        let none = Workspace::from_metadata(&serde_json::json!({"packages": []}));
        assert!(!none.builds_host && none.plugins.is_empty());
    }
}
