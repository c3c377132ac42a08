//! The `sparse` command tree: the top-level parser [`Cli`], the entry point [`main`] that the
//! binary calls, and the subcommand registry: one file per subcommand, listed once in the
//! `registry!` invocation below.
//!
//! Each subcommand module defines `pub struct Args` (a clap `Args` struct, flattening
//! [`crate::cli::TopologyArgs`] or [`crate::cli::CommonArgs`] as needed) and
//! `pub fn exec(args: Args) -> crate::cli::CliResult`, which parses nothing itself and calls
//! library code. To add `sparse foo`, write `commands/foo.rs` and add one line
//! `/// Help text. Foo => foo,` to the registry.

macro_rules! registry {
    ($($(#[$meta:meta])* $variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*

        /// All subcommands.
        #[derive(Debug, clap::Subcommand)]
        pub enum Command {
            $($(#[$meta])* $variant($module::Args),)*
        }

        impl Command {
            /// Runs the subcommand.
            pub fn exec(self) -> crate::cli::CliResult {
                match self {
                    $(Command::$variant(args) => $module::exec(args),)*
                }
            }
        }
    };
}

registry! {
    /// Load and validate a topology and check its Rust components against their plugins;
    /// print its components, tasks, streams and groupings.
    Check => check,
    /// Draw a topology as SVG (or Graphviz DOT).
    Visualize => visualize,
    /// Run the topology locally for -t seconds or until Ctrl-C: without a JVM, or in
    /// Storm's LocalCluster when it has JVM components.
    Run => run,
    /// Create a new project folder with a Rust spout and bolt that `sparse run` runs at once.
    Quickstart => quickstart,
    /// Build the topology jar for Storm: Flux YAML, sparse-host, launcher and plugins.
    Jar => jar,
    /// Build the topology jar and submit it to the environment's Nimbus.
    Submit => submit,
    /// List the topologies running on the environment's Nimbus.
    List => list,
    /// Kill a topology on the environment's Nimbus.
    Kill => kill,
    /// Figures of the running topologies (or of one, or one component) from Storm's UI.
    Stats => stats,
    /// Every worker of every running topology, with its uptime, from Storm's UI.
    #[command(name = "worker_uptime", alias = "worker-uptime")]
    WorkerUptime => worker_uptime,
    /// Worker slots per supervisor and the topologies holding them, from Storm's UI.
    #[command(name = "slot_usage", alias = "slot-usage")]
    SlotUsage => slot_usage,
    /// Show (-f: follow) the task logs of a topology: on a cluster through Storm's
    /// logviewer (-e ENV), else those of local `sparse run`s.
    Tail => tail,
    /// Delete the task logs of local `sparse run`s.
    #[command(name = "remove_logs", alias = "remove-logs")]
    RemoveLogs => remove_logs,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions => completions,
}

/// Examples, environment variables and exit codes, after the top-level help.
const AFTER_HELP: &str = "\
Examples:
  sparse quickstart wordcount          a new project with a Rust spout and bolt
  sparse check -n wordcount            validate the topology against Storm's rules and the plugins
  sparse run -n wordcount -t 10        run it locally (no JVM) for 10 seconds
  sparse run -o 'topology.debug=true'  -o values are YAML: 'x=[a, b]' is a list
  sparse jar -n wordcount              build target/sparse/wordcount.jar for Storm
  sparse submit -e prod -n wordcount   build the jar and submit it to the env's Nimbus

Environment:
  SPARSE_NIMBUS, STREAMPARSE_NIMBUS  Nimbus host[:port], over the env's `nimbus` in config.json
  SPARSE_STORM_CLASSPATH             Storm's jars for submit/list/kill without the storm command
  SPARSE_PLUGIN_API_PATH             quickstart: depend on this plugin-api folder (--plugin-api-path)
  SPARSE_FLUX_CORE_JAR               the flux-core jar to embed in topology jars
  CARGO_TARGET_DIR                   where the project's plugins and sparse-host are built

Messages:
  progress, notes and warnings go to stderr as [LEVEL] text (in colour on a terminal,
  unless NO_COLOR is set); -v adds the commands sparse runs, -q keeps warnings and errors

Exit status:
  0 success          1 invalid topology     2 usage or configuration error
  3 I/O error        4 build failed (cargo)  5 Storm refused or failed
  6 a pre/post_submit hook failed           7 a local run failed (a task died)";

/// `sparse`: Storm topologies with Rust components.
#[derive(Debug, clap::Parser)]
#[command(
    name = "sparse",
    version,
    about,
    propagate_version = true,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// More messages on stderr: `-v` shows the commands sparse runs, `-vv` everything.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Fewer messages on stderr: `-q` only warnings and errors, `-qq` only errors.
    #[arg(short = 'q', long = "quiet", action = clap::ArgAction::Count, global = true)]
    pub quiet: u8,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Parses `std::env::args`, runs the subcommand and returns the exit status (messages are
/// already printed).
pub fn main() -> i32 {
    let cli = match <Cli as clap::Parser>::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                crate::cli::EXIT_USAGE
            } else {
                crate::cli::EXIT_OK
            };
        }
    };
    crate::diag::init(crate::diag::Verbosity {
        verbose: cli.verbose,
        quiet: cli.quiet,
    });
    match cli.command.exec() {
        Ok(()) => crate::cli::EXIT_OK,
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("{}", e.message);
            }
            e.code
        }
    }
}

/// Opens the project from the current folder (printing config warnings on stderr), then
/// chooses and loads the topology (printing notes about the choice and the reader's
/// warnings).
pub fn open(
    args: &crate::cli::TopologyArgs,
) -> Result<sparse_project::OpenedTopology, crate::cli::CliError> {
    let cwd = cwd()?;
    let filter = args.selection().flux_filter(&cwd)?;
    let project = sparse_project::Project::open(args.config.as_deref(), &cwd)?;
    for w in &project.warnings {
        log::warn!("{w}");
    }
    let opened = project.load_topology_filtered(args.name.as_deref(), &filter)?;
    for n in &opened.notes {
        log::info!("note: {n}");
    }
    for w in &opened.warnings {
        log::warn!("{w}");
    }
    Ok(opened)
}

/// Resolves the project, environment and options from the common flags (printing config
/// warnings and notes on stderr), then checks the topology against Storm's rules. Every
/// problem found is one error.
pub fn resolve_checked(
    common: &crate::cli::CommonArgs,
    cwd: &std::path::Path,
) -> Result<sparse_project::Resolved, crate::cli::CliError> {
    use sparse_topology::validate;
    let resolved = sparse_project::resolve(&common.selection(), cwd)?;
    for w in &resolved.opened.project.warnings {
        log::warn!("{w}");
    }
    for n in &resolved.opened.notes {
        log::info!("note: {n}");
    }
    for w in &resolved.opened.warnings {
        log::warn!("{w}");
    }
    let problems = validate::validate(&resolved.opened.topology);
    if problems.is_empty() {
        return Ok(resolved);
    }
    let lines: Vec<String> = problems.iter().map(|d| format!("error: {d}")).collect();
    Err(crate::cli::CliError::new(
        crate::cli::EXIT_TOPOLOGY,
        lines.join("\n"),
    ))
}

/// What [`build_and_choose`] settled on: the profile's build folder (the plugins) and the
/// `sparse-host` to run or pack.
#[derive(Debug, Clone)]
pub struct Built {
    /// The Cargo profile.
    pub profile: String,
    /// Its build folder, holding the plugins.
    pub dir: std::path::PathBuf,
    /// The `sparse-host` (always set when shipping; when running, set unless no component
    /// runs it).
    pub host: Option<sparse_project::artifacts::Host>,
}

fn artifact_error(e: sparse_project::artifacts::ArtifactError) -> crate::cli::CliError {
    use sparse_project::artifacts::ArtifactError as A;
    let code = match e {
        A::ComponentMissing { .. } | A::WrongKind { .. } => crate::cli::EXIT_TOPOLOGY,
        _ => crate::cli::EXIT_USAGE,
    };
    crate::cli::CliError::new(code, format!("error: {e}"))
}

/// Builds the project with `cargo build --profile <profile>` (unless `--no-build`; a build
/// that fails exits with `failed_code`, one that cannot start with the I/O code), then
/// chooses the `sparse-host` and the plugins ([`sparse_project::artifacts`]), refuses a plugin the
/// workspace does not build, checks that the host loads every plugin, and prints what it
/// uses. With `ship` (`jar`, `submit`) a host and every plugin file are required, and each
/// component's type must be in its plugin; without (`run`), plugins missing from the build
/// folder are left to `sparse-host`'s own search.
pub fn build_and_choose(
    root: &std::path::Path,
    topology: &sparse_topology::model::Topology,
    build: &crate::cli::BuildArgs,
    failed_code: i32,
    ship: bool,
) -> Result<Built, crate::cli::CliError> {
    use crate::cli::{CliError, EXIT_IO, EXIT_USAGE};
    use sparse_project::artifacts::{self, Workspace};
    use sparse_project::release::{self, BuildError};
    let profile = build.profile.as_str();
    release::check_profile(profile)
        .map_err(|e| CliError::new(EXIT_USAGE, format!("error: {e}")))?;
    let dir = release::profile_dir(root, profile);
    if build.no_build {
        log::info!(
            "--no-build: using the `{profile}` build in {}",
            dir.display()
        );
    } else {
        release::build_profile(root, profile).map_err(|e| {
            let code = match e {
                BuildError::Spawn(_) => EXIT_IO,
                BuildError::Failed { .. } => failed_code,
            };
            CliError::new(code, format!("error: {e}"))
        })?;
    }
    let workspace = Workspace::read(root).ok();
    let wanted = artifacts::wanted(topology);
    let choice = artifacts::find_host(&dir, profile, workspace.as_ref());
    if let Some(p) = &choice.skipped {
        log::warn!(
            "not using {}: this project's workspace does not build sparse-host, so that copy is not from this build",
            p.display()
        );
    }
    let runs_host = topology.components.iter().any(|c| {
        matches!(&c.exec, sparse_topology::model::Exec::Shell { command }
            if command.first().is_some_and(|a| a == artifacts::HOST_NAME))
    });
    let host = match choice.host.clone() {
        Some(h) => Some(h),
        None if ship || runs_host => return Err(artifact_error(choice.error())),
        None => None,
    };
    if let Some(ws) = &workspace {
        artifacts::stale_plugin(&dir, ws, &wanted).map_err(artifact_error)?;
    }
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for w in &wanted {
        let path = w.plugin_path(&dir);
        if files.contains(&path) {
            continue;
        }
        if !path.is_file() {
            if ship {
                let e = sparse_deploy::jar::JarError::MissingPlugin {
                    component: w.component.clone(),
                    krate: w.krate.clone(),
                    path,
                };
                return Err(CliError::new(EXIT_USAGE, format!("error: {e}")));
            }
            log::info!(
                "plugin {}: not in {}; sparse-host looks in its other plugin folders",
                w.krate,
                dir.display()
            );
            continue;
        }
        files.push(path);
    }
    if let Some(h) = &host {
        let verb = if ship { "packing " } else { "" };
        log::info!("{verb}sparse-host {h}");
        if !files.is_empty() {
            let listing = artifacts::list_plugins(&h.path, &dir, &files).map_err(artifact_error)?;
            if ship {
                listing
                    .check_components(&wanted, &dir)
                    .map_err(artifact_error)?;
            }
        }
    }
    for f in &files {
        let verb = if ship { "packing " } else { "" };
        log::info!("{verb}plugin {} (profile {profile})", f.display());
    }
    Ok(Built {
        profile: profile.to_string(),
        dir,
        host,
    })
}

/// Builds the topology jar of `sparse jar` (also `sparse run` on LocalCluster): the build's
/// host and plugins, flux-core, the fast-wire serializer unless `json_wire`, and the
/// topology's JVM dependencies.
pub fn make_jar(
    resolved: &sparse_project::Resolved,
    built: Built,
    output: std::path::PathBuf,
    flux_core: Option<std::path::PathBuf>,
    json_wire: bool,
) -> Result<sparse_deploy::jar::JarOutput, crate::cli::CliError> {
    let topology = &resolved.opened.topology;
    let root = &resolved.opened.project.root;
    let mut req = sparse_deploy::jar::JarRequest::new(
        topology.clone(),
        resolved.options.clone(),
        built.dir.clone(),
        output,
    );
    req.flux_core = flux_core;
    req.host = built.host.map(|h| h.path);
    req.fast_wire = fast_wire_classes(root, json_wire, &req.conf);
    req.jvm_jars = resolve_jvm_jars(&resolved.opened.project, topology)?;
    build_jar(&req)
}

/// Builds the topology jar, printing its warnings; errors map to exit codes (I/O, topology,
/// usage for a missing sparse-host or plugin or a bad conf value).
pub fn build_jar(
    req: &sparse_deploy::jar::JarRequest,
) -> Result<sparse_deploy::jar::JarOutput, crate::cli::CliError> {
    use crate::cli::{CliError, EXIT_IO, EXIT_TOPOLOGY, EXIT_USAGE};
    use sparse_deploy::jar::JarError;
    let out = sparse_deploy::jar::build(req).map_err(|e| {
        let code = match e {
            JarError::Io { .. } | JarError::Zip { .. } => EXIT_IO,
            JarError::Yaml(_) | JarError::BadCommand { .. } => EXIT_TOPOLOGY,
            JarError::NoHost { .. } | JarError::MissingPlugin { .. } | JarError::BadConf { .. } => {
                EXIT_USAGE
            }
        };
        CliError::new(code, format!("error: {e}"))
    })?;
    for w in &out.warnings {
        log::warn!("{w}");
    }
    Ok(out)
}

/// Resolves `config.json`'s `jvm_dependencies` with Maven for `sparse jar`/`submit`,
/// saying on stderr what it does. Only a topology with JVM code (a JVM component or object,
/// or a custom grouping) gets them: a Rust/Python-only topology's jar stays small and needs
/// no Maven. A malformed or unresolvable coordinate is a usage error naming it.
pub fn resolve_jvm_jars(
    project: &sparse_project::Project,
    topology: &sparse_topology::model::Topology,
) -> Result<Vec<std::path::PathBuf>, crate::cli::CliError> {
    use crate::cli::{CliError, EXIT_IO, EXIT_USAGE};
    use sparse_deploy::jar::maven::{self, MavenError};
    use sparse_topology::model::{Exec, Grouping};
    let deps = &project.config.jvm_dependencies;
    let has_jvm = !topology.jvm_objects.is_empty()
        || topology.components.iter().any(|c| {
            matches!(c.exec, Exec::Java(_))
                || c.inputs
                    .iter()
                    .any(|i| matches!(i.grouping, Grouping::Custom(_)))
        });
    if deps.is_empty() || !has_jvm {
        return Ok(Vec::new());
    }
    let storm = project
        .config
        .storm_version
        .as_deref()
        .unwrap_or(maven::DEFAULT_STORM_VERSION);
    let work = sparse_project::release::target_dir(&project.root).join("sparse/jvm-deps");
    log::info!(
        "resolving {} JVM dependencies with Maven (storm-client {storm} provided by the worker): {}",
        deps.len(),
        deps.join(", ")
    );
    let jars = maven::resolve(deps, storm, &work).map_err(|e| {
        let code = match e {
            MavenError::Io { .. } => EXIT_IO,
            _ => EXIT_USAGE,
        };
        CliError::new(code, format!("error: {e}"))
    })?;
    log::info!(
        "packing {} JVM jars from {}",
        jars.len(),
        work.join("lib").display()
    );
    Ok(jars)
}

/// The current directory, as a usage error when unavailable.
pub fn cwd() -> Result<std::path::PathBuf, crate::cli::CliError> {
    std::env::current_dir().map_err(|e| {
        crate::cli::CliError::new(
            crate::cli::EXIT_IO,
            format!("error: cannot read the current directory: {e}"),
        )
    })
}

/// The compiled fast-wire classes (serializer and shell bolt) for a topology jar, or `None` for Storm's JSON ones:
/// when `--json-wire` is given, when the conf names a serializer, or (with a note) when no
/// JDK or Storm jars are found ([`sparse_deploy::jar::serializer`]).
pub(crate) fn fast_wire_classes(
    root: &std::path::Path,
    json_wire: bool,
    conf: &serde_json::Map<String, serde_json::Value>,
) -> Option<Vec<sparse_deploy::jar::serializer::ClassFile>> {
    use sparse_deploy::jar::serializer;
    if json_wire {
        return None;
    }
    if let Some(v) = conf.get(serializer::CONF_KEY) {
        log::info!(
            "the conf sets {} = {v}: sparse's fast-wire serializer is not used",
            serializer::CONF_KEY
        );
        return None;
    }
    let Some(cp) = serializer::storm_classpath(root) else {
        log::info!(
            "note: no Storm jars found to compile the fast-wire serializer against (set SPARSE_STORM_CLASSPATH or STORM_HOME): the jar uses Storm's JSON serializer"
        );
        return None;
    };
    match serializer::compile(&cp) {
        Ok(classes) => Some(classes),
        Err(e) => {
            log::warn!("{e}\nthe jar uses Storm's JSON serializer (--json-wire silences this)");
            None
        }
    }
}

pub mod run_storm;

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
