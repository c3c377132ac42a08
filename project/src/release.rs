//! The project's build, shared by `sparse run`, `sparse jar` and `sparse submit`: where Cargo
//! puts it for a profile, and how to run `cargo build --profile NAME`.
//!
//! The build folder of a profile is `<target>/<dir>`. `<target>` is what `cargo metadata`
//! reports as the workspace's `target_directory` (so `CARGO_TARGET_DIR` and `build.target-dir`
//! in `.cargo/config.toml` are honoured, as `cargo build` honours them), or, when Cargo cannot
//! read the project, `CARGO_TARGET_DIR` (relative to the project root) or `<root>/target`.
//! `<dir>` is Cargo's folder for the profile: `release` for `release` (the default)
//! and `bench`, `debug` for `dev` and `test`, the profile's own name for a custom profile.
//! It holds the plugins `lib<crate>.so` (and `sparse-host` when the project's workspace
//! builds it; see [`crate::artifacts`] for which `sparse-host` is used).
//!
//! ```
//! use std::path::Path;
//! use sparse_project::release::{profile_dir, profile_dir_name};
//!
//! assert_eq!(profile_dir_name("dev"), "debug");
//! # if std::env::var_os("CARGO_TARGET_DIR").is_none() {
//! assert_eq!(profile_dir(Path::new("/p"), "release"), Path::new("/p/target/release"));
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// The profile `sparse run`, `jar` and `submit` build and use without `--profile`.
pub const DEFAULT_PROFILE: &str = "release";

/// Why `cargo build` did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `cargo` could not be started.
    #[error("cannot run cargo: {0}")]
    Spawn(std::io::Error),
    /// `cargo` ran and failed (its messages went to stderr).
    #[error("cargo build --profile {profile} failed ({status})")]
    Failed {
        /// The profile built.
        profile: String,
        /// Cargo's exit status.
        status: std::process::ExitStatus,
    },
}

/// Cargo's target folder for the project at `root`: `target_directory` from `cargo metadata`
/// (one run per process, shared with [`crate::artifacts::Workspace::read`]), else
/// [`fallback_target_dir`].
pub fn target_dir(root: &Path) -> PathBuf {
    crate::artifacts::Workspace::read(root)
        .ok()
        .and_then(|w| w.target_directory)
        .unwrap_or_else(|| fallback_target_dir(root))
}

/// The target folder when Cargo cannot read the project: `$CARGO_TARGET_DIR` (relative to
/// `root` when relative) or `<root>/target`.
pub fn fallback_target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

/// The folder Cargo writes a profile's output to, under the target folder: `debug` for
/// `dev` and `test`, `release` for `release` and `bench`, else the profile's name.
pub fn profile_dir_name(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        p => p,
    }
}

/// The build folder of `profile`: [`target_dir`]`/`[`profile_dir_name`].
pub fn profile_dir(root: &Path, profile: &str) -> PathBuf {
    target_dir(root).join(profile_dir_name(profile))
}

/// The release folder: [`profile_dir`]`(root, "release")`.
pub fn release_dir(root: &Path) -> PathBuf {
    profile_dir(root, DEFAULT_PROFILE)
}

/// Checks a `--profile` value: Cargo's profile names are ASCII letters, digits, `-` and
/// `_` (so the name is also a safe folder name). Returns why not, as a sentence.
pub fn check_profile(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the profile name is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
    {
        return Err(format!(
            "invalid profile name `{name}`: it contains {c:?} (Cargo profile names are letters, digits, `-` and `_`)"
        ));
    }
    Ok(())
}

/// Runs `cargo build --release` in `root`; see [`build_profile`].
pub fn build(root: &Path, label: &str) -> Result<(), BuildError> {
    build_profile(root, DEFAULT_PROFILE, label)
}

/// Runs `cargo build --profile <profile>` in `root`, its output going to this process's
/// stderr. `label` prefixes the progress line (e.g. `sparse run`).
pub fn build_profile(root: &Path, profile: &str, label: &str) -> Result<(), BuildError> {
    eprintln!(
        "[{label}] cargo build --profile {profile} (in {})",
        root.display()
    );
    let status = Command::new("cargo")
        .args(["build", "--profile", profile])
        .current_dir(root)
        .status()
        .map_err(BuildError::Spawn)?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Failed {
            profile: profile.to_string(),
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_target_dir_in_cargo_config_is_honoured() {
        let p = tempfile::tempdir().unwrap();
        let root = p.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[package]\nname = \"tdir\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[lib]\npath = \"lib.rs\"\n",
        )
        .unwrap();
        std::fs::write(root.join("lib.rs"), "").unwrap();
        std::fs::create_dir(root.join(".cargo")).unwrap();
        std::fs::write(
            root.join(".cargo/config.toml"),
            "[build]\ntarget-dir = \"elsewhere/out\"\n",
        )
        .unwrap();
        // `cargo test` sets CARGO_TARGET_DIR only when the user did; it wins over the config.
        let expected = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(d) => root.join(d),
            None => root.join("elsewhere/out"),
        };
        assert_eq!(target_dir(root), expected);
        assert_eq!(profile_dir(root, "dev").file_name().unwrap(), "debug");
    }
}
