//! Which `sparse-host` a command uses: the project's build folder (when its workspace
//! builds one), next to `sparse`, or on `PATH` (see the [parent module](super)).

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{ArtifactError, HOST_NAME, Workspace};

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
/// [module docs](super). `workspace` is `None` when it could not be read.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::test_tmp::Tmp;

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
}
