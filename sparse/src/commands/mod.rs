//! The subcommand registry: one file per subcommand, listed once in the `registry!`
//! invocation below.
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
    /// Run the topology locally, without a JVM, for -t seconds or until Ctrl-C.
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
}

/// Opens the project from the current folder (printing config warnings on stderr), then
/// chooses and loads the topology (printing notes about the choice and the reader's
/// warnings).
pub fn open(
    args: &crate::cli::TopologyArgs,
) -> Result<crate::project::OpenedTopology, crate::cli::CliError> {
    let project = crate::project::Project::open(args.config.as_deref(), &cwd()?)?;
    for w in &project.warnings {
        eprintln!("warning: {w}");
    }
    let opened = project.load_topology(args.name.as_deref())?;
    for n in &opened.notes {
        eprintln!("note: {n}");
    }
    for w in &opened.warnings {
        eprintln!("warning: {w}");
    }
    Ok(opened)
}

/// Resolves the project, environment and options from the common flags (printing config
/// warnings and notes on stderr), then checks the topology against Storm's rules, and with
/// `local` also what the local runner cannot run. Every problem found is one error.
pub fn resolve_checked(
    common: &crate::cli::CommonArgs,
    cwd: &std::path::Path,
    local: bool,
) -> Result<crate::project::Resolved, crate::cli::CliError> {
    use crate::topology::validate;
    let resolved = crate::project::resolve(common, cwd)?;
    for w in &resolved.opened.project.warnings {
        eprintln!("warning: {w}");
    }
    for n in &resolved.opened.notes {
        eprintln!("note: {n}");
    }
    for w in &resolved.opened.warnings {
        eprintln!("warning: {w}");
    }
    let topology = &resolved.opened.topology;
    let mut problems = validate::validate(topology);
    if local {
        problems.extend(validate::local_blockers(topology));
    }
    if problems.is_empty() {
        return Ok(resolved);
    }
    let lines: Vec<String> = problems.iter().map(|d| format!("error: {d}")).collect();
    Err(crate::cli::CliError::new(
        crate::cli::EXIT_TOPOLOGY,
        lines.join("\n"),
    ))
}

/// `cargo build --release` in the project, cargo's output shown; a build that fails exits
/// with `failed_code`, one that cannot start with the I/O code.
pub fn build_release(
    root: &std::path::Path,
    label: &str,
    failed_code: i32,
) -> crate::cli::CliResult {
    crate::release::build(root, label).map_err(|e| {
        let code = match e {
            crate::release::BuildError::Spawn(_) => crate::cli::EXIT_IO,
            crate::release::BuildError::Failed(_) => failed_code,
        };
        crate::cli::CliError::new(code, format!("error: {e}"))
    })
}

/// Builds the topology jar, printing its warnings; errors map to exit codes (I/O, topology,
/// usage for a missing sparse-host or plugin).
pub fn build_jar(
    req: &crate::jar::JarRequest,
) -> Result<crate::jar::JarOutput, crate::cli::CliError> {
    use crate::cli::{CliError, EXIT_IO, EXIT_TOPOLOGY, EXIT_USAGE};
    use crate::jar::JarError;
    let out = crate::jar::build(req).map_err(|e| {
        let code = match e {
            JarError::Io { .. } | JarError::Zip { .. } => EXIT_IO,
            JarError::Yaml(_) | JarError::BadCommand { .. } => EXIT_TOPOLOGY,
            JarError::NoHost { .. } | JarError::MissingPlugin { .. } => EXIT_USAGE,
        };
        CliError::new(code, format!("error: {e}"))
    })?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    Ok(out)
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
