//! The fast wire's Storm side: compiling `org.sparse.storm.SparseSerializer` and
//! `org.sparse.storm.SparseShellBolt` for the jar.
//!
//! Storm's JVM spends most of a Rust topology's CPU parsing and writing multi-lang JSON.
//! `sparse jar` therefore compiles sparse's own serializer (its Java source is built into
//! `sparse`, see `java/org/sparse/storm/SparseSerializer.java`) with the JDK's `javac`
//! against the Storm jars, puts the class into the topology jar and sets
//! `topology.multilang.serializer` to it (unless the conf names a serializer already). Each
//! task then offers the binary fast wire in its JSON handshake; `sparse-host` accepts it,
//! every other multi-lang component (storm.py, pystorm) ignores it and stays on JSON. See
//! [`sparse_protocol::fastwire`] for the format.
//!
//! The same compile gives sparse's shell spout and bolt
//! (`java/org/sparse/storm/SparseShellSpout.java`, `SparseShellBolt.java`), which `sparse
//! jar` names for the spouts and bolts that run `sparse-host`. They keep Storm's
//! `ShellSpout`/`ShellBolt` behaviour (heartbeats, timeouts, logs, metrics, task ids,
//! `max.pending`, death), but the bolt's writer thread takes every queued tuple at once and
//! flushes the pipe only when the queue is empty, where `ShellBolt` makes one `write(2)` per
//! tuple; and the spout keeps up to `sparse.spout.pipeline` commands (default 8) in the
//! component's pipe instead of waiting for a round trip per `next`, `ack` and `fail`.
//!
//! What it needs: a JDK (`$JAVA_HOME/bin/javac`, else `javac` on `PATH`) and Storm's jars
//! (storm-client and its shaded dependencies), found by [`storm_classpath`]. Without them
//! `sparse jar` says so and builds a JSON-wire jar; `--json-wire` skips all this.
//!
//! ```no_run
//! # fn demo() -> Result<(), sparse_deploy::jar::serializer::SerializerError> {
//! use sparse_deploy::jar::serializer;
//! let cp = serializer::storm_classpath(std::path::Path::new(".")).expect("Storm jars");
//! let classes = serializer::compile(&cp)?;
//! assert!(classes.iter().any(|c| c.entry == serializer::CLASS_ENTRY));
//! assert!(classes.iter().all(|c| c.bytes.starts_with(&[0xca, 0xfe, 0xba, 0xbe])));
//! # Ok(()) }
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The serializer's Java source.
pub const SOURCE: &str = include_str!("java/org/sparse/storm/SparseSerializer.java");
/// Its class name, the value of [`CONF_KEY`].
pub const CLASS_NAME: &str = "org.sparse.storm.SparseSerializer";
/// Its entry in the jar.
pub const CLASS_ENTRY: &str = "org/sparse/storm/SparseSerializer.class";
/// What the shell spout and bolt share (Flux's builder methods, launch, metrics).
pub const SHELL_COMPONENT_SOURCE: &str = include_str!("java/org/sparse/storm/ShellComponent.java");
/// The shell spout's Java source.
pub const SHELL_SPOUT_SOURCE: &str = include_str!("java/org/sparse/storm/SparseShellSpout.java");
/// The shell spout's class name, the `className` of `sparse-host` spouts in the jar's YAML.
pub const SHELL_SPOUT_CLASS_NAME: &str = sparse_topology::flux::SPARSE_SHELL_SPOUT_CLASS;
/// The shell bolt's Java source.
pub const SHELL_BOLT_SOURCE: &str = include_str!("java/org/sparse/storm/SparseShellBolt.java");
/// The shell bolt's class name, the `className` of `sparse-host` bolts in the jar's YAML.
pub const SHELL_BOLT_CLASS_NAME: &str = sparse_topology::flux::SPARSE_SHELL_BOLT_CLASS;
/// The two slf4j types the shell spout and bolt log through, declared with just the methods it
/// calls. Storm's workers always have slf4j, but the classpath `sparse jar` compiles
/// against may be only storm-client and storm-shaded-deps (the Maven case of
/// [`storm_classpath`]), so `javac` gets these declarations instead; their classes are
/// not packed, and the worker's real slf4j has the same method signatures.
const SLF4J_LOGGER_DECL: &str = "package org.slf4j;\npublic interface Logger {\n    void info(String msg);\n    void info(String format, Object arg);\n    void error(String msg, Throwable t);\n}\n";
const SLF4J_FACTORY_DECL: &str = "package org.slf4j;\npublic final class LoggerFactory {\n    private LoggerFactory() {}\n    public static Logger getLogger(Class<?> clazz) {\n        throw new UnsupportedOperationException(\"compile-time declaration only\");\n    }\n}\n";

/// The package folder of every class [`compile`] gives.
const PACKAGE_DIR: &str = "org/sparse/storm";

/// One compiled class: its jar entry and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassFile {
    /// The entry name, e.g. [`CLASS_ENTRY`].
    pub entry: String,
    /// The class file.
    pub bytes: Vec<u8>,
}

/// Storm's conf key naming the multi-lang serializer.
pub const CONF_KEY: &str = "topology.multilang.serializer";

/// Why the serializer could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum SerializerError {
    /// `javac` could not be run.
    #[error("cannot run {javac} (a JDK is needed to compile sparse's Java classes): {source}")]
    NoJavac {
        /// The program tried.
        javac: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `javac` failed.
    #[error(
        "javac failed on sparse's Java classes against the Storm classpath {classpath}:\n{stderr}"
    )]
    Javac {
        /// The classpath used.
        classpath: String,
        /// javac's messages.
        stderr: String,
    },
    /// A temporary file could not be written or read.
    #[error("building the fast-wire serializer: {0}")]
    Io(#[from] std::io::Error),
}

fn javac_binary() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|h| Path::new(&h).join("bin").join("javac"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("javac"))
}

/// Storm's jars to compile against, in this order: `$SPARSE_STORM_CLASSPATH` (what `sparse
/// submit` uses too), `$STORM_HOME/lib/*`, the `lib/` of the `storm` command on `PATH`, the
/// folder of the flux-core jar [`super::find_flux_core`] finds (e.g. this repository's
/// `storm/target/deps-<v>/lib`), or storm-client and storm-shaded-deps of the same version
/// in the local Maven repository. `None` when none of these has a storm-client jar.
pub fn storm_classpath(project_root: &Path) -> Option<String> {
    if let Ok(cp) = std::env::var("SPARSE_STORM_CLASSPATH")
        && !cp.trim().is_empty()
    {
        return Some(cp);
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(h) = std::env::var_os("STORM_HOME") {
        dirs.push(Path::new(&h).join("lib"));
    }
    dirs.extend(storm_command_lib());
    if let Some(fc) = super::find_flux_core(project_root) {
        // A Maven repository keeps each artifact in its own folder: look beside it.
        if let Some(v) = fc
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|v| v.to_str())
            && let Some(repo) = fc.ancestors().nth(3)
        {
            let client = repo.join(format!("storm-client/{v}/storm-client-{v}.jar"));
            let shaded = repo.join(format!("storm-shaded-deps/{v}/storm-shaded-deps-{v}.jar"));
            if client.is_file() && shaded.is_file() {
                return Some(format!("{}:{}", client.display(), shaded.display()));
            }
        }
        dirs.extend(fc.parent().map(Path::to_path_buf));
    }
    dirs.into_iter()
        .find(|d| storm_client_jar(d).is_some())
        .map(|d| format!("{}/*", d.display()))
}

/// The `lib/` of the Storm distribution whose `storm` command is on `PATH`.
pub(crate) fn storm_command_lib() -> Option<PathBuf> {
    let storm = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("storm"))
            .find(|p| p.is_file())
    })?;
    let real = std::fs::canonicalize(storm).ok()?;
    Some(real.parent()?.parent()?.join("lib"))
}

fn storm_client_jar(dir: &Path) -> Option<PathBuf> {
    jar_in(dir, "storm-client")
}

/// A jar in `dir` whose name starts with `prefix`.
pub(crate) fn jar_in(dir: &Path, prefix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".jar"))
        })
}

/// The Java release Storm's classes were compiled for (from `ISerializer.class` in the
/// storm-client jar on `classpath`), so that the serializer runs on the same JVMs as Storm.
fn storm_release(classpath: &str) -> Option<u32> {
    let jar = std::env::split_paths(classpath).find_map(|e| {
        if e.file_name().is_some_and(|n| n == "*") {
            e.parent().and_then(storm_client_jar)
        } else if e.is_dir() {
            storm_client_jar(&e)
        } else {
            e.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("storm-client"))
                .then_some(e)
        }
    })?;
    let f = std::fs::File::open(jar).ok()?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(f)).ok()?;
    let mut class = zip
        .by_name("org/apache/storm/multilang/ISerializer.class")
        .ok()?;
    let mut head = [0u8; 8];
    class.read_exact(&mut head).ok()?;
    let major = u32::from(u16::from_be_bytes([head[6], head[7]]));
    (major > 44).then(|| major - 44)
}

/// Compiles [`SOURCE`], [`SHELL_COMPONENT_SOURCE`], [`SHELL_SPOUT_SOURCE`] and
/// [`SHELL_BOLT_SOURCE`] against `classpath` and returns every
/// class file (nested classes included), sorted by entry name.
pub fn compile(classpath: &str) -> Result<Vec<ClassFile>, SerializerError> {
    let out = compile_sources(
        classpath,
        &[
            ("SparseSerializer.java", SOURCE),
            ("ShellComponent.java", SHELL_COMPONENT_SOURCE),
            ("SparseShellBolt.java", SHELL_BOLT_SOURCE),
            ("SparseShellSpout.java", SHELL_SPOUT_SOURCE),
            ("Logger.java", SLF4J_LOGGER_DECL),
            ("LoggerFactory.java", SLF4J_FACTORY_DECL),
        ],
    )?;
    let mut classes = Vec::new();
    for entry in std::fs::read_dir(out.path().join(PACKAGE_DIR))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".class") {
            classes.push(ClassFile {
                entry: format!("{PACKAGE_DIR}/{name}"),
                bytes: std::fs::read(entry.path())?,
            });
        }
    }
    classes.sort_by(|a, b| a.entry.cmp(&b.entry));
    Ok(classes)
}

/// Compiles Java `sources` (file name, text) with `javac` against `classpath`, for the Java
/// release Storm's classes were built for, into a private temporary folder (the classes
/// under their package folders), removed when the returned value drops.
pub(crate) fn compile_sources(
    classpath: &str,
    sources: &[(&str, &str)],
) -> Result<tempfile::TempDir, SerializerError> {
    // Private folders for javac's input (removed here) and output (removed on drop).
    let src = tempfile::Builder::new().prefix("sparse-javac-").tempdir()?;
    let classes = tempfile::Builder::new()
        .prefix("sparse-classes-")
        .tempdir()?;
    let mut files = Vec::new();
    for (name, text) in sources {
        let f = src.path().join(name);
        std::fs::write(&f, text)?;
        files.push(f);
    }
    let javac = javac_binary();
    let mut cmd = Command::new(&javac);
    if let Some(r) = storm_release(classpath) {
        cmd.args(["--release", &r.to_string()]);
    }
    let out = cmd
        .arg("-nowarn")
        .arg("-cp")
        .arg(classpath)
        .arg("-d")
        .arg(classes.path())
        .args(&files)
        .output()
        .map_err(|source| SerializerError::NoJavac {
            javac: javac.display().to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(SerializerError::Javac {
            classpath: classpath.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(classes)
}
