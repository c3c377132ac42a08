//! Which plugin files a topology needs (`CRATE::TYPE` → `libCRATE.so`), whether one is
//! stale (not built by this workspace), and whether they load in the chosen `sparse-host`
//! with the components the topology expects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sparse_topology::model::{ComponentKind, Exec, Topology};

use super::{ArtifactError, HOST_NAME, Workspace};

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
/// checks that each of `plugins` (files in `dir`) loaded; see the [module docs](super).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::test_tmp::Tmp;
    use sparse_topology::clj;
    use std::collections::BTreeSet;

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
