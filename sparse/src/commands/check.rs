//! `sparse check [-n NAME] [--no-build]`: load and validate a topology, check its Rust
//! components against the plugins, print a one-screen description, and exit 1 listing every
//! error when it is invalid.
//!
//! The plugin check ([`sparse_project::plugins`]) runs when a component's command is `sparse-host`:
//!
//! 1. unless `--no-build`, `cargo build --release` in the project (when it has a
//!    `Cargo.toml`), as `sparse run` does, so the check sees what a run would run;
//! 2. the `sparse-host` that `sparse run` would use is asked for its catalogue, with the
//!    same `--plugin-dir <release>` and in the project root; where it looked and what it
//!    found is printed;
//! 3. every mismatch is an error with `file:line:col`. With `--no-build`, a plugin crate of
//!    the project that is not built yet is a warning (its components are not checked), and
//!    so is a library older than its sources.
//!
//! Without any `sparse-host` (none built, none installed), or with one that cannot list,
//! the Rust components are not checked: a warning says so and why, and the Storm-rule
//! check still decides the exit status. A topology of Python or other shell components
//! needs no plugins and builds nothing.
//!
//! Everything printed that comes from the topology file, the project or the plugins (ids,
//! names, paths, messages quoting them) has its control characters escaped
//! ([`escape_controls`]): a name holding an escape sequence is shown, not obeyed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::{CliError, CliResult, EXIT_TOPOLOGY, TopologyArgs};
use sparse_project::plugins::{self, Catalog, check::Inputs, stale};
use sparse_project::release;
use sparse_topology::model::Topology;
use sparse_topology::{Diagnostic, describe, escape_controls, validate};

/// Exit status: the release build failed.
pub const EXIT_BUILD_FAILED: i32 = crate::cli::EXIT_BUILD_FAILED;

/// Flags of `sparse check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `-n` and `--config`.
    #[command(flatten)]
    pub topology: TopologyArgs,
    /// Do not run `cargo build --release` first: check against the plugins built already
    /// (and say which are older than their sources).
    #[arg(long = "no-build")]
    pub no_build: bool,
}

/// Runs `sparse check`.
pub fn exec(args: Args) -> CliResult {
    let opened = super::open(&args.topology).map_err(escape_lines)?;
    let t = &opened.topology;
    println!("{}", shown(&opened.path));
    print!("{}", describe::describe(t));
    for b in validate::local_blockers(t) {
        println!("note: {b}");
    }
    let mut errors = validate::validate(t);
    let root = &opened.project.root;
    let (plugin_errors, warnings) = match check_plugins(t, root, args.no_build) {
        Ok(found) => found,
        Err(build) => {
            // Still report what was found before the build failed.
            for e in &errors {
                eprintln!("error: {e}");
            }
            return Err(build);
        }
    };
    errors.extend(plugin_errors);
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if errors.is_empty() {
        println!("ok");
        return Ok(());
    }
    let mut msg = String::new();
    for e in &errors {
        msg.push_str(&format!("error: {e}\n"));
    }
    msg.push_str(&format!(
        "{}: {} error{}",
        shown(&opened.path),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    ));
    Err(CliError::new(EXIT_TOPOLOGY, msg))
}

fn warning(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(None, None, msg)
}

/// A path as printed: control characters escaped.
fn shown(p: &Path) -> String {
    escape_controls(&p.display().to_string()).into_owned()
}

/// An error from opening the project, each line's control characters escaped (the lines
/// themselves are kept).
fn escape_lines(mut e: CliError) -> CliError {
    e.message = e
        .message
        .split('\n')
        .map(|l| escape_controls(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    e
}

/// Builds (unless `no_build`), asks `sparse-host` for its catalogue and compares. Returns
/// the errors and warnings; only a failed build is an `Err`.
fn check_plugins(
    t: &Topology,
    root: &Path,
    no_build: bool,
) -> Result<(Vec<Diagnostic>, Vec<Diagnostic>), CliError> {
    let commands: Vec<plugins::HostCommand> = t
        .components
        .iter()
        .filter_map(|c| plugins::host_command(&c.exec)?.ok())
        .collect();
    if t
        .components
        .iter()
        .all(|c| plugins::host_command(&c.exec).is_none())
    {
        println!("plugins: none needed (no component runs sparse-host)");
        return Ok((Vec::new(), Vec::new()));
    }
    let mut warnings = Vec::new();
    let has_manifest = root.join("Cargo.toml").is_file();
    if !no_build {
        if has_manifest {
            release::build_profile(root, release::DEFAULT_PROFILE, "sparse check").map_err(|e| {
                let code = match e {
                    release::BuildError::Spawn(_) => crate::cli::EXIT_IO,
                    release::BuildError::Failed { .. } => EXIT_BUILD_FAILED,
                };
                CliError::new(code, format!("error: {e}"))
            })?;
        } else {
            println!(
                "plugins: nothing to build ({} has no Cargo.toml)",
                shown(root)
            );
        }
    }
    let release = release::release_dir(root);
    // The same choice as `sparse run` and `sparse jar` make (see `sparse_project::artifacts`).
    let workspace = sparse_project::artifacts::Workspace::read(root).ok();
    let choice = sparse_project::artifacts::find_host(&release, release::DEFAULT_PROFILE, workspace.as_ref());
    let Some(host) = choice.host.map(|h| h.path) else {
        warnings.push(warning(format!(
            "the Rust components were not checked against their plugins: no sparse-host in {}, \
             next to sparse, or on PATH (build the project, or install it with `cargo install \
             --path <sparse checkout>/host`)",
            release.display()
        )));
        // Storm-rule errors still count; a component naming nothing is one too.
        let mut errors = Vec::new();
        for c in &t.components {
            if let Some(Err(e)) = plugins::host_command(&c.exec) {
                errors.push(Diagnostic::new(c.span.clone(), Some(&c.id), e));
            }
        }
        return Ok((errors, warnings));
    };
    println!("plugins: asked {} --list --json", shown(&host));

    // One catalogue per distinct list of a command's own --plugin-dir values.
    let mut catalogs: BTreeMap<Vec<String>, Catalog> = BTreeMap::new();
    let mut keys: Vec<Vec<String>> = commands.iter().map(|c| c.plugin_dirs.clone()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let dirs: Vec<PathBuf> = std::iter::once(release.clone())
            .chain(key.iter().map(PathBuf::from))
            .collect();
        match plugins::query(&host, &dirs, root) {
            Ok(c) => {
                let searched: Vec<String> = c.searched.iter().map(|d| shown(d)).collect();
                println!("  searched {}", searched.join(", "));
                catalogs.insert(key, c);
            }
            Err(e) => warnings.push(warning(format!(
                "the Rust components were not checked against their plugins: {e}"
            ))),
        }
    }

    // With --no-build: which plugin crates the project builds, to tell "not built yet"
    // from "no such plugin" and to find libraries older than their sources.
    let crates = if no_build && has_manifest {
        match stale::workspace_plugins(root) {
            Ok(m) => m,
            Err(e) => {
                warnings.push(warning(format!(
                    "cannot tell whether the plugins are up to date: {e}"
                )));
                BTreeMap::new()
            }
        }
    } else {
        BTreeMap::new()
    };
    let inputs = Inputs {
        catalogs: catalogs.iter().map(|(k, v)| (k.clone(), v)).collect(),
        unbuilt: crates
            .iter()
            .map(|(k, c)| (k.clone(), c.manifest.display().to_string()))
            .collect(),
    };
    let found = plugins::check::check(t, &inputs);
    for (p, ids) in &found.used {
        println!(
            "  {} {}: {} (for {})",
            escape_controls(&p.name),
            escape_controls(&p.version),
            shown(&p.path),
            escape_controls(&ids.join(", "))
        );
        if let Some(krate) = crates.get(&p.krate)
            && let Some(newer) = stale::stale_source(&p.path, krate)
        {
            warnings.push(warning(format!(
                "{} is older than its sources ({} changed since it was built): checked against \
                 the old build (drop --no-build, or run `cargo build --release`)",
                p.path.display(),
                newer.display()
            )));
        }
    }
    warnings.extend(found.warnings);
    Ok((found.errors, warnings))
}
