//! Finding what a topology test needs: the topology file (looked up from the current folder
//! upwards), the test binary's Cargo target folder (where `cargo test` built the plugins),
//! and `sparse-host` (see the parent module's doc for the order).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::TestError;

pub(super) fn find_upwards(path: &Path) -> Result<PathBuf, TestError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| TestError::Load(format!("cannot read the current folder: {e}")))?;
    cwd.ancestors()
        .map(|d| d.join(path))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            TestError::Load(format!(
                "no topology file {} in {} or any folder above it",
                path.display(),
                cwd.display()
            ))
        })
}

/// Whether the Cargo workspace of the running test (`$CARGO_MANIFEST_DIR`, set by `cargo
/// test`) has a `sparse-host` binary target; `None` when `cargo metadata` cannot tell.
fn workspace_builds_host() -> Option<bool> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let meta: Value = serde_json::from_slice(&out.stdout).ok()?;
    let packages = meta.get("packages")?.as_array()?;
    Some(packages.iter().any(|p| {
        p.get("targets")
            .and_then(Value::as_array)
            .is_some_and(|ts| {
                ts.iter().any(|t| {
                    t.get("name") == Some(&json!("sparse-host"))
                        && t.get("kind")
                            .and_then(Value::as_array)
                            .is_some_and(|k| k.contains(&json!("bin")))
                })
            })
    }))
}

/// The Cargo target folder of the running test binary (`…/target/debug`).
pub(super) fn test_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    Some(if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent()?.to_path_buf()
    } else {
        dir.to_path_buf()
    })
}

/// `$SPARSE_HOST`, else `sparse-host` in the test binary's Cargo target folder, else on
/// `PATH`.
pub(super) fn find_host() -> Result<PathBuf, TestError> {
    if let Some(h) = std::env::var_os("SPARSE_HOST") {
        let h = PathBuf::from(h);
        return if h.is_file() {
            Ok(h)
        } else {
            Err(TestError::Setup(format!(
                "SPARSE_HOST is {}, which is not a file",
                h.display()
            )))
        };
    }
    let target = test_target_dir().filter(|_| workspace_builds_host() != Some(false));
    let path = std::env::var_os("PATH").unwrap_or_default();
    target
        .iter()
        .cloned()
        .chain(std::env::split_paths(&path))
        .map(|d| d.join("sparse-host"))
        .find(|c| c.is_file())
        .ok_or_else(|| {
            TestError::Setup(format!(
                "no sparse-host in the test's target folder ({}) or on PATH; build it (`cargo build` in the sparse workspace), install it (`cargo install sparse-host`) or set SPARSE_HOST",
                target.map_or_else(|| "unknown".into(), |t| t.display().to_string())
            ))
        })
}
