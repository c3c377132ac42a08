//! Topology definitions: the shared [`model`], its two front ends (the Clojure DSL in [`clj`]
//! and Flux YAML in [`flux`]), the Storm-rule [`validate`] pass, and the text and picture
//! renderings used by `sparse check` ([`describe`]) and `sparse visualize` ([`visualize`]).
//!
//! [`load`] picks the front end from the file extension (`.clj`, `.yaml`/`.yml`). Loading
//! reports syntax and structure problems; [`validate::validate`] then checks the loaded model
//! against Storm's rules and collects every problem at once.
//!
//! This crate is pure: it reads text and builds values, and knows nothing of projects,
//! builds or processes. `sparse check`, `visualize`, `run` and `jar` all start from it.
//!
//! ```
//! use std::path::Path;
//! use sparse_topology::{clj, describe, flux, validate};
//!
//! let src = r#"
//! (defn hello [options]
//!   [{"words" (rust-spout-spec options "hello::Words" ["word"])}
//!    {"count" (rust-bolt-spec options {"words" ["word"]} "hello::Count" ["word" "n"] :p 2)}])"#;
//! let t = clj::load_str(src, Path::new("hello.clj")).unwrap();
//! assert_eq!(t.name, "hello");
//! assert_eq!(t.components.len(), 2);
//! // Storm's rules hold; the text `sparse check` prints names the grouping.
//! assert!(validate::validate(&t).is_empty());
//! assert!(describe::describe(&t).contains("fields"));
//! // The same topology as Flux YAML, as `sparse jar` writes it.
//! let yaml = flux::to_yaml(&t).unwrap();
//! assert!(yaml.contains("hello::Count"));
//!
//! // Bad input is an error with its location, never a panic.
//! let e = clj::load_str("(defn x [o] [{\"s\" (rust-spout-spec o)}])", Path::new("x.clj"))
//!     .unwrap_err();
//! assert!(e.to_string().contains("x.clj:1:"), "{e}");
//! ```

pub mod clj;
pub mod describe;
pub mod filter;
pub mod flux;
pub mod model;
pub mod validate;
pub mod visualize;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use model::{Input, Span, Topology};

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

/// `file:line:col`, as diagnostics print a place.
fn location(s: &Span) -> String {
    format!("{}:{}:{}", s.file.display(), s.line, s.col)
}

/// Control characters escaped (all of them); everything else kept.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        if let Some(span) = &self.span {
            s.push_str(&location(span));
            s.push_str(": ");
        }
        if let Some(c) = &self.component {
            s.push_str(&format!("component `{c}`: "));
        }
        s.push_str(&self.message);
        f.write_str(&escape_controls(&s))
    }
}

/// Text from a topology (ids, stream and field names, messages quoting them) made safe to
/// print on a terminal: every control character, and the Unicode marks that reorder text
/// (bidirectional overrides and isolates), is shown as an escape instead of acting on the
/// terminal. `\n`, `\t`, `\r` and `\0` keep their short forms; the rest read `\u{1b}`.
///
/// ```
/// use sparse_topology::escape_controls;
/// assert_eq!(escape_controls("ok"), "ok");
/// assert_eq!(escape_controls("a\u{1b}[2Jb\nc"), r"a\u{1b}[2Jb\nc");
/// ```
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Merges the inputs a reader found for bolt `bolt`, in declaration order, as Storm does:
/// `BoltDeclarer` keeps inputs in a map keyed by (component, stream), so declaring the same
/// source stream again replaces the earlier grouping. The merged input keeps the place of
/// the first declaration and the grouping of the last; each repeat gives a warning naming
/// both declarations.
pub(crate) fn merge_inputs(
    bolt: &str,
    declared: Vec<(Input, Option<Span>)>,
) -> (Vec<Input>, Vec<Diagnostic>) {
    let mut inputs: Vec<Input> = Vec::with_capacity(declared.len());
    let mut last_span: Vec<Option<Span>> = Vec::with_capacity(declared.len());
    let mut warnings = Vec::new();
    for (input, span) in declared {
        let Some(i) = inputs
            .iter()
            .position(|k| k.source == input.source && k.stream == input.stream)
        else {
            inputs.push(input);
            last_span.push(span);
            continue;
        };
        let earlier = last_span[i].as_ref().map_or_else(
            || "earlier".to_string(),
            |s| format!("earlier at {}", location(s)),
        );
        let now = describe::grouping_label(&input.grouping);
        warnings.push(Diagnostic::new(
            span.clone(),
            Some(bolt),
            format!(
                "input from `{}` stream `{}` declared again ({earlier} with {} grouping, here \
                 with {now}): Storm keeps one input per component and stream, the last \
                 declared, so `{bolt}` gets each tuple once, by {now}",
                input.source,
                input.stream,
                describe::grouping_label(&inputs[i].grouping),
            ),
        ));
        inputs[i].grouping = input.grouping;
        last_span[i] = span;
    }
    (inputs, warnings)
}

/// Why a topology file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", escape_controls(&path.display().to_string()))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The extension is neither `.clj` nor `.yaml`/`.yml`.
    #[error(
        "{}: unknown topology format (expected a .clj or .yaml/.yml file)",
        escape_controls(&path.display().to_string())
    )]
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

/// A topology as read from a file, with what the reader accepted but the user should hear
/// about (for example a bolt subscribed twice to one stream).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The topology, not validated yet.
    pub topology: Topology,
    /// Warnings, each located.
    pub warnings: Vec<Diagnostic>,
}

/// Loads a topology file (format chosen by extension). The topology is not validated yet.
/// The reader's warnings are dropped: see [`load_with_warnings`].
pub fn load(path: &Path) -> Result<Topology, LoadError> {
    load_with_warnings(path).map(|l| l.topology)
}

/// Loads a topology file (format chosen by extension) and keeps the reader's warnings.
/// `${...}` placeholders of a Flux YAML file are kept as written, each with a warning (see
/// [`load_filtered`]).
pub fn load_with_warnings(path: &Path) -> Result<Loaded, LoadError> {
    load_filtered(path, &filter::Filter::none())
}

/// Like [`load_with_warnings`], substituting a Flux YAML file's `${...}` placeholders with
/// `filter` first, as Flux's `--filter`/`--env-filter` do ([`filter`]). The substitution's
/// warnings come first. A `.clj` file is read as written (the DSL has no placeholders); an
/// active filter then adds a warning saying so.
pub fn load_filtered(path: &Path, filter: &filter::Filter) -> Result<Loaded, LoadError> {
    let format = Format::from_path(path).ok_or_else(|| LoadError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let src = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match format {
        Format::Clojure => {
            let mut loaded = clj::load_str_with_warnings(&src, path)?;
            if filter.is_active() {
                loaded.warnings.insert(
                    0,
                    Diagnostic::new(
                        Some(Span {
                            file: path.to_path_buf(),
                            line: 1,
                            col: 1,
                        }),
                        None,
                        "--filter/--env-filter apply to Flux YAML only: this .clj file is read as written",
                    ),
                );
            }
            Ok(loaded)
        }
        Format::Flux => {
            let (text, mut warnings) = filter.apply(&src, path)?;
            // When the text does not parse, a placeholder kept as written is often why
            // (`parallelism: ${p}`): the error lists them too.
            let mut loaded = flux::load_str_with_warnings(&text, path).map_err(|e| match e {
                LoadError::Invalid(mut errs) => {
                    errs.extend(warnings.iter().cloned());
                    LoadError::Invalid(errs)
                }
                other => other,
            })?;
            warnings.append(&mut loaded.warnings);
            loaded.warnings = warnings;
            Ok(loaded)
        }
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
    for o in &mut t.jvm_objects {
        o.span = None;
    }
    t
}
