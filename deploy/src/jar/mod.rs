//! `sparse jar`: the topology jar that Storm runs, with everything the workers need inside.
//!
//! # Shipping a topology
//!
//! ```text
//! sparse jar [-n NAME] [-e ENV] [-o key=value]... [--no-build] [--profile NAME] [-O FILE]
//!            [--flux-core JAR | --no-flux-core]
//! ```
//!
//! builds the project (`cargo build --profile release` unless `--no-build` or another
//! `--profile`), chooses the `sparse-host` to pack and checks that it loads every plugin
//! ([`sparse_project::artifacts`]; a project made by `sparse quickstart` does not build `sparse-host`,
//! so the one next to `sparse` or on `PATH` is packed), then writes
//! `<target>/sparse/<name>.jar` (`<target>` is `$CARGO_TARGET_DIR` or `<project>/target`)
//! and, next to it, the same Flux YAML as `<name>.yaml`. It prints the path and profile of
//! the `sparse-host` and of each plugin it packed. Submit it with Storm's own client:
//!
//! ```text
//! storm jar target/sparse/wordcount.jar org.apache.storm.flux.Flux --remote --resource /wordcount.yaml
//! storm local target/sparse/wordcount.jar org.apache.storm.flux.Flux --resource /wordcount.yaml
//! ```
//!
//! (`sparse submit` does the same through [`build`].) Nothing needs to be installed on the
//! workers: not Rust, not the plugins, not `sparse-host`.
//!
//! # Jar layout
//!
//! | entry | what |
//! |---|---|
//! | `META-INF/MANIFEST.MF` | first entry; `Main-Class: org.apache.storm.flux.Flux` when Flux is embedded |
//! | `<name>.yaml` | the Flux topology, with the merged options as `config:` (see below) |
//! | `resources/sparse-host.sh` | the launcher (see below) |
//! | `resources/sparse-host` | the host binary ([`JarRequest::host`]) |
//! | `resources/plugins/lib<crate>.so` | one per crate named by a `sparse-host --component CRATE::TYPE` command |
//! | `org/sparse/storm/SparseSerializer.class`, `ShellComponent.class`, `SparseShellSpout.class`, `SparseShellBolt*.class` | the fast wire's serializer, shell spout and shell bolt ([`serializer`]), unless `--json-wire` |
//! | `org/apache/storm/flux/...`, `META-INF/...` | flux-core's classes (shaded: flux-wrappers, snakeyaml, commons-cli), when embedded |
//!
//! Storm extracts `resources/` as each shell component's working directory. Entry times are
//! fixed (1980-01-01), so the same inputs give the same bytes.
//!
//! # The launcher, and why commands are rewritten
//!
//! Storm extracts `resources/` with Java's zip API, which drops Unix permissions: every
//! file arrives as `0644`, so a command `["sparse-host", ...]` (or `./sparse-host`) fails
//! with `error=13, Permission denied`. In the jar's YAML every command
//! `["sparse-host", ARGS...]` therefore becomes `["sh", "sparse-host.sh", ARGS...]`
//! (`sh` is on every worker; the relative path resolves in `resources/`, the cwd).
//! `sparse-host.sh` sets the exec bit on `sparse-host` and `exec`s it; when `resources/`
//! belongs to another user and `chmod` fails, it runs a private copy in `$TMPDIR` (one per
//! content and user, reused by later tasks) with `--plugin-dir <resources>/plugins`.
//! Thanks to `exec`, the pid Storm kills is `sparse-host`'s own. `sparse-host` finds the
//! plugins in `<dir of sparse-host>/plugins`; loading a `.so` needs no exec bit.
//!
//! Other shell commands (e.g. `streamparse_run` or `python3 x.py`) are kept verbatim and
//! reported in [`JarOutput::warnings`]: the jar does not ship their programs.
//!
//! # Direct streams
//!
//! Storm's `FluxShellBolt`/`FluxShellSpout` cannot declare a direct stream, but Storm
//! accepts a `DIRECT` grouping on a normally declared stream and routes direct emits on it
//! (verified on Storm 2.8.3, `storm/README.md` finding a). The jar's YAML therefore
//! declares direct streams with `setNamedStream`/`setDefaultStream`. `sparse-host` sends the
//! target task as `task + 2^32`: Storm ≥ 2.6 kills a shell component that sends a small
//! numeric `task` (Integer/Long cast), and every Storm emits to `(int) task`, i.e. the task.
//!
//! # Streams without fields
//!
//! A stream declared with no fields (e.g. a sink's `[]`) is left out of the YAML: Flux 2.8
//! fails on `setDefaultStream([])` (`IndexOutOfBoundsException` in
//! `FluxBuilder.canInvokeWithArgs`). Such a stream that another component subscribes to is
//! an error.
//!
//! # The fast wire
//!
//! Unless `--json-wire` is given (or the conf names a `topology.multilang.serializer`),
//! `sparse jar` compiles sparse's serializer with `javac` against the Storm jars, packs it
//! and sets `topology.multilang.serializer: org.sparse.storm.SparseSerializer`:
//! `sparse-host` tasks then talk to Storm in binary, other multi-lang components keep JSON.
//! Every spout and bolt that runs `sparse-host` is then built as
//! `org.sparse.storm.SparseShellSpout` / `SparseShellBolt` (Storm's `ShellSpout` /
//! `ShellBolt` protocol and behaviour, with pipelined spout commands and coalesced pipe
//! writes) instead of Flux's wrappers; other shell components keep Storm's classes.
//! See [`serializer`] for what it needs and where the Storm jars come from.
//!
//! # Flux inside the jar
//!
//! Storm distributions do not put Flux on the worker classpath, so by default the jar embeds
//! flux-core's classes when a flux-core jar is found ([`find_flux_core`]; or given with
//! `--flux-core`): then `storm jar x.jar org.apache.storm.flux.Flux --remote ...` works on a
//! plain cluster. flux-core's own top-level `resources/` (`storm.py`, `storm.rb`, ...) is
//! **not** copied: it would be merged into the components' working directory, and it must
//! not shadow ours. Its manifest and signature files are not copied either. Use the
//! flux-core of your cluster's Storm version. `--no-flux-core` makes a jar of ~10 KiB plus
//! the binaries, for clusters that provide Flux themselves.
//!
//! # Configuration
//!
//! The Flux `config:` block is the merged conf of [`sparse_project::resolve`]: the topology
//! file's own conf, then the environment's `options`, then each `-o`, then `-d`. Put
//! `streamparse.log.path` (e.g. `/var/log/storm/streamparse`) there so that each task
//! writes `streamparse_<topology>_<component>_<task>_<pid>.log`.
//!
//! # Library use
//!
//! [`build`] is what `sparse submit` calls; its signature and [`JarRequest`] / [`JarOutput`]
//! are kept stable:
//!
//! ```no_run
//! # fn demo(topology: sparse_topology::model::Topology) -> Result<(), sparse_deploy::jar::JarError> {
//! use sparse_deploy::jar::{self, JarRequest};
//! let mut req = JarRequest::new(
//!     topology.clone(),
//!     topology.conf.clone(),
//!     "target/release".into(),
//!     "target/sparse/wordcount.jar".into(),
//! );
//! req.flux_core = jar::find_flux_core(std::path::Path::new("."));
//! let out = jar::build(&req)?;
//! println!("{} ({} entries), Flux resource {}", out.jar.display(), out.entries.len(), out.flux_resource);
//! # Ok(()) }
//! ```

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

// Looking for a flux-core jar to embed.
mod flux_core;
pub mod maven;
// Writing the jar file: manifest, launcher, host, plugins, flux-core and JVM jars.
mod write;

use sparse_protocol::shell::SPOUT_PIPELINE_KEY;
use sparse_topology::flux::{self, WriteError};
use sparse_topology::model::{ComponentKind, Exec, Topology};

pub use flux_core::find_flux_core;
use write::write_jar;

/// The launcher's text (`resources/sparse-host.sh`).
pub const LAUNCHER: &str = include_str!("sparse-host.sh");
/// The launcher's file name inside `resources/`.
pub const LAUNCHER_NAME: &str = "sparse-host.sh";
/// The host's file name inside `resources/` (and in the release folder).
pub const HOST_NAME: &str = "sparse-host";
/// Flux's main class.
pub const FLUX_MAIN: &str = "org.apache.storm.flux.Flux";

/// What to put in a topology jar; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct JarRequest {
    /// The topology (validated by the caller); its `conf` is ignored in favour of
    /// [`JarRequest::conf`].
    pub topology: Topology,
    /// The merged Storm conf, written as the Flux `config:` block.
    pub conf: Map<String, Value>,
    /// The build folder holding the plugins `lib<crate>.so` (the release folder unless
    /// another profile was built), and `sparse-host` unless [`JarRequest::host`] is given.
    pub release_dir: PathBuf,
    /// Where to write the jar (its folder is created). The Flux YAML is also written next to
    /// it, with the extension `.yaml`.
    pub output: PathBuf,
    /// A flux-core jar whose classes are embedded; `None` embeds nothing. See
    /// [`find_flux_core`].
    pub flux_core: Option<PathBuf>,
    /// The `sparse-host` to pack; `None` packs `<release_dir>/sparse-host`. Commands choose
    /// it with [`sparse_project::artifacts::find_host`].
    pub host: Option<PathBuf>,
    /// The compiled fast-wire classes ([`serializer::compile`]): packed, and the serializer
    /// named in `topology.multilang.serializer` unless the conf names one. When the
    /// serializer is sparse's, every spout and bolt running `sparse-host` is built as
    /// [`serializer::SHELL_SPOUT_CLASS_NAME`] / [`serializer::SHELL_BOLT_CLASS_NAME`].
    /// `None`: Storm's JSON serializer and shell components.
    pub fast_wire: Option<Vec<serializer::ClassFile>>,
    /// JVM dependency jars whose classes are packed (see [`maven::resolve`]), in order:
    /// an entry already in the jar is kept, except `META-INF/services/*` files, which are
    /// concatenated so every library's service providers stay registered.
    pub jvm_jars: Vec<PathBuf>,
}

impl JarRequest {
    /// A request without flux-core.
    pub fn new(
        topology: Topology,
        conf: Map<String, Value>,
        release_dir: PathBuf,
        output: PathBuf,
    ) -> JarRequest {
        JarRequest {
            topology,
            conf,
            release_dir,
            output,
            flux_core: None,
            host: None,
            fast_wire: None,
            jvm_jars: Vec::new(),
        }
    }

    /// The `sparse-host` that [`build`] packs.
    pub fn host_path(&self) -> PathBuf {
        self.host
            .clone()
            .unwrap_or_else(|| self.release_dir.join(HOST_NAME))
    }
}

/// What [`build`] wrote.
#[derive(Debug, Clone)]
pub struct JarOutput {
    /// The jar.
    pub jar: PathBuf,
    /// The Flux YAML written next to the jar (the same text as the jar's copy).
    pub yaml: PathBuf,
    /// The YAML's class-path name for Flux: `--resource /<name>.yaml`.
    pub flux_resource: String,
    /// Every entry of the jar, in order.
    pub entries: Vec<String>,
    /// The crates whose plugins were packed (`lib<crate>.so`).
    pub plugins: Vec<String>,
    /// The files packed as `resources/plugins/...`, in the same order.
    pub plugin_files: Vec<PathBuf>,
    /// The file packed as `resources/sparse-host`.
    pub host: PathBuf,
    /// The flux-core jar whose classes were embedded, if any.
    pub flux_core: Option<PathBuf>,
    /// Things the user should know (shell commands whose programs are not in the jar).
    pub warnings: Vec<String>,
    /// The serializer Storm will use (`topology.multilang.serializer`), if the conf sets one.
    pub multilang_serializer: Option<String>,
}

/// Why the jar could not be built.
#[derive(Debug, thiserror::Error)]
pub enum JarError {
    /// The `sparse-host` to pack does not exist.
    #[error(
        "no {} at {} (install it with `cargo install --path <sparse checkout>/host`; `sparse jar` packs the one next to sparse or on PATH)",
        HOST_NAME,
        path.display()
    )]
    NoHost {
        /// Where it was expected.
        path: PathBuf,
    },
    /// A plugin named by a component is not in the release folder.
    #[error(
        "component `{component}` runs `{krate}::...`, but {} does not exist (is `{krate}` a cdylib crate of this project's workspace? `sparse jar` builds it unless --no-build)",
        path.display()
    )]
    MissingPlugin {
        /// The component id.
        component: String,
        /// The crate name from `--component CRATE::TYPE`.
        krate: String,
        /// The file looked for.
        path: PathBuf,
    },
    /// A `sparse-host` command without a usable `--component CRATE::TYPE`.
    #[error("component `{component}`: {message}")]
    BadCommand {
        /// The component id.
        component: String,
        /// What is wrong.
        message: String,
    },
    /// A conf value of sparse's own that the shell classes cannot use.
    #[error("{place}: `{key}` must be {expected}, found {found}")]
    BadConf {
        /// Where: "the topology conf" or "component `x`".
        place: String,
        /// The key.
        key: String,
        /// What it must be.
        expected: &'static str,
        /// The value given (JSON).
        found: String,
    },
    /// The topology cannot be written as Flux YAML.
    #[error(transparent)]
    Yaml(#[from] WriteError),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing the jar, or reading the flux-core jar, failed.
    #[error("{}: {source}", path.display())]
    Zip {
        /// The jar.
        path: PathBuf,
        /// The zip error.
        source: zip::result::ZipError,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> JarError + '_ {
    move |source| JarError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn zip_err(path: &Path) -> impl FnOnce(zip::result::ZipError) -> JarError + '_ {
    move |source| JarError::Zip {
        path: path.to_path_buf(),
        source,
    }
}

/// `lib<crate>.so` (`-` → `_`), the file `sparse-host` loads for `CRATE::TYPE`.
pub fn plugin_file(krate: &str) -> String {
    sparse_protocol::plugin_file::file_name(krate)
}

/// The topology as it goes into the jar, the crates whose plugins it needs, and warnings.
#[derive(Debug, Clone)]
pub struct JarTopology {
    /// Commands rewritten to the launcher, direct streams declared normally, `conf` set.
    pub topology: Topology,
    /// `(component id, crate)` for every `sparse-host` component, in order.
    pub crates: Vec<(String, String)>,
    /// Shell commands that do not run `sparse-host` (their programs are not shipped).
    pub warnings: Vec<String>,
}

/// The crate of `sparse-host ... --component CRATE::TYPE` (also `-c X`, `--component=X`).
fn component_crate(args: &[String]) -> Option<&str> {
    sparse_project::artifacts::component_arg(args)?
        .split_once("::")
        .map(|(k, _)| k)
}

/// Rewrites `topology` for the jar (see the [module docs](self)): `conf` becomes the
/// Flux `config:`, `["sparse-host", ARGS...]` becomes `["sh", "sparse-host.sh", ARGS...]`,
/// and direct streams are declared as normal ones.
pub fn jar_topology(
    topology: &Topology,
    conf: &Map<String, Value>,
) -> Result<JarTopology, JarError> {
    let mut t = topology.clone();
    t.conf = conf.clone();
    let mut crates = Vec::new();
    let mut warnings = Vec::new();
    let subscribed: HashSet<(String, String)> = topology
        .components
        .iter()
        .flat_map(|c| c.inputs.iter())
        .map(|i| (i.source.clone(), i.stream.clone()))
        .collect();
    for c in &mut t.components {
        for def in c.outputs.values_mut() {
            def.direct = false;
        }
        // Flux 2.8 crashes on `setDefaultStream([])` (IndexOutOfBoundsException in
        // FluxBuilder.canInvokeWithArgs), so a stream without fields is not declared; one
        // that is subscribed to cannot be expressed at all.
        if let Some((sid, _)) = c.outputs.iter().find(|(sid, d)| {
            d.fields.is_empty() && subscribed.contains(&(c.id.clone(), (*sid).clone()))
        }) {
            return Err(JarError::BadCommand {
                component: c.id.clone(),
                message: format!(
                    "stream `{sid}` has no fields but is subscribed to; Flux cannot declare it"
                ),
            });
        }
        c.outputs.retain(|_, d| !d.fields.is_empty());
        let Exec::Shell { command } = &mut c.exec else {
            continue;
        };
        if command.first().map(String::as_str) == Some(HOST_NAME) {
            let krate = component_crate(&command[1..]).ok_or_else(|| JarError::BadCommand {
                component: c.id.clone(),
                message: format!("`{}` has no `--component CRATE::TYPE`", command.join(" ")),
            })?;
            crates.push((c.id.clone(), krate.to_string()));
            let mut new = vec!["sh".to_string(), LAUNCHER_NAME.to_string()];
            new.extend(command.drain(1..));
            *command = new;
        } else {
            warnings.push(format!(
                "component `{}` runs `{}`, which the jar does not ship: it must be installed on every worker",
                c.id,
                command.join(" ")
            ));
        }
    }
    Ok(JarTopology {
        topology: t,
        crates,
        warnings,
    })
}

/// The topology name as a file name: characters other than ASCII letters, digits, `.`,
/// `_` and `-` become `_`.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("topology{s}")
    } else {
        s
    }
}

/// The default jar path for a topology: `<target>/sparse/<name>.jar`, where `<target>` is
/// [`sparse_project::release::target_dir`].
pub fn default_output(root: &Path, topology_name: &str) -> PathBuf {
    sparse_project::release::target_dir(root)
        .join("sparse")
        .join(format!("{}.jar", file_stem(topology_name)))
}

/// `sparse.spout.pipeline`, when set, must be a whole number from 1 (the Java side reads
/// it as a number; anything else would silently mean the default there).
fn check_pipeline(conf: &Map<String, Value>, place: &str) -> Result<(), JarError> {
    match conf.get(SPOUT_PIPELINE_KEY) {
        None => Ok(()),
        Some(v)
            if v.as_u64()
                .is_some_and(|n| (1..=i32::MAX as u64).contains(&n)) =>
        {
            Ok(())
        }
        Some(v) => Err(JarError::BadConf {
            place: place.to_string(),
            key: SPOUT_PIPELINE_KEY.into(),
            expected: "a whole number from 1 (commands in a spout's pipe at once)",
            found: v.to_string(),
        }),
    }
}

/// Builds the jar and the YAML next to it; see the [module docs](self).
///
/// The jar is written to a temporary file beside [`JarRequest::output`] and renamed at the
/// end, so a failed build never leaves a truncated jar.
pub fn build(req: &JarRequest) -> Result<JarOutput, JarError> {
    let mut conf = req.conf.clone();
    if req.fast_wire.is_some() && !conf.contains_key(serializer::CONF_KEY) {
        conf.insert(
            serializer::CONF_KEY.into(),
            Value::String(serializer::CLASS_NAME.into()),
        );
    }
    let multilang_serializer = conf
        .get(serializer::CONF_KEY)
        .and_then(Value::as_str)
        .map(str::to_owned);
    check_pipeline(&conf, "the topology conf")?;
    for c in &req.topology.components {
        check_pipeline(&c.conf, &format!("component `{}`", c.id))?;
    }
    let jt = jar_topology(&req.topology, &conf)?;
    // sparse's shell spout and bolt for sparse-host components, when the classes are
    // packed and the topology uses sparse's serializer; other shell components keep Storm's.
    let sparse_classes =
        req.fast_wire.is_some() && multilang_serializer.as_deref() == Some(serializer::CLASS_NAME);
    let shell_class = |kind: ComponentKind, command: &[String]| {
        let host = command.len() >= 2 && command[0] == "sh" && command[1] == LAUNCHER_NAME;
        (sparse_classes && host).then_some(match kind {
            ComponentKind::Spout => serializer::SHELL_SPOUT_CLASS_NAME,
            ComponentKind::Bolt => serializer::SHELL_BOLT_CLASS_NAME,
        })
    };
    let host = req.host_path();
    if !host.is_file() {
        return Err(JarError::NoHost { path: host });
    }
    let mut plugins: BTreeSet<String> = BTreeSet::new();
    for (component, krate) in &jt.crates {
        let path = req.release_dir.join(plugin_file(krate));
        if !path.is_file() {
            return Err(JarError::MissingPlugin {
                component: component.clone(),
                krate: krate.clone(),
                path,
            });
        }
        plugins.insert(plugin_file(krate));
    }
    let stem = file_stem(&jt.topology.name);
    let yaml_name = format!("{stem}.yaml");
    let yaml = format!(
        "# Generated by sparse {} (`sparse jar`) for topology {:?}.\n# Run: storm jar <this jar> {} --remote --resource /{}\n{}",
        env!("CARGO_PKG_VERSION"),
        jt.topology.name,
        FLUX_MAIN,
        yaml_name,
        flux::to_yaml_with_shell_classes(&jt.topology, shell_class)?
    );
    let yaml = if yaml.ends_with('\n') {
        yaml
    } else {
        yaml + "\n"
    };

    let out_dir = req
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&out_dir).map_err(io_err(&out_dir))?;
    let yaml_path = req.output.with_extension("yaml");
    std::fs::write(&yaml_path, &yaml).map_err(io_err(&yaml_path))?;

    // Written beside the final jar under an unpredictable name, then renamed over it, so a
    // reader never sees half a jar; dropped (deleted) on every error path.
    let tmp = tempfile::Builder::new()
        .prefix(".sparse-jar-")
        .suffix(".tmp")
        // rw for all less the umask, as `File::create` would give the jar (not tempfile's 0600)
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(&out_dir)
        .map_err(io_err(&out_dir))?;
    let entries = write_jar(req, tmp.path(), &yaml_name, &yaml, &plugins)?;
    tmp.persist(&req.output)
        .map_err(|e| e.error)
        .map_err(io_err(&req.output))?;
    Ok(JarOutput {
        jar: req.output.clone(),
        yaml: yaml_path,
        flux_resource: format!("/{yaml_name}"),
        entries,
        plugins: plugins
            .iter()
            .map(|f| {
                sparse_protocol::plugin_file::crate_of(f)
                    .unwrap_or(f)
                    .to_string()
            })
            .collect(),
        plugin_files: plugins.iter().map(|p| req.release_dir.join(p)).collect(),
        host,
        flux_core: req.flux_core.clone(),
        warnings: jt.warnings,
        multilang_serializer,
    })
}

pub mod serializer;

#[cfg(test)]
mod tests;
