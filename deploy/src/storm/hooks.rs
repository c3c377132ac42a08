//! `pre_submit` / `post_submit` hooks: commands from `config.json` run around `sparse submit`
//! (streamparse's `fabfile.py` functions of the same names, as plain commands).
//!
//! Where they are declared: at the top level of `config.json` (every environment) and in an
//! environment (`envs.NAME.pre_submit`); when both exist the top-level one runs first. Each
//! is a [`HookCommand`]: a string run as `sh -c STRING sparse-hook TOPOLOGY ENV ENV_JSON`, or
//! an argv array run directly with `TOPOLOGY ENV ENV_JSON` appended.
//!
//! What a hook gets:
//!
//! | | |
//! |---|---|
//! | arguments | topology name, environment name, environment config (JSON of `envs.NAME`) |
//! | `SPARSE_HOOK` | `pre_submit` or `post_submit` |
//! | `SPARSE_TOPOLOGY`, `SPARSE_ENV`, `SPARSE_ENV_CONFIG` | the same three values |
//! | `SPARSE_NIMBUS` | `host:port` submitted to |
//! | `SPARSE_OPTIONS` | the topology conf sent to Storm (JSON) |
//! | `SPARSE_JAR` | the topology jar (`post_submit` only) |
//! | working directory | the project root |
//!
//! Its stdout and stderr are the user's. `pre_submit` runs before the build; a non-zero exit
//! aborts the submission. `post_submit` runs after Nimbus accepted the topology; a non-zero
//! exit is reported (exit status 6) but the topology stays submitted.

use std::path::PathBuf;
use std::process::Command;

use sparse_project::config::HookCommand;

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Before building and submitting.
    PreSubmit,
    /// After a successful submission.
    PostSubmit,
}

impl HookKind {
    /// `pre_submit` / `post_submit`.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::PreSubmit => "pre_submit",
            HookKind::PostSubmit => "post_submit",
        }
    }
}

/// What the hooks are told.
#[derive(Debug, Clone)]
pub struct HookContext {
    /// The project root (working directory of the hooks).
    pub root: PathBuf,
    /// The topology name.
    pub topology: String,
    /// The environment name.
    pub env_name: String,
    /// The environment's config as JSON.
    pub env_json: String,
    /// `host:port` of Nimbus.
    pub nimbus: String,
    /// The topology conf (JSON).
    pub options_json: String,
    /// The topology jar, once built.
    pub jar: Option<PathBuf>,
}

/// A hook that did not succeed.
#[derive(Debug, thiserror::Error)]
#[error("{kind} hook `{command}` {problem}")]
pub struct HookError {
    /// `pre_submit` / `post_submit`.
    pub kind: &'static str,
    /// The command, for the message.
    pub command: String,
    /// "exited with status 1", "could not start: ...".
    pub problem: String,
}

/// The command that runs `hook` with `ctx`.
pub fn command(hook: &HookCommand, kind: HookKind, ctx: &HookContext) -> Command {
    let positional = [&ctx.topology, &ctx.env_name, &ctx.env_json];
    let mut c = match hook {
        HookCommand::Shell(line) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(line).arg("sparse-hook");
            c
        }
        HookCommand::Argv(argv) => {
            let mut c = Command::new(argv.first().map_or("true", String::as_str));
            c.args(argv.iter().skip(1));
            c
        }
    };
    c.args(positional)
        .current_dir(&ctx.root)
        .env("SPARSE_HOOK", kind.name())
        .env("SPARSE_TOPOLOGY", &ctx.topology)
        .env("SPARSE_ENV", &ctx.env_name)
        .env("SPARSE_ENV_CONFIG", &ctx.env_json)
        .env("SPARSE_NIMBUS", &ctx.nimbus)
        .env("SPARSE_OPTIONS", &ctx.options_json);
    match &ctx.jar {
        Some(j) => c.env("SPARSE_JAR", j),
        None => c.env_remove("SPARSE_JAR"),
    };
    c
}

fn describe(hook: &HookCommand) -> String {
    match hook {
        HookCommand::Shell(s) => s.clone(),
        HookCommand::Argv(a) => a.join(" "),
    }
}

/// Runs the hooks in order (top-level, then the environment's), stopping at the first
/// failure.
pub fn run(
    hooks: &[&HookCommand],
    kind: HookKind,
    ctx: &HookContext,
    label: &str,
) -> Result<(), HookError> {
    for hook in hooks {
        let shown = describe(hook);
        eprintln!("[{label}] {}: {shown}", kind.name());
        let err = |problem: String| HookError {
            kind: kind.name(),
            command: shown.clone(),
            problem,
        };
        let status = command(hook, kind, ctx)
            .status()
            .map_err(|e| err(format!("could not start: {e}")))?;
        if !status.success() {
            return Err(err(format!("failed ({status})")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ctx(dir: &Path) -> HookContext {
        HookContext {
            root: dir.to_path_buf(),
            topology: "wordcount".into(),
            env_name: "prod".into(),
            env_json: r#"{"nimbus":"h"}"#.into(),
            nimbus: "h:6627".into(),
            options_json: "{}".into(),
            jar: None,
        }
    }

    #[test]
    fn shell_hooks_get_arguments_and_environment() {
        let dir = std::env::temp_dir().join(format!("sparse-hooks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let hook = HookCommand::Shell(
            r#"printf '%s|%s|%s|%s|%s' "$1" "$2" "$3" "$SPARSE_HOOK" "$SPARSE_NIMBUS" > out.txt"#
                .into(),
        );
        run(&[&hook], HookKind::PreSubmit, &ctx(&dir), "t").unwrap();
        let out = std::fs::read_to_string(dir.join("out.txt")).unwrap();
        assert_eq!(out, r#"wordcount|prod|{"nimbus":"h"}|pre_submit|h:6627"#);

        let failing = HookCommand::Argv(vec!["sh".into(), "-c".into(), "exit 3".into()]);
        let e = run(&[&hook, &failing], HookKind::PostSubmit, &ctx(&dir), "t").unwrap_err();
        assert_eq!(e.kind, "post_submit");
        assert!(e.problem.contains('3'), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
