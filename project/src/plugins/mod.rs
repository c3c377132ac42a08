//! What the component plugins really export, and a topology checked against it.
//!
//! A topology names Rust components by command (`["sparse-host" "--component"
//! "wordcount::WordCounter"]`) and declares their output streams itself; the plugin declares
//! them again in code (`const OUTPUTS`). Nothing ties the two together until a task runs, so
//! `sparse check` asks the `sparse-host` that `sparse run` would start for its catalogue
//! (`sparse-host --plugin-dir <release> --list --json`, run in the project root as tasks are)
//! and compares ([`check`]). Asking the host, rather than loading the libraries into `sparse`,
//! means the answer comes from the same search order and the same ABI checks as a real task.
//!
//! - [`host_command`] reads the component name (and any `--plugin-dir`) out of a command;
//! - [`query`] runs the host and parses its [`Catalog`] ([`Catalog::parse`] alone, for tests);
//! - [`check::check`] turns topology + catalogues into errors and warnings with `file:line:col`;
//! - [`stale`] finds the project's plugin crates (`cargo metadata`) and says when a library
//!   is older than its sources (for `--no-build`).
//!
//! ```
//! use sparse_project::plugins::{Catalog, host_command};
//! use sparse_topology::model::Exec;
//!
//! let exec = Exec::Shell {
//!     command: vec!["sparse-host".into(), "--component".into(), "wordcount::WordCounter".into()],
//! };
//! assert_eq!(host_command(&exec).unwrap().unwrap().component, "wordcount::WordCounter");
//!
//! let catalog = Catalog::parse(r#"{"searched": ["/p/target/release"], "skipped": [],
//!   "plugins": [{"crate": "wordcount", "name": "wordcount", "version": "0.1.0",
//!                "path": "/p/target/release/libwordcount.so",
//!                "components": [{"name": "WordCounter", "kind": "bolt",
//!                  "outputs": {"default": {"fields": ["word", "count"], "direct": false}}}]}]}"#,
//! ).unwrap();
//! let (plugin, component) = catalog.find("wordcount", "WordCounter").unwrap();
//! assert_eq!(plugin.version, "0.1.0");
//! assert_eq!(component.outputs.as_ref().unwrap()["default"].fields, ["word", "count"]);
//! ```

pub mod check;
pub mod stale;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use sparse_topology::model::{ComponentKind, Exec, StreamDef};

/// The program name that marks a Rust component's command (as the local runner sees it).
pub const HOST: &str = "sparse-host";

/// What one `sparse-host --list --json` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The directories the host searched, in order (each once: the host's own folder may
    /// also be the `--plugin-dir`).
    pub searched: Vec<PathBuf>,
    /// The plugins that loaded.
    pub plugins: Vec<PluginInfo>,
    /// Libraries named like plugins that the host could not use, with why.
    pub skipped: Vec<Skipped>,
}

/// A plugin library and its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The crate as `--component CRATE::TYPE` reaches it (from the file name, so `-` is `_`).
    pub krate: String,
    /// The crate name the plugin reports.
    pub name: String,
    /// The crate version the plugin reports.
    pub version: String,
    /// The library file.
    pub path: PathBuf,
    /// Its components.
    pub components: Vec<Exported>,
}

/// A component a plugin exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The type name.
    pub name: String,
    /// Spout or bolt.
    pub kind: ComponentKind,
    /// Its declared output streams, or why they could not be read.
    pub outputs: Result<BTreeMap<String, StreamDef>, String>,
}

/// A library the host skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why (the host's message).
    pub error: String,
}

#[derive(Deserialize)]
struct WireCatalog {
    searched: Vec<PathBuf>,
    plugins: Vec<WirePlugin>,
    #[serde(default)]
    skipped: Vec<WireSkipped>,
}

#[derive(Deserialize)]
struct WirePlugin {
    #[serde(rename = "crate")]
    krate: String,
    name: String,
    version: String,
    path: PathBuf,
    components: Vec<WireComponent>,
}

#[derive(Deserialize)]
struct WireComponent {
    name: String,
    kind: String,
    outputs: serde_json::Value,
    #[serde(default)]
    outputs_error: Option<String>,
}

#[derive(Deserialize)]
struct WireSkipped {
    path: PathBuf,
    error: String,
}

#[derive(Deserialize)]
struct WireStream {
    fields: Vec<String>,
    #[serde(default)]
    direct: bool,
}

impl Catalog {
    /// Parses the JSON document of `sparse-host --list --json`.
    pub fn parse(json: &str) -> Result<Catalog, String> {
        let wire: WireCatalog = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let plugins = wire
            .plugins
            .into_iter()
            .map(|p| {
                let components = p
                    .components
                    .into_iter()
                    .map(|c| {
                        let kind = match c.kind.as_str() {
                            "spout" => ComponentKind::Spout,
                            "bolt" => ComponentKind::Bolt,
                            other => {
                                return Err(format!(
                                    "component {}::{}: unknown kind {other:?}",
                                    p.krate, c.name
                                ));
                            }
                        };
                        let outputs = match c.outputs_error {
                            Some(e) => Err(e),
                            None => {
                                serde_json::from_value::<BTreeMap<String, WireStream>>(c.outputs)
                                    .map(|m| {
                                        m.into_iter()
                                            .map(|(k, s)| {
                                                (
                                                    k,
                                                    StreamDef {
                                                        fields: s.fields,
                                                        direct: s.direct,
                                                    },
                                                )
                                            })
                                            .collect()
                                    })
                                    .map_err(|e| format!("its declared outputs do not parse: {e}"))
                            }
                        };
                        Ok(Exported {
                            name: c.name,
                            kind,
                            outputs,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(PluginInfo {
                    krate: p.krate,
                    name: p.name,
                    version: p.version,
                    path: p.path,
                    components,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut searched: Vec<PathBuf> = Vec::new();
        for d in wire.searched {
            if !searched.contains(&d) {
                searched.push(d);
            }
        }
        Ok(Catalog {
            searched,
            plugins,
            skipped: wire
                .skipped
                .into_iter()
                .map(|s| Skipped {
                    path: s.path,
                    error: s.error,
                })
                .collect(),
        })
    }

    /// The plugin for `krate` (`-` and `_` alike, as in library file names).
    pub fn plugin(&self, krate: &str) -> Option<&PluginInfo> {
        let krate = krate.replace('-', "_");
        self.plugins.iter().find(|p| p.krate == krate)
    }

    /// The plugin of `krate` and its component `name`.
    pub fn find(&self, krate: &str, name: &str) -> Option<(&PluginInfo, &Exported)> {
        let p = self.plugin(krate)?;
        p.components.iter().find(|c| c.name == name).map(|c| (p, c))
    }

    /// The skipped library that `krate` would have been loaded from, if any.
    pub fn skipped_for(&self, krate: &str) -> Option<&Skipped> {
        let file = library_file(krate);
        self.skipped
            .iter()
            .find(|s| s.path.file_name().and_then(|f| f.to_str()) == Some(file.as_str()))
    }
}

/// `lib<crate>.so` (`-` → `_`), the file `sparse-host` looks for.
pub fn library_file(krate: &str) -> String {
    sparse_protocol::plugin_file::file_name(krate)
}

/// The parts of a `sparse-host` command that decide what a task loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCommand {
    /// `--component` (`-c`) as written, normally `CRATE::TYPE`.
    pub component: String,
    /// Its own `--plugin-dir` values, searched after the project's release folder.
    pub plugin_dirs: Vec<String>,
}

/// The `sparse-host` command of a component: `None` when it does not run `sparse-host`,
/// `Some(Err(..))` when the command names no component.
pub fn host_command(exec: &Exec) -> Option<Result<HostCommand, String>> {
    let Exec::Shell { command } = exec else {
        return None;
    };
    if command.first().map(String::as_str) != Some(HOST) {
        return None;
    }
    let mut component = None;
    let mut plugin_dirs = Vec::new();
    let mut args = command[1..].iter();
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let value =
            |args: &mut std::slice::Iter<'_, String>| inline.clone().or(args.next().cloned());
        match flag {
            "--component" | "-c" => component = value(&mut args),
            "--plugin-dir" => plugin_dirs.extend(value(&mut args)),
            f if f.starts_with("-c") && f.len() > 2 => component = Some(f[2..].to_string()),
            _ => {}
        }
    }
    Some(match component {
        Some(component) => Ok(HostCommand {
            component,
            plugin_dirs,
        }),
        None => Err(format!(
            "the `{HOST}` command names no component (expected `--component CRATE::TYPE`)"
        )),
    })
}

/// Why the catalogue could not be read.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The host could not be started.
    #[error("cannot run {}: {source}", host.display())]
    Spawn {
        /// The host binary.
        host: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The host ran and failed, e.g. one older than `--list --json`.
    #[error(
        "{} --list --json failed ({status}): {}{hint}",
        host.display(),
        stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim(),
        hint = if stderr.contains("--json") {
            " (this sparse-host predates `--list --json`: install the one built from the same \
             sparse tree as this `sparse`)"
        } else {
            ""
        }
    )]
    Failed {
        /// The host binary.
        host: PathBuf,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The host printed something that is not the expected document.
    #[error("{} --list --json printed an unreadable catalogue: {reason}", host.display())]
    BadOutput {
        /// The host binary.
        host: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Runs `host --plugin-dir D... --list --json` in `cwd` (where tasks run, so `./plugins`
/// means the same) and parses the catalogue.
pub fn query(host: &Path, plugin_dirs: &[PathBuf], cwd: &Path) -> Result<Catalog, QueryError> {
    let mut cmd = Command::new(host);
    for d in plugin_dirs {
        cmd.arg("--plugin-dir").arg(d);
    }
    let out = cmd
        .args(["--list", "--json"])
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| QueryError::Spawn {
            host: host.to_path_buf(),
            source,
        })?;
    if !out.status.success() {
        return Err(QueryError::Failed {
            host: host.to_path_buf(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let text = String::from_utf8(out.stdout).map_err(|e| QueryError::BadOutput {
        host: host.to_path_buf(),
        reason: e.to_string(),
    })?;
    Catalog::parse(&text).map_err(|reason| QueryError::BadOutput {
        host: host.to_path_buf(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(args: &[&str]) -> Exec {
        Exec::Shell {
            command: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn host_commands() {
        let c = |args: &[&str]| host_command(&cmd(args));
        assert_eq!(c(&["streamparse_run", "a.B"]), None);
        assert_eq!(c(&["/usr/bin/sparse-host", "--component", "a::B"]), None);
        for args in [
            &["sparse-host", "--component", "a::B"][..],
            &["sparse-host", "--component=a::B"],
            &["sparse-host", "-c", "a::B"],
            &["sparse-host", "-ca::B"],
        ] {
            assert_eq!(c(args).unwrap().unwrap().component, "a::B", "{args:?}");
        }
        let h = c(&[
            "sparse-host",
            "--plugin-dir",
            "x",
            "--component",
            "a::B",
            "--plugin-dir=y",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(h.plugin_dirs, ["x", "y"]);
        assert!(
            c(&["sparse-host", "--list"])
                .unwrap()
                .unwrap_err()
                .contains("names no component")
        );
    }

    #[test]
    fn catalogues_parse_and_refuse_garbage() {
        let c = Catalog::parse(
            r#"{"searched": [], "plugins": [{"crate": "word_count", "name": "word-count",
                "version": "1", "path": "/x/libword_count.so", "components": [
                  {"name": "A", "kind": "spout", "outputs": {"s": {"fields": ["f"], "direct": true}}},
                  {"name": "B", "kind": "bolt", "outputs": null, "outputs_error": "not JSON"},
                  {"name": "C", "kind": "bolt", "outputs": {"s": ["f"]}}]}],
                "skipped": [{"path": "/x/libother.so", "error": "ABI 2.0"}]}"#,
        )
        .unwrap();
        let (_, a) = c.find("word-count", "A").unwrap();
        assert_eq!(a.kind, ComponentKind::Spout);
        assert!(a.outputs.as_ref().unwrap()["s"].direct);
        assert_eq!(
            c.find("word_count", "B").unwrap().1.outputs,
            Err("not JSON".into())
        );
        assert!(
            c.find("word_count", "C")
                .unwrap()
                .1
                .outputs
                .as_ref()
                .unwrap_err()
                .contains("do not parse")
        );
        assert_eq!(c.skipped_for("other").unwrap().error, "ABI 2.0");
        assert!(c.skipped_for("word_count").is_none());

        assert!(Catalog::parse("wordcount::A\tspout\t{}").is_err());
        assert!(
            Catalog::parse(
                r#"{"searched": [], "plugins": [{"crate": "a", "name": "a", "version": "1",
                    "path": "/a", "components": [{"name": "A", "kind": "sink", "outputs": {}}]}]}"#
            )
            .unwrap_err()
            .contains("unknown kind \"sink\"")
        );
    }
}
