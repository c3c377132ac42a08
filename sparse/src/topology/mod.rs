//! Topology definitions: the shared [`model`], its two front ends (the Clojure DSL in [`clj`]
//! and Flux YAML in [`flux`]), the Storm-rule [`validate`] pass, and the text and picture
//! renderings used by `sparse check` ([`describe`]) and `sparse visualize` ([`visualize`]).
//!
//! [`load`] picks the front end from the file extension (`.clj`, `.yaml`/`.yml`). Loading
//! reports syntax and structure problems; [`validate::validate`] then checks the loaded model
//! against Storm's rules and collects every problem at once.

pub mod clj;
pub mod describe;
pub mod flux;
pub mod model;
pub mod validate;
pub mod visualize;

use std::fmt;
use std::path::{Path, PathBuf};

use model::{Span, Topology};

/// The stream id Storm uses when none is given.
pub const DEFAULT_STREAM: &str = "default";

/// One problem found in a topology definition, with its location when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is (`file:line:col`), if known.
    pub span: Option<Span>,
    /// The component concerned, if any.
    pub component: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span` about `component`.
    pub fn new(span: Option<Span>, component: Option<&str>, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            component: component.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.span {
            write!(f, "{}:{}:{}: ", s.file.display(), s.line, s.col)?;
        }
        if let Some(c) = &self.component {
            write!(f, "component `{c}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a topology file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The extension is neither `.clj` nor `.yaml`/`.yml`.
    #[error("{}: unknown topology format (expected a .clj or .yaml/.yml file)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file was read but is not a valid definition; every problem found is listed.
    #[error("{}", join_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
}

fn join_diagnostics(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| format!("error: {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The definition formats sparse reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Storm's Clojure DSL with streamparse's spec functions (`.clj`).
    Clojure,
    /// Flux YAML (`.yaml`, `.yml`).
    Flux,
}

impl Format {
    /// The format a path's extension names, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "clj" => Some(Format::Clojure),
            "yaml" | "yml" => Some(Format::Flux),
            _ => None,
        }
    }
}

/// Loads a topology file (format chosen by extension). The topology is not validated yet.
pub fn load(path: &Path) -> Result<Topology, LoadError> {
    let format = Format::from_path(path).ok_or_else(|| LoadError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let src = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match format {
        Format::Clojure => clj::load_str(&src, path),
        Format::Flux => flux::load_str(&src, path),
    }
}

/// The topology name a file gives by default: its file name without extension.
pub fn name_from_path(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A copy of `t` with every [`Span`] removed, to compare topologies read from different
/// files or formats.
pub fn without_spans(t: &Topology) -> Topology {
    let mut t = t.clone();
    for c in &mut t.components {
        c.span = None;
    }
    t
}
