//! The project generator behind `sparse quickstart NAME`: a new Cargo workspace holding one
//! plugin crate (a spout and a bolt with unit tests), the topology in the Clojure DSL,
//! `config.json`, `.gitignore` and a README.
//!
//! One topology file only: a hand-kept Flux YAML twin would drift from the `.clj`, and
//! `sparse jar` writes the Flux YAML Storm needs from the `.clj` anyway.
//!
//! The work is split so that each part can be tested alone:
//!
//! - [`check_name`]: is `NAME` usable as a folder, a Cargo package, a Rust crate, a Clojure
//!   namespace, a topology name and the `CRATE` of `sparse-host --component CRATE::TYPE`?
//! - [`PluginApiDep::choose`]: how the new plugin depends on `plugin-api` (see below);
//! - [`render`]: the files, as text, from the templates in `templates/` (no I/O);
//! - [`create`]: writes them under a folder that must not exist yet.
//!
//! # How the project finds `plugin-api`
//!
//! By default the generated workspace depends on the published crate, by version:
//! `plugin-api = { package = "sparse-plugin-api", version = "<version of sparse>" }`, so a
//! project made on one machine builds on any other. The dependency key stays `plugin-api`
//! and the import path `plugin_api`. To build against a sparse source tree instead (say,
//! while working on sparse itself), ask for a path: `sparse quickstart --plugin-api-path
//! DIR` or `SPARSE_PLUGIN_API_PATH=DIR`; the folder must hold the `sparse-plugin-api`
//! package, and is written as an absolute path so the project can move. The plugin and
//! the `sparse-host` that runs it must agree on the plugin ABI (`sparse run` and
//! `sparse jar` check that).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// Longest accepted project name (crates.io's limit for package names).
pub const MAX_NAME_LEN: usize = 64;

/// Names that would break the generated crate, its build or its dependencies: Rust keywords
/// (strict, reserved and edition 2024's `gen`), crates every build links or the plugin
/// depends on, cargo's own artifact folders, and Windows device names. Compared after
/// `-` → `_`.
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    // Rust keywords: strict, 2018+ and reserved.
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    // Crates of the standard distribution and those the plugin depends on.
    "std", "core", "alloc", "proc_macro", "test", "plugin_api", "log", "serde", "serde_json",
    "sparse_runner",
    // Cargo's folders under target/ and Windows device names.
    "build", "deps", "examples", "incremental", "con", "prn", "aux", "nul", "com1", "com2",
    "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4",
    "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks that `name` can name the project, its plugin crate, its topology and components.
///
/// Accepted: 1 to [`MAX_NAME_LEN`] characters, lowercase ASCII letters, digits, `_` and `-`,
/// starting with a letter, not ending with `-` or `_`, and not in the reserved list (Rust
/// keywords, `test`, `std`, the plugin's dependencies...). These are the rules of a Cargo
/// package name that is also a warning-free crate name (uppercase is refused for that
/// reason), a folder name on every OS, a Clojure symbol, and the `CRATE` part of
/// `sparse-host --component CRATE::TYPE`. Returns why not, as a sentence.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "the name is {} characters long; at most {MAX_NAME_LEN} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "the name contains {c:?}; use only lowercase letters, digits, `_` and `-`"
        ));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        let lower = name.to_ascii_lowercase();
        let hint = match check_name(&lower) {
            Ok(()) => format!(" (try `{lower}`)"),
            Err(_) => String::new(),
        };
        return Err(format!(
            "the name has uppercase letters; Rust crate names are lowercase{hint}"
        ));
    }
    let first = name.chars().next().unwrap_or('a');
    if !first.is_ascii_lowercase() {
        return Err(format!(
            "the name starts with {first:?}; it must start with a letter"
        ));
    }
    if name.ends_with(['-', '_']) {
        return Err("the name ends with `-` or `_`".into());
    }
    let normalized = name.replace('-', "_");
    if RESERVED.contains(&normalized.as_str()) {
        return Err(format!(
            "`{name}` is reserved (a Rust keyword, a crate every build uses, or a name cargo or \
             the OS keeps for itself); choose another name"
        ));
    }
    Ok(())
}

/// How the generated workspace depends on `plugin-api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginApiDep {
    /// `{ package = "sparse-plugin-api", path = "<absolute path>" }`: asked for.
    Path(PathBuf),
    /// `{ package = "sparse-plugin-api", version = "<version>" }`: the default.
    Version(String),
}

/// The published package name of the plugin API.
pub const PLUGIN_API_PACKAGE: &str = "sparse-plugin-api";

impl PluginApiDep {
    /// The published version of this `sparse`, unless `path` asks for a source folder,
    /// which must hold the `sparse-plugin-api` package (it is canonicalized; the error
    /// says what is wrong with it).
    pub fn choose(path: Option<&Path>) -> Result<PluginApiDep, String> {
        match path {
            None => Ok(PluginApiDep::Version(env!("CARGO_PKG_VERSION").to_string())),
            Some(p) => PluginApiDep::from_folder(p),
        }
    }

    /// [`PluginApiDep::Path`] of `dir` when it holds the `sparse-plugin-api` package and its
    /// path is valid UTF-8 (it is written into `Cargo.toml`).
    pub fn from_folder(dir: &Path) -> Result<PluginApiDep, String> {
        let abs = fs::canonicalize(dir)
            .map_err(|e| format!("--plugin-api-path {}: {e}", dir.display()))?;
        let toml = fs::read_to_string(abs.join("Cargo.toml")).map_err(|e| {
            format!(
                "--plugin-api-path {}: no Cargo.toml there ({e}); give the plugin-api folder of a sparse checkout",
                abs.display()
            )
        })?;
        let want = format!("name=\"{PLUGIN_API_PACKAGE}\"");
        if !toml.lines().any(|l| l.replace(' ', "") == want) {
            return Err(format!(
                "--plugin-api-path {}: its Cargo.toml is not the {PLUGIN_API_PACKAGE} package; give the plugin-api folder of a sparse checkout",
                abs.display()
            ));
        }
        if abs.to_str().is_none() {
            return Err(format!(
                "--plugin-api-path {}: the path is not valid UTF-8 and cannot be written into Cargo.toml",
                abs.display()
            ));
        }
        Ok(PluginApiDep::Path(abs))
    }

    /// The sparse source tree (the folder holding `plugin-api/`, `sparse/` and `host/`).
    pub fn repo(&self) -> Option<&Path> {
        match self {
            PluginApiDep::Path(p) => p.parent(),
            PluginApiDep::Version(_) => None,
        }
    }

    /// The `[workspace.dependencies]` entry of `sparse-runner` (the whole-topology test
    /// kit), from the same place as the plugin API: the source tree's `runner/`, or the
    /// published crate of the same version.
    pub fn runner_entry(&self) -> String {
        let line = match self {
            PluginApiDep::Path(p) => format!(
                "sparse-runner = {{ path = {} }}",
                toml_string(&p.with_file_name("runner").to_string_lossy())
            ),
            PluginApiDep::Version(v) => format!("sparse-runner = {}", toml_string(v)),
        };
        format!(
            "# The engine of `sparse run`, for the whole-topology test (plugins/*/tests/topology.rs).\n{line}"
        )
    }

    /// The `[workspace.dependencies]` entry, with a comment line above it.
    pub fn toml_entry(&self) -> String {
        match self {
            PluginApiDep::Path(_) => format!(
                "# The plugin API of a sparse source tree, by absolute path (asked for with\n\
                 # --plugin-api-path); the published crate is {{ package = \"{PLUGIN_API_PACKAGE}\", version = \"...\" }}.\n\
                 {}",
                dep_line(self)
            ),
            PluginApiDep::Version(_) => format!(
                "# The plugin API from crates.io (imported as `plugin_api`).\n{}",
                dep_line(self)
            ),
        }
    }
}

/// `plugin-api = { package = "sparse-plugin-api", ... }`.
fn dep_line(dep: &PluginApiDep) -> String {
    match dep {
        PluginApiDep::Path(p) => format!(
            "plugin-api = {{ package = \"{PLUGIN_API_PACKAGE}\", path = {} }}",
            toml_string(&p.to_string_lossy())
        ),
        PluginApiDep::Version(v) => format!(
            "plugin-api = {{ package = \"{PLUGIN_API_PACKAGE}\", version = {} }}",
            toml_string(v)
        ),
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One file of the new project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path relative to the project folder, `/`-separated.
    pub path: String,
    /// The text.
    pub contents: String,
}

const T_WORKSPACE: &str = include_str!("templates/workspace.Cargo.toml.tmpl");
const T_PLUGIN: &str = include_str!("templates/plugin.Cargo.toml.tmpl");
const T_LIB: &str = include_str!("templates/lib.rs.tmpl");
const T_TOPOLOGY_TEST: &str = include_str!("templates/topology_test.rs.tmpl");
const T_CLJ: &str = include_str!("templates/topology.clj.tmpl");
const T_CONFIG: &str = include_str!("templates/config.json.tmpl");
const T_GITIGNORE: &str = include_str!("templates/gitignore.tmpl");
const T_README: &str = include_str!("templates/README.md.tmpl");

/// Replaces every `{{key}}`; panics (a bug in a template) when one is left.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(
        !s.contains("{{"),
        "a quickstart template has an unknown placeholder:\n{s}"
    );
    s
}

/// The files of project `name` (already checked with [`check_name`]), in the order they are
/// written.
pub fn render(name: &str, dep: &PluginApiDep) -> Vec<File> {
    let lib_name = name.replace('-', "_");
    let dependency = dep.toml_entry();
    let runner = dep.runner_entry();
    let (install, section) = match dep.repo() {
        Some(repo) => {
            let repo = repo.display();
            (
                format!("cargo install --path {repo}/sparse\ncargo install --path {repo}/host"),
                format!(
                    "`Cargo.toml` names the plugin API by an absolute path into a sparse source \
                     tree (`sparse quickstart --plugin-api-path`):\n\n    {}\n\n\
                     so the project keeps building after you move it, and matches the \
                     `sparse-host` installed from that tree (the plugin and the host must agree \
                     on the plugin ABI; `sparse run` and `sparse jar` check it). To use the \
                     published crate instead, write\n\n    \
                     plugin-api = {{ package = \"{PLUGIN_API_PACKAGE}\", version = \"{}\" }}",
                    dep_line(dep),
                    env!("CARGO_PKG_VERSION"),
                ),
            )
        }
        None => (
            "cargo install sparse-storm   # the `sparse` command\ncargo install sparse-host"
                .to_string(),
            format!(
                "`Cargo.toml` depends on the published plugin API, `{PLUGIN_API_PACKAGE}` \
                 (imported as `plugin_api`):\n\n    {}\n\n\
                 Install `sparse` and `sparse-host` of the same version: the plugin and the host \
                 must agree on the plugin ABI (`sparse run` and `sparse jar` check it). To build \
                 against a sparse checkout instead, create the project with \
                 `sparse quickstart --plugin-api-path /path/to/sparse/plugin-api`, or write\n\n    \
                 plugin-api = {{ package = \"{PLUGIN_API_PACKAGE}\", path = \"/path/to/sparse/plugin-api\" }}",
                dep_line(dep)
            ),
        ),
    };
    let vars = [
        ("name", name),
        ("lib_name", lib_name.as_str()),
        ("plugin_api_dependency", dependency.as_str()),
        ("runner_dependency", runner.as_str()),
        ("install_commands", install.as_str()),
        ("plugin_api_section", section.as_str()),
    ];
    let file = |path: String, template: &str| File {
        path,
        contents: fill(template, &vars),
    };
    vec![
        file("Cargo.toml".into(), T_WORKSPACE),
        file(format!("plugins/{name}/Cargo.toml"), T_PLUGIN),
        file(format!("plugins/{name}/src/lib.rs"), T_LIB),
        file(format!("plugins/{name}/tests/topology.rs"), T_TOPOLOGY_TEST),
        file(format!("topologies/{name}.clj"), T_CLJ),
        file("config.json".into(), T_CONFIG),
        file(".gitignore".into(), T_GITIGNORE),
        file("README.md".into(), T_README),
    ]
}

/// Why the project was not created.
#[derive(Debug)]
pub enum QuickstartError {
    /// The name is unusable ([`check_name`]).
    InvalidName {
        /// The name given.
        name: String,
        /// Why.
        reason: String,
    },
    /// The parent folder (`--path`) does not exist or is not a folder.
    NoParent(PathBuf),
    /// Something already exists at the project's path (even an empty folder).
    Exists(PathBuf),
    /// Writing failed; what was created has been removed.
    Io {
        /// The path being created.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl fmt::Display for QuickstartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuickstartError::InvalidName { name, reason } => {
                write!(f, "invalid project name `{name}`: {reason}")
            }
            QuickstartError::NoParent(p) => write!(
                f,
                "cannot create the project in {}: it does not exist or is not a folder",
                p.display()
            ),
            QuickstartError::Exists(p) => write!(
                f,
                "{} already exists; quickstart only creates a new folder (choose another name, \
                 or another place with --path DIR)",
                p.display()
            ),
            QuickstartError::Io { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for QuickstartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            QuickstartError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What [`create`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The project folder.
    pub root: PathBuf,
    /// Every folder and file created, relative to the parent folder and starting with the
    /// project's name (`name`, `name/.gitignore`, ...), in tree order: each folder before its
    /// entries, entries sorted case-insensitively, folders marked with a trailing `/`.
    pub entries: Vec<String>,
}

/// Creates project `name` in folder `parent`: checks the name, refuses any existing path,
/// and writes [`render`]'s files. On an I/O error the partly written project folder is
/// removed.
pub fn create(name: &str, parent: &Path, dep: &PluginApiDep) -> Result<Created, QuickstartError> {
    check_name(name).map_err(|reason| QuickstartError::InvalidName {
        name: name.to_string(),
        reason,
    })?;
    if !parent.is_dir() {
        return Err(QuickstartError::NoParent(parent.to_path_buf()));
    }
    let root = parent.join(name);
    if fs::symlink_metadata(&root).is_ok() {
        return Err(QuickstartError::Exists(root));
    }
    // `create_dir`, not `create_dir_all`: fails if something appeared meanwhile.
    fs::create_dir(&root).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => QuickstartError::Exists(root.clone()),
        _ => QuickstartError::Io {
            path: root.clone(),
            source,
        },
    })?;
    let files = render(name, dep);
    let written = files.iter().try_for_each(|f| {
        let path = root.join(&f.path);
        let result = match path.parent() {
            Some(dir) => fs::create_dir_all(dir),
            None => Ok(()),
        }
        .and_then(|()| fs::write(&path, &f.contents));
        result.map_err(|source| QuickstartError::Io { path, source })
    });
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&root);
        return Err(e);
    }
    Ok(Created {
        root,
        entries: tree(name, &files),
    })
}

/// The folders and files of `files` under `name`, in tree order (see [`Created::entries`]).
pub fn tree(name: &str, files: &[File]) -> Vec<String> {
    let mut entries = vec![format!("{name}/")];
    for f in files {
        let parts: Vec<&str> = f.path.split('/').collect();
        for i in 1..parts.len() {
            let dir = format!("{name}/{}/", parts[..i].join("/"));
            if !entries.contains(&dir) {
                entries.push(dir);
            }
        }
        entries.push(format!("{name}/{}", f.path));
    }
    // Sort by path components, case-insensitively, so a folder precedes its entries.
    entries.sort_by_cached_key(|e| {
        e.trim_end_matches('/')
            .split('/')
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    });
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "wordcount",
            "my-topology",
            "a",
            "a1_b2",
            "tests",
            "word_count2",
        ] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("1abc", "start with a letter"),
            ("_abc", "start with a letter"),
            ("-abc", "start with a letter"),
            ("abc-", "ends with"),
            ("a b", "contains ' '"),
            ("a.b", "contains '.'"),
            ("a/b", "contains '/'"),
            ("..", "contains '.'"),
            ("é", "contains 'é'"),
            ("WordCount", "try `wordcount`"),
            ("Fn", "lowercase"),
            ("fn", "reserved"),
            ("async", "reserved"),
            ("gen", "reserved"),
            ("test", "reserved"),
            ("std", "reserved"),
            ("plugin-api", "reserved"),
            ("serde-json", "reserved"),
            ("self", "reserved"),
            ("nul", "reserved"),
        ] {
            let err = check_name(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(!check_name("Fn").unwrap_err().contains("try"));
        assert!(check_name(&"a".repeat(64)).is_ok());
        assert!(
            check_name(&"a".repeat(65))
                .unwrap_err()
                .contains("at most 64")
        );
    }

    #[test]
    fn the_published_version_by_default_a_path_when_asked() {
        let dep = PluginApiDep::choose(None).unwrap();
        assert_eq!(dep, PluginApiDep::Version(env!("CARGO_PKG_VERSION").into()));
        assert!(dep.toml_entry().ends_with(&format!(
            "plugin-api = {{ package = \"sparse-plugin-api\", version = \"{}\" }}",
            env!("CARGO_PKG_VERSION")
        )));
        let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-api");
        match PluginApiDep::choose(Some(&api)).unwrap() {
            PluginApiDep::Path(p) => {
                assert!(p.is_absolute());
                assert!(p.join("src/lib.rs").is_file());
                assert!(!p.to_string_lossy().contains(".."));
            }
            other => panic!("{other:?}"),
        }
        // A folder that is not the plugin API, or none at all, is refused with the reason.
        let err = PluginApiDep::choose(Some(Path::new(env!("CARGO_MANIFEST_DIR")))).unwrap_err();
        assert!(err.contains("not the sparse-plugin-api package"), "{err}");
        let err = PluginApiDep::choose(Some(Path::new("/nonexistent/plugin-api"))).unwrap_err();
        assert!(err.contains("/nonexistent/plugin-api"), "{err}");
        let files = render("x", &PluginApiDep::Version("1.2.3".into()));
        let readme = files.iter().find(|f| f.path == "README.md").unwrap();
        assert!(readme.contents.contains("--plugin-api-path"));
        assert!(readme.contents.contains("cargo install sparse-storm"));
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"/a "b"\c"#), r#""/a \"b\"\\c""#);
        let entry = PluginApiDep::Path(PathBuf::from("/x y/plugin-api")).toml_entry();
        assert!(entry.ends_with(
            r#"plugin-api = { package = "sparse-plugin-api", path = "/x y/plugin-api" }"#
        ));
    }

    #[test]
    fn render_fills_every_placeholder() {
        let dep = PluginApiDep::Path(PathBuf::from("/src/sparse/plugin-api"));
        let files = render("my-topo", &dep);
        let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Cargo.toml",
                "plugins/my-topo/Cargo.toml",
                "plugins/my-topo/src/lib.rs",
                "plugins/my-topo/tests/topology.rs",
                "topologies/my-topo.clj",
                "config.json",
                ".gitignore",
                "README.md",
            ]
        );
        let text = |p: &str| &files.iter().find(|f| f.path == p).unwrap().contents;
        assert!(text("Cargo.toml").contains("resolver = \"3\""));
        assert!(text("Cargo.toml").contains(
            r#"plugin-api = { package = "sparse-plugin-api", path = "/src/sparse/plugin-api" }"#
        ));
        assert!(text("plugins/my-topo/Cargo.toml").contains("libmy_topo.so"));
        assert!(text("Cargo.toml").contains(r#"sparse-runner = { path = "/src/sparse/runner" }"#));
        assert!(text("plugins/my-topo/Cargo.toml").contains("sparse-runner.workspace = true"));
        assert!(
            text("plugins/my-topo/tests/topology.rs")
                .contains(r#"TopologyTest::load("topologies/my-topo.clj")"#)
        );
        assert!(text("topologies/my-topo.clj").contains(r#""my-topo::WordSpout""#));
        // One topology file: no Flux twin to drift from it (`sparse jar` writes the YAML).
        assert!(!text("topologies/my-topo.clj").contains(".yaml"));
        assert!(!text("README.md").contains(".yaml"));
        assert!(text("README.md").contains("cargo install --path /src/sparse/host"));
        let config: serde_json::Value = serde_json::from_str(text("config.json")).unwrap();
        assert_eq!(config["envs"]["prod"]["log"]["level"], "info");
    }

    #[test]
    fn tree_order() {
        let files = render("p", &PluginApiDep::Version("0".into()));
        assert_eq!(
            tree("p", &files),
            [
                "p/",
                "p/.gitignore",
                "p/Cargo.toml",
                "p/config.json",
                "p/plugins/",
                "p/plugins/p/",
                "p/plugins/p/Cargo.toml",
                "p/plugins/p/src/",
                "p/plugins/p/src/lib.rs",
                "p/plugins/p/tests/",
                "p/plugins/p/tests/topology.rs",
                "p/README.md",
                "p/topologies/",
                "p/topologies/p.clj",
            ]
        );
    }
}
