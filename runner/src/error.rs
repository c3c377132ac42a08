//! Why a run failed: [`RunError`], with the failed task ([`TaskFailure`]) or the stalled
//! cycle ([`Stalled`]) and the summary up to the stop.

use std::fmt;

use crate::RunSummary;
use crate::settings;

/// A task that broke the run.
#[derive(Debug, Clone)]
pub struct TaskFailure {
    /// Component id.
    pub component: String,
    /// Task id.
    pub task: i64,
    /// The command it ran.
    pub command: Vec<String>,
    /// What happened.
    pub reason: String,
    /// Exit status; None when it was still running when the failure was detected (it was
    /// then killed by the runner).
    pub exit_status: Option<String>,
    /// Its last stderr lines.
    pub stderr_tail: Vec<String>,
    /// The run's summary up to the failure.
    pub summary: RunSummary,
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "component `{}` task {} died: {}",
            self.component, self.task, self.reason
        )?;
        writeln!(f, "  command: {:?}", self.command)?;
        match &self.exit_status {
            Some(s) => writeln!(f, "  exit status: {s}")?,
            None => writeln!(f, "  exit status: still running (killed by sparse run)")?,
        }
        if self.stderr_tail.is_empty() {
            write!(f, "  stderr: (nothing)")
        } else {
            write!(f, "  last stderr lines:")?;
            for l in &self.stderr_tail {
                write!(f, "\n    {l}")?;
            }
            Ok(())
        }
    }
}

/// A topology that could make no progress (see [`engine`](crate::engine)'s backpressure).
#[derive(Debug, Clone)]
pub struct Stalled {
    /// What was blocked on what, naming the components of the cycle.
    pub message: String,
    /// The run's summary up to the stop.
    pub summary: RunSummary,
}

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// The topology cannot run locally (Java components, custom groupings, …).
    Setup(String),
    /// A task could not be started.
    Spawn {
        /// Component id.
        component: String,
        /// Task id.
        task: i64,
        /// The command.
        command: Vec<String>,
        /// The OS error.
        error: std::io::Error,
    },
    /// A setting has a value Storm (or sparse) refuses; nothing was started.
    Setting(settings::SettingError),
    /// A task died or broke the protocol; the topology was stopped.
    TaskFailed(Box<TaskFailure>),
    /// Tasks in a cycle blocked one another on full queues: no progress was possible, so
    /// the topology was stopped.
    Stalled(Box<Stalled>),
    /// Writing the summary or creating the run directory failed.
    Io(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Setup(m) => write!(f, "cannot run this topology locally: {m}"),
            RunError::Spawn {
                component,
                task,
                command,
                error,
            } => write!(
                f,
                "Error when launching multilang subprocess for component `{component}` task {task}: {command:?}: {error}"
            ),
            RunError::Setting(e) => e.fmt(f),
            RunError::TaskFailed(t) => t.fmt(f),
            RunError::Stalled(s) => f.write_str(&s.message),
            RunError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}
