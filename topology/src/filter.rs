//! `${...}` placeholders in Flux YAML, substituted as Flux 2.8 does with `--filter FILE`
//! (a Java properties file) and `--env-filter` (`${ENV-NAME}` from the environment).
//!
//! Flux substitutes text, line by line, before parsing the YAML, so a placeholder may stand
//! for anything (a host name, a parallelism, a whole list). sparse does the same when asked
//! (`sparse check/visualize/run/jar/submit --filter FILE --env-filter`), so that the topology
//! it checks, runs and packs is the one Flux would build; the jar's YAML then holds the
//! values, and Flux needs no filter on the cluster.
//!
//! Flux's rules, from its `FluxParser` (Storm 2.8.3), are kept exactly:
//! - **one placeholder per line**: the last `${` of the line that has a `}` somewhere after
//!   it, up to the line's last `}`. Any other placeholder of that line is left as written
//!   (sparse warns about it);
//! - `${ENV-NAME}` is the environment variable `NAME` with `--env-filter`; without it, the
//!   property `ENV-NAME`;
//! - `${name[i]}` is element `i` of the property `name`, a list written `["a", "b"]`: the
//!   outer brackets are dropped, the text is split at commas, the element is trimmed and its
//!   first and last characters (the quotes) are dropped;
//! - `${name}` is the property `name`; a placeholder with no value is left as written,
//!   with a warning (Flux logs one too).
//!
//! Where Flux would crash (a list property that is missing, an index past its end), sparse
//! reports an error at the placeholder's place.
//!
//! ```
//! use std::path::Path;
//! use sparse_topology::filter::Filter;
//! let f = Filter::from_properties_text("kafka.hosts = broker:9092\nspouts=[\"a\", \"b\"]\n");
//! let (text, warnings) = f
//!     .apply("args: [\"${kafka.hosts}\"]\nid: ${spouts[1]}\np: ${nope}\n", Path::new("t.yaml"))
//!     .unwrap();
//! assert_eq!(text, "args: [\"broker:9092\"]\nid: b\np: ${nope}\n");
//! assert!(warnings[0].message.contains("`${nope}`"));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::Span;
use crate::{Diagnostic, LoadError};

/// What to substitute: the properties of a `--filter` file, and whether `--env-filter` is on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The properties (`--filter FILE`), if given.
    pub properties: Option<BTreeMap<String, String>>,
    /// The file they were read from, for messages.
    pub source: Option<PathBuf>,
    /// `--env-filter`: `${ENV-NAME}` is the environment variable `NAME`.
    pub env: bool,
}

/// One `${...}` found in a line: its byte range and what is between the braces.
struct Placeholder<'a> {
    start: usize,
    end: usize,
    var: &'a str,
}

/// The placeholder Flux's pattern `.*\$\{(...)}.*` picks in `line`: the last `${` with a
/// non-empty text before the line's last `}`.
fn flux_placeholder(line: &str) -> Option<Placeholder<'_>> {
    let close = line.rfind('}')?;
    let mut search = &line[..close];
    while let Some(open) = search.rfind("${") {
        if open + 2 < close {
            return Some(Placeholder {
                start: open,
                end: close + 1,
                var: &line[open + 2..close],
            });
        }
        search = &line[..open];
    }
    None
}

/// Every `${...}` of a line (non-greedy), to warn about those Flux leaves alone.
fn all_placeholders(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find("${") {
        let open = from + i;
        match line[open + 2..].find('}') {
            Some(j) => {
                out.push((open, &line[open..open + 2 + j + 1]));
                from = open + 2 + j + 1;
            }
            None => break,
        }
    }
    out
}

/// `name[i]` split into the name and the index, as Flux's `(?<list>.+)\[(?<listIndex>\d+)]`.
fn list_ref(var: &str) -> Option<(&str, &str)> {
    let inner = var.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    let (name, index) = (&inner[..open], &inner[open + 1..]);
    (!name.is_empty() && !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
        .then_some((name, index))
}

impl Filter {
    /// No substitution (Flux without `--filter`/`--env-filter`): placeholders stay as
    /// written, each with a warning.
    pub fn none() -> Filter {
        Filter::default()
    }

    /// Whether anything is substituted.
    pub fn is_active(&self) -> bool {
        self.properties.is_some() || self.env
    }

    /// Reads a Java properties file (`--filter FILE`).
    pub fn from_properties_file(path: &Path) -> Result<Filter, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut f = Filter::from_properties_text(&text);
        f.source = Some(path.to_path_buf());
        Ok(f)
    }

    /// The properties of a Java properties text: `key=value`, `key: value` or `key value`,
    /// `#`/`!` comments, `\` line continuations and escapes (`\t`, `\n`, `\uXXXX`, ...).
    pub fn from_properties_text(text: &str) -> Filter {
        Filter {
            properties: Some(parse_properties(text)),
            source: None,
            env: false,
        }
    }

    /// Substitutes `src` (the text of `path`) line by line as Flux does; returns the text and
    /// a warning for each placeholder left as written. Lines end with `\n` in the result.
    pub fn apply(&self, src: &str, path: &Path) -> Result<(String, Vec<Diagnostic>), LoadError> {
        let mut out = String::with_capacity(src.len());
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        let at = |line_no: usize, byte: usize, line: &str| Span {
            file: path.to_path_buf(),
            line: u32::try_from(line_no + 1).unwrap_or(u32::MAX),
            col: u32::try_from(line[..byte].chars().count() + 1).unwrap_or(u32::MAX),
        };
        let how = if self.is_active() {
            match &self.source {
                Some(p) => format!("no value in {}", p.display()),
                None if self.properties.is_some() => "no such property".to_string(),
                None => "no --filter properties file".to_string(),
            }
        } else {
            "sparse substitutes `${...}` only with --filter FILE and/or --env-filter, as Flux \
             does"
                .to_string()
        };
        for (n, raw) in src.split_inclusive('\n').enumerate() {
            let (line, eol) = match raw.strip_suffix('\n') {
                Some(l) => (l.strip_suffix('\r').unwrap_or(l), "\n"),
                None => (raw, ""),
            };
            let Some(p) = flux_placeholder(line) else {
                out.push_str(line);
                out.push_str(eol);
                continue;
            };
            let value = match self.lookup(p.var) {
                Ok(v) => v,
                Err(msg) => {
                    errors.push(Diagnostic::new(Some(at(n, p.start, line)), None, msg));
                    None
                }
            };
            let token = &line[p.start..p.end];
            for (i, other) in all_placeholders(line) {
                // Copies of the chosen token are replaced with it.
                if i != p.start && other != token {
                    warnings.push(Diagnostic::new(
                        Some(at(n, i, line)),
                        None,
                        format!(
                            "`{other}` is kept as written: Flux substitutes one placeholder per \
                             line (here `{token}`); put it on a line of its own"
                        ),
                    ));
                }
            }
            match value {
                // Flux replaces every copy of the token on the line.
                Some(v) => out.push_str(&line.replace(token, &v)),
                None => {
                    if errors.is_empty() {
                        let greedy = if p.var.contains('}') {
                            "; Flux reads a placeholder up to the line's last `}`, so put it \
                             where no `}` follows on its line"
                        } else {
                            ""
                        };
                        warnings.push(Diagnostic::new(
                            Some(at(n, p.start, line)),
                            None,
                            format!("`{token}` is kept as written ({how}){greedy}"),
                        ));
                    }
                    out.push_str(line);
                }
            }
            out.push_str(eol);
        }
        if errors.is_empty() {
            Ok((out, warnings))
        } else {
            Err(LoadError::Invalid(errors))
        }
    }

    /// The value of one placeholder's text, `None` when Flux would keep it; `Err` where
    /// Flux would crash.
    fn lookup(&self, var: &str) -> Result<Option<String>, String> {
        let props = self.properties.as_ref();
        if let Some(name) = var.strip_prefix("ENV-").filter(|n| !n.is_empty()) {
            if self.env {
                return Ok(std::env::var(name).ok());
            }
            return Ok(props.and_then(|p| p.get(var).cloned()));
        }
        if let Some((name, index)) = list_ref(var) {
            let Some(list) = props.and_then(|p| p.get(name)) else {
                return Err(format!(
                    "`${{{var}}}`: no list property `{name}` (Flux would fail on it)"
                ));
            };
            return list_element(list, index).map(Some).ok_or_else(|| {
                format!(
                    "`${{{var}}}`: property `{name}` = `{list}` has no element {index} \
                         (a list is written [\"a\", \"b\"]; Flux would fail on it)"
                )
            });
        }
        Ok(props.and_then(|p| p.get(var).cloned()))
    }
}

/// Element `index` of a list property as Flux reads it (see the module docs).
fn list_element(list: &str, index: &str) -> Option<String> {
    let i: usize = index.parse().ok()?;
    let mut chars = list.chars();
    chars.next()?;
    chars.next_back()?;
    let item = chars.as_str().split(',').nth(i)?.trim();
    let mut c = item.chars();
    c.next()?;
    c.next_back()?;
    Some(c.as_str().to_string())
}

/// Java's `Properties.load`, enough for `--filter` files.
fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut logical = String::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let first = first.trim_start_matches([' ', '\t', '\u{c}']);
        if logical.is_empty() && (first.is_empty() || first.starts_with(['#', '!'])) {
            continue;
        }
        logical.push_str(first);
        // An odd number of trailing backslashes continues the line.
        let trailing = logical.chars().rev().take_while(|&c| c == '\\').count();
        if trailing % 2 == 1 {
            logical.pop();
            if lines.clone().next().is_some() {
                continue;
            }
        }
        let (key, value) = split_property(&logical);
        map.insert(unescape(key), unescape(value));
        logical.clear();
    }
    map
}

/// A logical line's key and raw value: the key ends at the first unescaped `=`, `:` or
/// whitespace; whitespace and one `=`/`:` after it are skipped.
fn split_property(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '=' | ':' | ' ' | '\t' | '\u{c}') {
            end = i;
            break;
        }
    }
    let key = &line[..end];
    let mut rest = line[end..].trim_start_matches([' ', '\t', '\u{c}']);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches([' ', '\t', '\u{c}']);
    }
    (key, rest)
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push('u'),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(text: &str) -> BTreeMap<String, String> {
        parse_properties(text)
    }

    #[test]
    fn properties_files_read_like_java() {
        let p = props(
            "# comment\n! also\n  a = 1\nb:2\nc 3\nd=x\\\n    y\ne=tab\\there\nf=\\u00e9\\=\nempty=\n",
        );
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "2");
        assert_eq!(p["c"], "3");
        assert_eq!(p["d"], "xy");
        assert_eq!(p["e"], "tab\there");
        assert_eq!(p["f"], "é=");
        assert_eq!(p["empty"], "");
        assert_eq!(p.len(), 7);
    }

    #[test]
    fn the_placeholder_flux_picks() {
        let p = flux_placeholder("a: ${x} b: ${y}").unwrap();
        assert_eq!(p.var, "y");
        // Greedy up to the line's last `}`, as Flux's pattern.
        assert_eq!(flux_placeholder("${a} {z}").unwrap().var, "a} {z");
        assert_eq!(flux_placeholder("${a} ${}").unwrap().var, "a} ${");
        assert!(flux_placeholder("no ${ here").is_none());
        assert!(flux_placeholder("${}").is_none());
        assert_eq!(list_ref("hosts[2]"), Some(("hosts", "2")));
        assert_eq!(list_ref("[2]"), None);
        assert_eq!(list_ref("h[x]"), None);
        assert_eq!(list_element("[\"a\", \"b\"]", "1").as_deref(), Some("b"));
        assert_eq!(list_element("[\"a\"]", "1"), None);
    }

    #[test]
    fn substitution_follows_flux() {
        let mut f = Filter::from_properties_text("p=4\nENV-HOME=prop\nl=[\"x\", \"y\"]\n");
        let src = "a: ${p}\r\nb: ${p} and ${p}\nc: ${q} ${p}\nd: ${ENV-HOME}\ne: ${l[0]}";
        let (out, w) = f.apply(src, Path::new("t.yaml")).unwrap();
        assert_eq!(out, "a: 4\nb: 4 and 4\nc: ${q} 4\nd: prop\ne: x", "{w:?}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].message
                .contains("`${q}` is kept as written: Flux substitutes one placeholder per line")
        );
        assert_eq!(w[0].span.as_ref().map(|s| (s.line, s.col)), Some((3, 4)));

        f.env = true;
        // A variable no environment sets: kept, with a warning.
        let (out, w) = f
            .apply(
                "d: ${ENV-SPARSE_FILTER_TEST_UNSET_VAR}\n",
                Path::new("t.yaml"),
            )
            .unwrap();
        assert_eq!(out, "d: ${ENV-SPARSE_FILTER_TEST_UNSET_VAR}\n");
        assert!(w[0].message.contains("is kept as written"), "{w:?}");

        let e = f
            .apply("x\ny: ${nope[3]}\n", Path::new("t.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.yaml:2:4") && e.contains("no list property `nope`"),
            "{e}"
        );
        let e = f
            .apply("y: ${l[5]}\n", Path::new("t.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no element 5"), "{e}");
    }

    #[test]
    fn without_a_filter_placeholders_are_kept_and_reported() {
        let (out, w) = Filter::none()
            .apply("a: ${x}\nb: 1\n", Path::new("t.yaml"))
            .unwrap();
        assert_eq!(out, "a: ${x}\nb: 1\n");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].message
                .contains("only with --filter FILE and/or --env-filter"),
            "{w:?}"
        );
    }
}
