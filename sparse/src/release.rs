//! The project's release build, shared by `sparse run`, `sparse jar` (and `sparse submit`):
//! where Cargo puts it, how to run `cargo build --release`, and which `sparse-host` to use.
//!
//! The release folder is `<CARGO_TARGET_DIR or <root>/target>/release`, with a relative
//! `CARGO_TARGET_DIR` taken relative to the project root (as Cargo does when run there). It
//! holds `sparse-host` (when the project's workspace builds it) and the plugins
//! `lib<crate>.so`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why `cargo build --release` did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `cargo` could not be started.
    #[error("cannot run cargo: {0}")]
    Spawn(std::io::Error),
    /// `cargo` ran and failed (its messages went to stderr).
    #[error("cargo build --release failed ({0})")]
    Failed(std::process::ExitStatus),
}

/// Cargo's target folder for the project at `root`: `$CARGO_TARGET_DIR` (relative to
/// `root` when relative) or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

/// The release folder: [`target_dir`]`/release`.
pub fn release_dir(root: &Path) -> PathBuf {
    target_dir(root).join("release")
}

/// Runs `cargo build --release` in `root`, its output going to this process's stderr.
/// `label` prefixes the progress line (e.g. `sparse run`).
pub fn build(root: &Path, label: &str) -> Result<(), BuildError> {
    eprintln!("[{label}] cargo build --release (in {})", root.display());
    let status = Command::new("cargo")
        .args(["build", "--release"])
        .current_dir(root)
        .status()
        .map_err(BuildError::Spawn)?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Failed(status))
    }
}

/// The `sparse-host` to run: the project's own build in `release`, else the one installed
/// next to the running `sparse`, else the first on `PATH`.
pub fn find_host(release: &Path) -> Option<PathBuf> {
    let beside_sparse = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("sparse-host")));
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("sparse-host"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    std::iter::once(release.join("sparse-host"))
        .chain(beside_sparse)
        .chain(on_path)
        .find(|p| p.is_file())
}
