//! `sparse jar`: build the project (release unless `--profile`), choose and check the
//! `sparse-host` to pack ([`sparse_project::artifacts`]), then write the topology jar for Storm
//! ([`sparse_deploy::jar`]).
//!
//! Prints the jar's path on stdout (one line, for scripts) and what went in on stderr: the
//! `sparse-host` packed (path, where it was found, profile) and each plugin (path,
//! profile).

use std::path::PathBuf;

use crate::cli::{BuildArgs, CliError, CliResult, CommonArgs, EXIT_USAGE};
use sparse_deploy::jar;

/// Exit status: the release build failed.
pub const EXIT_BUILD_FAILED: i32 = crate::cli::EXIT_BUILD_FAILED;

/// Flags of `sparse jar`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `-n`, `--config`, `-e`, `-o`, `-d`.
    #[command(flatten)]
    pub common: CommonArgs,
    /// `--no-build`, `--profile`.
    #[command(flatten)]
    pub build: BuildArgs,
    /// The jar to write (default: `<target>/sparse/<topology>.jar`); the Flux YAML goes
    /// next to it as `.yaml`.
    #[arg(short = 'O', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Embed the classes of this flux-core jar (default: the newest found in the local
    /// Maven repository, if any).
    #[arg(long = "flux-core", value_name = "JAR", conflicts_with = "no_flux_core")]
    pub flux_core: Option<PathBuf>,
    /// Do not embed flux-core (the cluster must provide Flux).
    #[arg(long = "no-flux-core")]
    pub no_flux_core: bool,
    /// Keep Storm's JSON serializer: do not compile and pack sparse's fast-wire serializer.
    #[arg(long = "json-wire")]
    pub json_wire: bool,
}

/// Runs `sparse jar`.
pub fn exec(args: Args) -> CliResult {
    let cwd = super::cwd()?;
    let resolved = super::resolve_checked(&args.common, &cwd)?;
    let topology = &resolved.opened.topology;
    let root = resolved.opened.project.root.clone();
    let built = super::build_and_choose(
        &root,
        topology,
        &args.build,
        EXIT_BUILD_FAILED,
        true,
    )?;
    let output = match &args.output {
        Some(o) => cwd.join(o),
        None => jar::default_output(&root, &topology.name),
    };
    let flux_core = if args.no_flux_core {
        None
    } else if let Some(p) = &args.flux_core {
        let p = cwd.join(p);
        if !p.is_file() {
            return Err(CliError::new(
                EXIT_USAGE,
                format!("error: --flux-core {}: no such file", p.display()),
            ));
        }
        Some(p)
    } else {
        let found = jar::find_flux_core(&root);
        if found.is_none() {
            log::info!(
                "note: no flux-core jar found (SPARSE_FLUX_CORE_JAR, ~/.m2): the jar does not embed Flux, so the cluster must provide it (or pass --flux-core JAR)"
            );
        }
        found
    };
    let out = super::make_jar(&resolved, built, output, flux_core, args.json_wire)?;
    let size = std::fs::metadata(&out.jar).map(|m| m.len()).unwrap_or(0);
    log::info!(
        "{} ({:.1} MiB, {} entries): sparse-host and plugins {} as above; flux-core {}; Flux YAML {}",
        out.jar.display(),
        size as f64 / (1024.0 * 1024.0),
        out.entries.len(),
        if out.plugins.is_empty() {
            "(none)".to_string()
        } else {
            out.plugins.join(", ")
        },
        out.flux_core
            .as_ref()
            .map_or_else(|| "not embedded".to_string(), |p| p.display().to_string()),
        out.yaml.display(),
    );
    log::info!(
        "multi-lang serializer: {}",
        out.multilang_serializer
            .as_deref()
            .unwrap_or("Storm's JSON serializer")
    );
    log::info!(
        "submit with: storm jar {} {} --remote --resource {}",
        out.jar.display(),
        jar::FLUX_MAIN,
        out.flux_resource
    );
    println!("{}", out.jar.display());
    Ok(())
}
