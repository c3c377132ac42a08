//! `sparse quickstart NAME [--path DIR]`: create a new project folder `NAME/` (in `DIR` or
//! the current folder) that `sparse run` runs at once, and print the tree it created.
//!
//! The generator itself is the library module [`crate::quickstart`]; this file
//! only turns its result into output and exit codes: an invalid name, an existing path or a
//! missing `--path` folder is a usage error (2), a failed write an I/O error (3).

use std::path::PathBuf;

use crate::cli::{CliError, CliResult, EXIT_IO, EXIT_USAGE};

use crate::quickstart as scaffold;

use scaffold::{PluginApiDep, QuickstartError};

/// Flags of `sparse quickstart`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Project name: the folder, the plugin crate and the topology (lowercase letters,
    /// digits, `_` and `-`, starting with a letter).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Create the project folder inside DIR (default: the current folder).
    #[arg(long = "path", value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Depend on the plugin API in this folder of a sparse checkout (by absolute path)
    /// instead of the published `sparse-plugin-api` of this version.
    #[arg(long = "plugin-api-path", value_name = "DIR", env = "SPARSE_PLUGIN_API_PATH")]
    pub plugin_api_path: Option<PathBuf>,
}

/// Runs `sparse quickstart`.
pub fn exec(args: Args) -> CliResult {
    let parent = match &args.path {
        Some(p) => p.clone(),
        None => super::cwd()?,
    };
    let dep = PluginApiDep::choose(args.plugin_api_path.as_deref())
        .map_err(|e| CliError::new(EXIT_USAGE, format!("error: {e}")))?;
    let created = scaffold::create(&args.name, &parent, &dep)
        .map_err(|e| CliError::new(exit_code(&e), format!("error: {e}")))?;
    match &args.path {
        Some(p) => println!(
            "Creating your {} sparse project in {}...",
            args.name,
            p.display()
        ),
        None => println!("Creating your {} sparse project...", args.name),
    }
    for entry in &created.entries {
        println!("  create  {entry}");
    }
    match &dep {
        PluginApiDep::Path(p) => println!("plugin-api: {} (absolute path)", p.display()),
        PluginApiDep::Version(v) => println!("plugin-api: sparse-plugin-api {v} (crates.io)"),
    }
    let cd = match &args.path {
        Some(p) => p.join(&args.name).display().to_string(),
        None => args.name.clone(),
    };
    println!("Done.");
    println!();
    println!("Try running your topology locally with:");
    println!();
    println!("    cd {cd}");
    println!("    sparse run");
    println!();
    println!("README.md says how to install sparse and sparse-host, test and check it.");
    Ok(())
}

/// The exit status for a library error: I/O errors are [`EXIT_IO`], the rest (invalid
/// name, existing path, missing `--path` folder) [`EXIT_USAGE`].
pub fn exit_code(e: &QuickstartError) -> i32 {
    match e {
        QuickstartError::Io { .. } => EXIT_IO,
        _ => EXIT_USAGE,
    }
}
