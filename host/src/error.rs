//! [`HostError`]: everything that ends a `sparse-host` run early, with its exit code.

use std::fmt;
use std::path::PathBuf;

/// Exit codes of `sparse-host` (also listed in the crate documentation).
pub mod exit {
    /// Clean end of input.
    pub const OK: i32 = 0;
    /// The component returned an error or panicked (also: failed to initialize).
    pub const COMPONENT_FAILED: i32 = 1;
    /// Bad command line (clap's convention).
    pub const USAGE: i32 = 2;
    /// No plugin library for the crate was found.
    pub const PLUGIN_NOT_FOUND: i32 = 3;
    /// The plugin has no component of that name.
    pub const COMPONENT_NOT_FOUND: i32 = 4;
    /// The plugin could not be loaded or speaks another ABI version.
    pub const BAD_PLUGIN: i32 = 5;
    /// A spout was given bolt traffic, or a bolt spout commands.
    pub const WRONG_ROLE: i32 = 6;
    /// Malformed protocol input (bad framing, invalid JSON or UTF-8, missing fields).
    pub const PROTOCOL: i32 = 7;
    /// Reading stdin or writing the protocol output failed (e.g. Storm closed the pipe).
    pub const IO: i32 = 8;
    /// Invalid configuration in the handshake (log settings).
    pub const CONFIG: i32 = 9;
}

/// Why `sparse-host` stopped with an error.
#[derive(Debug)]
pub enum HostError {
    /// `--component` is not `CRATE::TYPE` with safe names.
    BadComponentName(String),
    /// No `lib<crate>.so` in any searched directory.
    PluginNotFound {
        /// The file name looked for.
        file: String,
        /// Every directory searched, in order.
        searched: Vec<PathBuf>,
    },
    /// The plugin has no such component.
    ComponentNotFound {
        /// The component asked for.
        component: String,
        /// The plugin file.
        plugin: PathBuf,
        /// What the plugin offers.
        available: Vec<String>,
    },
    /// The library could not be loaded, lacks the entry symbol, or its ABI does not fit.
    BadPlugin {
        /// The plugin file.
        plugin: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Traffic for the other kind of component.
    WrongRole(String),
    /// Malformed input.
    Protocol(String),
    /// I/O failure on the protocol streams or the pid file.
    Io(String),
    /// Invalid handshake configuration.
    Config(String),
    /// The component failed (its error was already reported to Storm).
    ComponentFailed(String),
}

impl HostError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            HostError::BadComponentName(_) => exit::USAGE,
            HostError::PluginNotFound { .. } => exit::PLUGIN_NOT_FOUND,
            HostError::ComponentNotFound { .. } => exit::COMPONENT_NOT_FOUND,
            HostError::BadPlugin { .. } => exit::BAD_PLUGIN,
            HostError::WrongRole(_) => exit::WRONG_ROLE,
            HostError::Protocol(_) => exit::PROTOCOL,
            HostError::Io(_) => exit::IO,
            HostError::Config(_) => exit::CONFIG,
            HostError::ComponentFailed(_) => exit::COMPONENT_FAILED,
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::BadComponentName(name) => write!(
                f,
                "invalid component name {name:?}: expected CRATE::TYPE, each made of letters, digits, '_' or '-'"
            ),
            HostError::PluginNotFound { file, searched } => {
                write!(f, "plugin not found: no {file} in")?;
                if searched.is_empty() {
                    write!(f, " any directory (none to search)")?;
                }
                for dir in searched {
                    write!(f, "\n  {}", dir.display())?;
                }
                write!(
                    f,
                    "\n(add a directory with --plugin-dir or SPARSE_PLUGIN_PATH)"
                )
            }
            HostError::ComponentNotFound {
                component,
                plugin,
                available,
            } => write!(
                f,
                "component not found: {} has no component {component:?}; it offers: {}",
                plugin.display(),
                if available.is_empty() {
                    "nothing".to_owned()
                } else {
                    available.join(", ")
                }
            ),
            HostError::BadPlugin { plugin, reason } => {
                write!(f, "cannot use plugin {}: {reason}", plugin.display())
            }
            HostError::WrongRole(msg) => write!(f, "wrong component kind: {msg}"),
            HostError::Protocol(msg) => write!(f, "protocol error: {msg}"),
            HostError::Io(msg) => write!(f, "I/O error: {msg}"),
            HostError::Config(msg) => write!(f, "configuration error: {msg}"),
            HostError::ComponentFailed(msg) => write!(f, "component failed: {msg}"),
        }
    }
}

impl std::error::Error for HostError {}
