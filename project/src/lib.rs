//! A sparse project on disk, as every `sparse` command sees it: its `config.json`
//! ([`config`]), the topology and environment a command works on (this module), the Cargo
//! build of its plugins ([`release`]), the `sparse-host` and plugin files that build produced,
//! checked against each other ([`artifacts`]), and what those plugins export ([`plugins`]).
//!
//! ```
//! use sparse_project::{Selection, resolve};
//!
//! // A project: config.json and one topology file.
//! let root = std::env::temp_dir().join(format!("sparse-project-doc-{}", std::process::id()));
//! std::fs::create_dir_all(root.join("topologies"))?;
//! std::fs::write(
//!     root.join("config.json"),
//!     r#"{"topology_specs": "topologies/",
//!         "envs": {"prod": {"nimbus": "nimbus.example", "options": {"topology.workers": 4}}}}"#,
//! )?;
//! std::fs::write(
//!     root.join("topologies/hello.clj"),
//!     r#"(defn hello [o] [{"words" (rust-spout-spec o "hello::Words" ["word"])} {}])"#,
//! )?;
//!
//! // What `sparse run -o topology.debug=false` resolves from a subfolder: the project
//! // above, its only topology and only environment, the options merged in order.
//! let sel = Selection {
//!     options: vec![("topology.debug".into(), false.into())],
//!     ..Selection::default()
//! };
//! let r = resolve(&sel, &root.join("topologies"))?;
//! assert_eq!(r.opened.topology.name, "hello");
//! assert_eq!(r.env.as_ref().unwrap().0, "prod");
//! assert_eq!(r.options["topology.workers"], 4);
//! assert_eq!(r.options["topology.debug"], false);
//! std::fs::remove_dir_all(&root)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Finding the project
//!
//! Finding the project and what a command works on: root folder, `config.json`, the topology
//! file chosen with `-n`, the environment chosen with `-e`, and the merged Storm options.
//!
//! Every subcommand that works on a topology (`check`, `visualize`, `run`, `submit`...) goes
//! through [`open_topology`] or [`resolve`], so they all choose files the same way:
//!
//! - **Project root**: the folder of `--config PATH` when given, else the nearest ancestor of
//!   the current directory (itself included) holding `config.json`.
//! - **Topology file** (in `topology_specs`, default `topologies/`; files `*.clj`, `*.yaml`,
//!   `*.yml`): `-n NAME` may be a file name with extension (`wordcount.yaml`) or a stem
//!   (`wordcount`). A stem matching both a `.clj` and a `.yaml`/`.yml` file picks the `.clj`
//!   and says so in a note (pass the full file name for the other). Without `-n` the folder must
//!   hold exactly one topology stem, with the same preference.
//! - **Environment**: `-e NAME` must exist in `envs`; without it the only environment is used
//!   when there is exactly one, else none.
//! - **Options**, lowest to highest priority: the topology file's own conf (Flux `config:`),
//!   the environment's `options`, each `-o key=value` in order, then `-d` (`topology.debug`
//!   = true).

pub mod artifacts;
pub mod config;
pub mod plugins;
pub mod release;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::config::{ConfigError, EnvConfig, ProjectConfig};
use sparse_topology::{self as topology, Format, LoadError, model::Topology};

/// The name of the project file.
pub const CONFIG_FILE: &str = "config.json";

/// Why the project, topology or environment could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// No `config.json` in the current directory or its ancestors.
    #[error(
        "no {CONFIG_FILE} found in {} or any parent folder (pass --config PATH)",
        start.display()
    )]
    NoProject {
        /// Where the search started.
        start: PathBuf,
    },
    /// `config.json` is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The topology folder cannot be listed.
    #[error("cannot list topology folder {}: {source}", dir.display())]
    TopologyDir {
        /// The folder.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The topology folder has no definitions.
    #[error("no topology files (*.clj, *.yaml, *.yml) in {}", dir.display())]
    NoTopologies {
        /// The folder.
        dir: PathBuf,
    },
    /// Several topologies and no `-n`.
    #[error("several topologies in {}: {}; choose one with -n NAME", dir.display(), names.join(", "))]
    Ambiguous {
        /// The folder.
        dir: PathBuf,
        /// The candidate names.
        names: Vec<String>,
    },
    /// `-n NAME` matches no file.
    #[error("no topology `{name}` in {} (available: {})", dir.display(), available.join(", "))]
    NotFound {
        /// What was asked for.
        name: String,
        /// The folder.
        dir: PathBuf,
        /// The files there.
        available: Vec<String>,
    },
    /// `-e NAME` is not in `envs`.
    #[error("no environment `{name}` in config.json (available: {})", available.join(", "))]
    UnknownEnv {
        /// What was asked for.
        name: String,
        /// The environments defined.
        available: Vec<String>,
    },
    /// The topology file could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// An opened project: its root and configuration.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding `config.json`.
    pub root: PathBuf,
    /// The config file read.
    pub config_path: PathBuf,
    /// Its contents.
    pub config: ProjectConfig,
    /// Warnings about the config (unknown keys); callers print them on stderr.
    pub warnings: Vec<String>,
}

/// The nearest ancestor of `start` (itself included) holding `config.json`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}

impl Project {
    /// Opens the project of `config` (a `config.json` path) or, without it, the one found
    /// from `cwd` upwards.
    pub fn open(config: Option<&Path>, cwd: &Path) -> Result<Project, ProjectError> {
        let config_path = match config {
            Some(p) => cwd.join(p),
            None => find_root(cwd)
                .ok_or_else(|| ProjectError::NoProject {
                    start: cwd.to_path_buf(),
                })?
                .join(CONFIG_FILE),
        };
        let loaded = config::load(&config_path)?;
        let root = config_path
            .parent()
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
        Ok(Project {
            root,
            config_path,
            config: loaded.config,
            warnings: loaded.warnings,
        })
    }

    /// The folder of topology definitions.
    pub fn topology_dir(&self) -> PathBuf {
        self.root.join(&self.config.topology_specs)
    }

    /// Chooses the topology file for `-n name` (see the module docs). The second value is a
    /// note for the user when a choice between formats was made.
    pub fn find_topology(
        &self,
        name: Option<&str>,
    ) -> Result<(PathBuf, Option<String>), ProjectError> {
        let dir = self.topology_dir();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|source| ProjectError::TopologyDir {
                dir: dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && Format::from_path(p).is_some())
            .collect();
        files.sort();
        let file_name = |p: &PathBuf| {
            p.file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        if files.is_empty() {
            return Err(ProjectError::NoTopologies { dir });
        }
        let candidates: Vec<PathBuf> = match name {
            Some(n) => {
                if let Some(p) = files.iter().find(|p| file_name(p) == n) {
                    return Ok((p.clone(), None));
                }
                files
                    .iter()
                    .filter(|p| topology::name_from_path(p) == n)
                    .cloned()
                    .collect()
            }
            None => {
                let mut stems: Vec<String> =
                    files.iter().map(|p| topology::name_from_path(p)).collect();
                stems.sort();
                stems.dedup();
                if stems.len() > 1 {
                    return Err(ProjectError::Ambiguous { dir, names: stems });
                }
                files.clone()
            }
        };
        if candidates.is_empty() {
            return Err(ProjectError::NotFound {
                name: name.unwrap_or_default().to_string(),
                dir,
                available: files.iter().map(file_name).collect(),
            });
        }
        if candidates.len() == 1 {
            return Ok((candidates[0].clone(), None));
        }
        let chosen = candidates
            .iter()
            .find(|p| Format::from_path(p) == Some(Format::Clojure))
            .unwrap_or(&candidates[0])
            .clone();
        let others: Vec<String> = candidates
            .iter()
            .filter(|p| **p != chosen)
            .map(file_name)
            .collect();
        let note = format!(
            "using {} (also found {}; pass -n {} to use it)",
            file_name(&chosen),
            others.join(", "),
            others[0]
        );
        Ok((chosen, Some(note)))
    }

    /// Chooses the topology for `-n name` and loads it (not validated).
    pub fn load_topology(self, name: Option<&str>) -> Result<OpenedTopology, ProjectError> {
        self.load_topology_filtered(name, &topology::filter::Filter::none())
    }

    /// Like [`Project::load_topology`], substituting a Flux YAML file's `${...}` with
    /// `filter` first (Flux's `--filter`/`--env-filter`, see [`topology::filter`]).
    pub fn load_topology_filtered(
        self,
        name: Option<&str>,
        filter: &topology::filter::Filter,
    ) -> Result<OpenedTopology, ProjectError> {
        let (path, note) = self.find_topology(name)?;
        let loaded = topology::load_filtered(&path, filter)?;
        Ok(OpenedTopology {
            project: self,
            path,
            topology: loaded.topology,
            warnings: loaded.warnings,
            notes: note.into_iter().collect(),
        })
    }

    /// The environment for `-e name` (see the module docs).
    pub fn env(&self, name: Option<&str>) -> Result<Option<(String, EnvConfig)>, ProjectError> {
        let envs = &self.config.envs;
        match name {
            Some(n) => envs
                .get(n)
                .map(|e| Some((n.to_string(), e.clone())))
                .ok_or_else(|| ProjectError::UnknownEnv {
                    name: n.to_string(),
                    available: envs.keys().cloned().collect(),
                }),
            None if envs.len() == 1 => Ok(envs.iter().next().map(|(k, v)| (k.clone(), v.clone()))),
            None => Ok(None),
        }
    }
}

/// A project with a loaded (not yet validated) topology.
#[derive(Debug, Clone)]
pub struct OpenedTopology {
    /// The project.
    pub project: Project,
    /// The topology file.
    pub path: PathBuf,
    /// The topology as declared.
    pub topology: Topology,
    /// What the reader accepted but the user should hear about (an input declared twice);
    /// print them on stderr.
    pub warnings: Vec<topology::Diagnostic>,
    /// Notes for the user (which file was chosen); print them on stderr.
    pub notes: Vec<String>,
}

/// What a command works on, as chosen on its command line: the topology (`-n NAME`,
/// `--config PATH`), the environment (`-e`), options (`-o`) and `-d`. Every field may be
/// left empty; [`resolve`] then chooses as the module docs say.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Topology file name, with or without extension.
    pub name: Option<String>,
    /// Path of `config.json`, relative to the current folder.
    pub config: Option<PathBuf>,
    /// Environment from `envs`.
    pub environment: Option<String>,
    /// Storm options `key=value`, applied in order over the environment's.
    pub options: Vec<(String, Value)>,
    /// Set `topology.debug` to true.
    pub debug: bool,
    /// `--filter FILE`: a Java properties file whose values replace `${name}` in a Flux YAML
    /// topology, relative to the current folder.
    pub filter: Option<PathBuf>,
    /// `--env-filter`: `${ENV-NAME}` in a Flux YAML topology is the environment variable.
    pub env_filter: bool,
}

impl Selection {
    /// The substitution `--filter`/`--env-filter` ask for, its properties file read
    /// (relative to `cwd`).
    pub fn flux_filter(&self, cwd: &Path) -> Result<topology::filter::Filter, ProjectError> {
        let mut f = match &self.filter {
            Some(p) => topology::filter::Filter::from_properties_file(&cwd.join(p))?,
            None => topology::filter::Filter::none(),
        };
        f.env = self.env_filter;
        Ok(f)
    }
}

/// Opens the project and loads the topology chosen by `sel` (`name`, `config`, `filter`).
pub fn open_topology(sel: &Selection, cwd: &Path) -> Result<OpenedTopology, ProjectError> {
    let filter = sel.flux_filter(cwd)?;
    Project::open(sel.config.as_deref(), cwd)?.load_topology_filtered(sel.name.as_deref(), &filter)
}

/// Everything a command such as `run` or `submit` needs, resolved from the common flags.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Project, topology file and topology.
    pub opened: OpenedTopology,
    /// The chosen environment, if any.
    pub env: Option<(String, EnvConfig)>,
    /// Merged Storm options (see the module docs for the order).
    pub options: Map<String, Value>,
}

/// Resolves project, topology, environment and options from the common flags. The topology
/// is loaded but not validated: call [`topology::validate::validate`].
pub fn resolve(args: &Selection, cwd: &Path) -> Result<Resolved, ProjectError> {
    let opened = open_topology(args, cwd)?;
    let env = opened.project.env(args.environment.as_deref())?;
    let mut options = opened.topology.conf.clone();
    if let Some((_, e)) = &env {
        options.extend(e.options.clone());
    }
    for (k, v) in &args.options {
        options.insert(k.clone(), v.clone());
    }
    if args.debug {
        options.insert("topology.debug".into(), Value::Bool(true));
    }
    Ok(Resolved {
        opened,
        env,
        options,
    })
}
