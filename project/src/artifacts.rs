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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use sparse_topology::model::{ComponentKind, Exec, Topology};

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

/// Where the chosen `sparse-host` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSource {
    /// Built by the project's workspace, in the profile's build folder.
    Project,
    /// In the build folder of a project whose workspace could not be read.
    BuildFolder,
    /// Next to the running `sparse`.
    BesideSparse,
    /// Found on `PATH`.
    OnPath,
}

impl fmt::Display for HostSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostSource::Project => "built by this project",
            HostSource::BuildFolder => "found in the build folder",
            HostSource::BesideSparse => "next to sparse",
            HostSource::OnPath => "on PATH",
        })
    }
}

/// The `sparse-host` a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Its path.
    pub path: PathBuf,
    /// Where it was found.
    pub source: HostSource,
    /// The Cargo profile it was built with, when known (see [`host_profile`]).
    pub profile: Option<String>,
}

impl fmt::Display for Host {
    /// `PATH (SOURCE, profile P)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, profile {})",
            self.path.display(),
            self.source,
            self.profile.as_deref().unwrap_or("unknown")
        )
    }
}

/// What [`find_host`] found, and what it passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostChoice {
    /// The host to use.
    pub host: Option<Host>,
    /// A `sparse-host` in the build folder that the workspace does not build (not used).
    pub skipped: Option<PathBuf>,
    /// Every place looked at, in order.
    pub searched: Vec<PathBuf>,
}

impl HostChoice {
    /// The error to report when [`HostChoice::host`] is `None`.
    pub fn error(&self) -> ArtifactError {
        ArtifactError::NoHost {
            searched: self.searched.clone(),
            skipped: self.skipped.clone(),
        }
    }
}

/// `sparse-host` next to the running `sparse`.
fn beside_sparse() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(HOST_NAME)))
}

/// `sparse-host` in each `PATH` folder, in order.
fn on_path() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(HOST_NAME))
                .collect()
        })
        .unwrap_or_default()
}

/// `sparse-host` next to the running `sparse`, then in each `PATH` folder (whether or not
/// they exist).
pub fn installed_host_candidates() -> Vec<PathBuf> {
    beside_sparse().into_iter().chain(on_path()).collect()
}

/// Chooses the `sparse-host` for a project whose `profile` builds into `build_dir`; see the
/// [module docs](self). `workspace` is `None` when it could not be read.
pub fn find_host(build_dir: &Path, profile: &str, workspace: Option<&Workspace>) -> HostChoice {
    choose_host(
        build_dir,
        profile,
        workspace.map(|w| w.builds_host),
        beside_sparse(),
        &on_path(),
    )
}

/// [`find_host`] with the candidates given: `builds_host` is `None` when the workspace is
/// unknown.
fn choose_host(
    build_dir: &Path,
    profile: &str,
    builds_host: Option<bool>,
    beside: Option<PathBuf>,
    on_path: &[PathBuf],
) -> HostChoice {
    let in_build = build_dir.join(HOST_NAME);
    let mut choice = HostChoice {
        host: None,
        skipped: None,
        searched: Vec::new(),
    };
    if builds_host == Some(false) {
        if in_build.is_file() {
            choice.skipped = Some(in_build);
        }
    } else {
        choice.searched.push(in_build.clone());
        if in_build.is_file() {
            choice.host = Some(Host {
                path: in_build,
                source: if builds_host == Some(true) {
                    HostSource::Project
                } else {
                    HostSource::BuildFolder
                },
                profile: Some(profile.to_string()),
            });
            return choice;
        }
    }
    let candidates = beside
        .map(|p| (p, HostSource::BesideSparse))
        .into_iter()
        .chain(on_path.iter().map(|p| (p.clone(), HostSource::OnPath)));
    for (path, source) in candidates {
        choice.searched.push(path.clone());
        if path.is_file() {
            choice.host = Some(Host {
                profile: host_profile(&path),
                path,
                source,
            });
            return choice;
        }
    }
    choice
}

/// The Cargo profile a `sparse-host` outside the project was built with, when that can be
/// told from where it is: installed by `cargo install` (`<root>/bin/sparse-host`, with the
/// profile recorded in `<root>/.crates2.json`), or in a Cargo build folder
/// (`<target>/debug` is `dev`, `<target>/release` is `release`; a build folder holds
/// `.fingerprint/`).
pub fn host_profile(path: &Path) -> Option<String> {
    let dir = path.parent()?;
    let name = path.file_name()?.to_str()?;
    if dir.file_name().is_some_and(|n| n == "bin")
        && let Some(root) = dir.parent()
        && let Ok(text) = std::fs::read_to_string(root.join(".crates2.json"))
        && let Ok(json) = serde_json::from_str::<Value>(&text)
    {
        let installed = json["installs"].as_object().into_iter().flatten();
        for (_, entry) in installed {
            let has_bin = entry["bins"]
                .as_array()
                .is_some_and(|b| b.iter().any(|b| b.as_str() == Some(name)));
            if has_bin && let Some(p) = entry["profile"].as_str() {
                return Some(format!("{p}, installed by cargo install"));
            }
        }
    }
    if dir.join(".fingerprint").is_dir() {
        let d = dir.file_name()?.to_str()?;
        return Some(if d == "debug" { "dev" } else { d }.to_string());
    }
    None
}

/// A component that runs `sparse-host --component CRATE::TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The component id.
    pub component: String,
    /// Spout or bolt, as the topology declares it.
    pub kind: ComponentKind,
    /// `CRATE` as written.
    pub krate: String,
    /// `TYPE`.
    pub type_name: String,
}

impl Wanted {
    /// The plugin file in `dir`: `lib<crate>.so`.
    pub fn plugin_path(&self, dir: &Path) -> PathBuf {
        dir.join(sparse_protocol::plugin_file::file_name(&self.krate))
    }

    /// The crate as the plugin file names it (`-` → `_`).
    pub fn lib_name(&self) -> String {
        self.krate.replace('-', "_")
    }
}

/// The `CRATE::TYPE` of `sparse-host ... --component CRATE::TYPE` (also `-c X`,
/// `--component=X`).
pub fn component_arg(args: &[String]) -> Option<&str> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = match a.as_str() {
            "--component" | "-c" => it.next().map(String::as_str),
            s => s.strip_prefix("--component="),
        };
        if value.is_some() {
            return value;
        }
    }
    None
}

/// Every component of `topology` that runs `sparse-host --component CRATE::TYPE`, in order
/// (commands without a usable `--component` are left out; `sparse-host` reports them).
pub fn wanted(topology: &Topology) -> Vec<Wanted> {
    let mut out = Vec::new();
    for c in &topology.components {
        let Exec::Shell { command } = &c.exec else {
            continue;
        };
        if command.first().map(String::as_str) != Some(HOST_NAME) {
            continue;
        }
        if let Some((k, t)) = component_arg(&command[1..]).and_then(|v| v.split_once("::")) {
            out.push(Wanted {
                component: c.id.clone(),
                kind: c.kind,
                krate: k.to_string(),
                type_name: t.to_string(),
            });
        }
    }
    out
}

/// The first wanted plugin that exists in `build_dir` although no `cdylib` of `workspace`
/// builds it: a file left from an earlier build (a renamed or removed crate) or copied there.
pub fn stale_plugin(
    build_dir: &Path,
    workspace: &Workspace,
    wanted: &[Wanted],
) -> Result<(), ArtifactError> {
    for w in wanted {
        let path = w.plugin_path(build_dir);
        if !workspace.plugins.contains(&w.lib_name()) && path.is_file() {
            return Err(ArtifactError::StalePlugin {
                component: w.component.clone(),
                krate: w.krate.clone(),
                path,
                workspace: workspace.root.clone(),
                plugins: workspace.plugins.iter().cloned().collect(),
            });
        }
    }
    Ok(())
}

/// One line of `sparse-host --list`: a component of a plugin that loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `crate::Type`, the crate as in the file name.
    pub name: String,
    /// `spout` or `bolt`.
    pub kind: String,
    /// The plugin file.
    pub path: PathBuf,
}

/// What `sparse-host --list` loaded from a build folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The host that listed.
    pub host: PathBuf,
    /// Every component of every plugin that loaded.
    pub components: Vec<Listed>,
}

impl Listing {
    /// Parses `sparse-host --list` output: `crate::Type<TAB>kind<TAB>outputs<TAB>path`.
    pub fn parse(host: &Path, stdout: &str) -> Listing {
        let components = stdout
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(4, '\t');
                let (name, kind, _outputs, path) = (f.next()?, f.next()?, f.next()?, f.next()?);
                Some(Listed {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    path: PathBuf::from(path),
                })
            })
            .collect();
        Listing {
            host: host.to_path_buf(),
            components,
        }
    }

    /// The type names listed from `plugin`, in order.
    pub fn types_in(&self, plugin: &Path) -> Vec<&str> {
        self.components
            .iter()
            .filter(|c| c.path == plugin)
            .filter_map(|c| c.name.split_once("::").map(|(_, t)| t))
            .collect()
    }

    /// Checks that each wanted `CRATE::TYPE` is in `<dir>/lib<CRATE>.so` with the declared
    /// kind.
    pub fn check_components(&self, wanted: &[Wanted], dir: &Path) -> Result<(), ArtifactError> {
        for w in wanted {
            let plugin = w.plugin_path(dir);
            let name = format!("{}::{}", w.lib_name(), w.type_name);
            let Some(found) = self
                .components
                .iter()
                .find(|c| c.path == plugin && c.name == name)
            else {
                return Err(ArtifactError::ComponentMissing {
                    component: w.component.clone(),
                    name: format!("{}::{}", w.krate, w.type_name),
                    plugin: plugin.clone(),
                    available: self.types_in(&plugin).join(", "),
                });
            };
            let declared = match w.kind {
                ComponentKind::Spout => "spout",
                ComponentKind::Bolt => "bolt",
            };
            if found.kind != declared {
                return Err(ArtifactError::WrongKind {
                    component: w.component.clone(),
                    declared,
                    name: format!("{}::{}", w.krate, w.type_name),
                    actual: found.kind.clone(),
                    plugin,
                });
            }
        }
        Ok(())
    }
}

/// Runs `host --list --plugin-dir <dir>` (in `dir`, without `SPARSE_PLUGIN_PATH`) and
/// checks that each of `plugins` (files in `dir`) loaded; see the [module docs](self).
pub fn list_plugins(
    host: &Path,
    dir: &Path,
    plugins: &[PathBuf],
) -> Result<Listing, ArtifactError> {
    let out = Command::new(host)
        .arg("--list")
        .arg("--plugin-dir")
        .arg(dir)
        .current_dir(dir)
        .env_remove("SPARSE_PLUGIN_PATH")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ArtifactError::HostFailed {
            host: host.to_path_buf(),
            detail: format!("cannot run it: {e}"),
        })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(ArtifactError::HostFailed {
            host: host.to_path_buf(),
            detail: format!("`--list` ended with {}: {}", out.status, stderr.trim()),
        });
    }
    let listing = Listing::parse(host, &String::from_utf8_lossy(&out.stdout));
    // `sparse-host: skipping <path>: cannot use plugin <path>: <reason>` per unusable file.
    let mut skipped: BTreeMap<PathBuf, String> = BTreeMap::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("sparse-host: skipping ") else {
            continue;
        };
        for p in plugins {
            let shown = p.display().to_string();
            if let Some(reason) = rest.strip_prefix(&shown).and_then(|r| r.strip_prefix(": ")) {
                let reason = reason
                    .strip_prefix(&format!("cannot use plugin {shown}: "))
                    .unwrap_or(reason);
                skipped.insert(p.clone(), reason.to_string());
            }
        }
    }
    for p in plugins {
        if let Some(reason) = skipped.remove(p) {
            return Err(ArtifactError::AbiMismatch {
                host: host.to_path_buf(),
                plugin: p.clone(),
                reason,
            });
        }
        if !listing.components.iter().any(|c| &c.path == p) {
            return Err(ArtifactError::NotListed {
                host: host.to_path_buf(),
                plugin: p.clone(),
                stderr: stderr.trim().to_string(),
            });
        }
    }
    Ok(listing)
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
    use sparse_topology::clj;

    struct Tmp(PathBuf);
    impl Tmp {
        fn new(name: &str) -> Tmp {
            let p = std::env::temp_dir()
                .join(format!("sparse-artifacts-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Tmp(p)
        }
        fn file(&self, rel: &str) -> PathBuf {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"x").unwrap();
            p
        }
    }
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_host_the_workspace_does_not_build_is_skipped() {
        let t = Tmp::new("skip");
        let build = t.0.join("target/release");
        let stale = t.file("target/release/sparse-host");
        let beside = t.file("bin/sparse-host");
        let c = choose_host(&build, "release", Some(false), Some(beside.clone()), &[]);
        let host = c.host.unwrap();
        assert_eq!(host.path, beside);
        assert_eq!(host.source, HostSource::BesideSparse);
        assert_eq!(c.skipped, Some(stale.clone()));
        assert_eq!(c.searched, std::slice::from_ref(&beside));

        // Built by the workspace: the build folder's copy wins, with the profile in use.
        let c = choose_host(&build, "release", Some(true), Some(beside.clone()), &[]);
        let host = c.host.unwrap();
        assert_eq!(
            (host.path, host.source),
            (stale.clone(), HostSource::Project)
        );
        assert_eq!(host.profile.as_deref(), Some("release"));
        // Workspace unknown: the build folder first, as a plain find.
        let c = choose_host(&build, "release", None, Some(beside), &[]);
        assert_eq!(c.host.unwrap().source, HostSource::BuildFolder);
    }

    #[test]
    fn path_comes_after_sparse_and_nothing_found_names_every_place() {
        let t = Tmp::new("path");
        let build = t.0.join("target/debug");
        let on_path = t.file("path2/sparse-host");
        let missing = t.0.join("path1/sparse-host");
        let beside = t.0.join("bin/sparse-host");
        let c = choose_host(
            &build,
            "dev",
            Some(true),
            Some(beside.clone()),
            &[missing.clone(), on_path.clone()],
        );
        assert_eq!(c.host.as_ref().unwrap().path, on_path);
        assert_eq!(c.host.as_ref().unwrap().source, HostSource::OnPath);

        let stale = t.file("target/debug/sparse-host");
        let c = choose_host(
            &build,
            "dev",
            Some(false),
            Some(beside.clone()),
            std::slice::from_ref(&missing),
        );
        assert!(c.host.is_none());
        let msg = c.error().to_string();
        for p in [&beside, &missing] {
            assert!(msg.contains(&p.display().to_string()), "{msg}");
        }
        assert!(
            msg.contains(&format!(
                "skipped {}, which this project's workspace does not build",
                stale.display()
            )),
            "{msg}"
        );
        assert!(msg.contains("cargo install --path "), "{msg}");
    }

    #[test]
    fn host_profile_from_cargo_install_or_a_build_folder() {
        let t = Tmp::new("profile");
        let installed = t.file("cargo/bin/sparse-host");
        assert_eq!(host_profile(&installed), None);
        std::fs::write(
            t.0.join("cargo/.crates2.json"),
            r#"{"installs":{"sparse 0.1.0 (path+file:///s/sparse)":{"bins":["sparse"],"profile":"dev"},
                "sparse-host 0.1.0 (path+file:///s/host)":{"bins":["sparse-host"],"profile":"release"}}}"#,
        )
        .unwrap();
        assert_eq!(
            host_profile(&installed).as_deref(),
            Some("release, installed by cargo install")
        );
        let debug = t.file("target/debug/sparse-host");
        assert_eq!(host_profile(&debug), None);
        std::fs::create_dir_all(t.0.join("target/debug/.fingerprint")).unwrap();
        assert_eq!(host_profile(&debug).as_deref(), Some("dev"));
    }

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

    fn topo() -> Topology {
        clj::load_str(
            r#"(ns t (:use [streamparse.specs]))
(defn t [options]
  [{"s" (rust-spout-spec options "my-topo::S" ["x"])}
   {"b" (rust-bolt-spec options {"s" :shuffle} "old::B" ["y"])
    "py" (python-bolt-spec options {"s" :shuffle} "bolts.P" [])}])"#,
            Path::new("t.clj"),
        )
        .unwrap()
    }

    #[test]
    fn wanted_components_and_a_stale_plugin() {
        let w = wanted(&topo());
        assert_eq!(w.len(), 2);
        assert_eq!(
            (
                w[0].component.as_str(),
                w[0].krate.as_str(),
                w[0].type_name.as_str()
            ),
            ("s", "my-topo", "S")
        );
        assert_eq!(w[0].kind, ComponentKind::Spout);
        assert_eq!(w[0].lib_name(), "my_topo");

        let t = Tmp::new("stale");
        let ws = Workspace {
            root: t.0.clone(),
            builds_host: false,
            plugins: BTreeSet::from(["my_topo".to_string()]),
            target_directory: None,
        };
        // old::B is not built by the workspace; absent, it is not stale (the host searches on).
        assert!(stale_plugin(&t.0, &ws, &w).is_ok());
        let old = t.file("libold.so");
        let e = stale_plugin(&t.0, &ws, &w).unwrap_err().to_string();
        assert!(e.starts_with("component `b` runs `old::...`"), "{e}");
        assert!(e.contains(&old.display().to_string()), "{e}");
        assert!(e.contains("its cdylib crates: my_topo"), "{e}");
    }

    #[test]
    fn listing_checks_types_and_kinds() {
        let dir = Path::new("/b");
        let listing = Listing::parse(
            Path::new("/h"),
            "my_topo::S\tspout\t[]\t/b/libmy_topo.so\nmy_topo::T\tbolt\t{\"default\":[\"x\"]}\t/b/libmy_topo.so\nold::B\tspout\t[]\t/b/libold.so\n",
        );
        assert_eq!(listing.types_in(Path::new("/b/libmy_topo.so")), ["S", "T"]);
        let w = wanted(&topo());
        assert!(listing.check_components(&w[..1], dir).is_ok());
        let e = listing.check_components(&w, dir).unwrap_err().to_string();
        assert_eq!(
            e,
            "component `b` is a bolt in the topology, but `old::B` is a spout in /b/libold.so"
        );
        let mut missing = w[0].clone();
        missing.type_name = "Nope".into();
        let e = listing
            .check_components(&[missing], dir)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "component `s` runs `my-topo::Nope`, but /b/libmy_topo.so has no such component (it has: S, T)"
        );
    }
}
