//! [`Tuple`]: what a bolt receives, with typed access to its values.
//!
//! A tuple borrows the host's buffer for the duration of `process`; nothing is copied or
//! parsed until you ask for a value. [`Tuple::into_owned`] makes a `Tuple<'static>` you
//! can keep (to ack it later, or to batch it).
//!
//! Read strings as `&str`: it borrows from the tuple and works for **every** JSON string.
//! Storm writes `/` as `\/` (and some characters as `\uXXXX`), so a string often arrives
//! escaped; such a string is decoded once into a scratch area that lives as long as the
//! tuple, and the `&str` borrows from there. The same holds for map keys, nested values and
//! `#[serde(borrow)]` fields. Ask for `String` only when you keep the text past `process`.
//!
//! ```
//! use plugin_api::Tuple;
//!
//! // What Storm sends for ["https://example.com/a", 7]:
//! let t = Tuple::new("\"42\"", "urls", "default", 3, r#"["https:\/\/example.com\/a", 7]"#);
//! let url: &str = t.get(0).unwrap();
//! assert_eq!(url, "https://example.com/a");
//! assert_eq!(t.get::<u32>(1).unwrap(), 7);
//! let (s, n): (&str, u64) = t.values().unwrap();
//! assert_eq!((s, n), ("https://example.com/a", 7));
//! assert!(t.get::<u32>(0).is_err()); // a string is not a number
//! assert!(t.get::<u32>(5).is_err()); // no such value
//! ```
//!
//! Structs read the same way, borrowing where they can:
//!
//! ```
//! use plugin_api::Tuple;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Click<'a> {
//!     #[serde(borrow)]
//!     page: &'a str,
//!     ms: u32,
//! }
//!
//! let t = Tuple::new("1", "clicks", "default", 1, r#"[{"page": "\/home \ud83d\ude00", "ms": 12}]"#);
//! let click: Click<'_> = t.get(0).unwrap();
//! assert_eq!(click.page, "/home \u{1F600}");
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};

use crate::scratch::{Keep, Scratch};

/// A tuple delivered to a bolt: where it came from and its values (raw JSON).
///
/// `Send` but not `Sync`: reading a value may decode an escaped string into the tuple's
/// scratch area (see the [module docs](self)).
pub struct Tuple<'a> {
    id: Cow<'a, str>,
    component: Cow<'a, str>,
    stream: Cow<'a, str>,
    task: i64,
    values: Cow<'a, str>,
    /// Decoded copies of escaped strings read from `values`, borrowed by what `get` returns.
    scratch: Scratch,
}

impl Clone for Tuple<'_> {
    fn clone(&self) -> Self {
        Tuple {
            id: self.id.clone(),
            component: self.component.clone(),
            stream: self.stream.clone(),
            task: self.task,
            values: self.values.clone(),
            scratch: Scratch::default(),
        }
    }
}

/// Equal when they have the same origin and the same values text.
impl PartialEq for Tuple<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.component == other.component
            && self.stream == other.stream
            && self.task == other.task
            && self.values == other.values
    }
}
impl Eq for Tuple<'_> {}

/// Why a value could not be read from a tuple.
#[derive(Debug)]
pub struct ValueError {
    index: Option<usize>,
    source: serde_json::Error,
    context: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "value {i} of {}: {}", self.context, self.source),
            None => write!(f, "values of {}: {}", self.context, self.source),
        }
    }
}

impl std::error::Error for ValueError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl<'a> Tuple<'a> {
    /// Builds a tuple. `id` and `values` are raw JSON (`values` must be a JSON array); the
    /// host does this for you, and tests can use the builder in the test kit.
    pub fn new(
        id: impl Into<Cow<'a, str>>,
        component: impl Into<Cow<'a, str>>,
        stream: impl Into<Cow<'a, str>>,
        task: i64,
        values: impl Into<Cow<'a, str>>,
    ) -> Self {
        Tuple {
            id: id.into(),
            component: component.into(),
            stream: stream.into(),
            task,
            values: values.into(),
            scratch: Scratch::default(),
        }
    }

    /// The delivery id. A JSON string id is returned without its quotes; any other id as
    /// its JSON text.
    pub fn id(&self) -> &str {
        let raw = self.id.as_ref();
        match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if !inner.contains('\\') => inner,
            _ => raw,
        }
    }

    /// The delivery id as raw JSON, exactly as Storm sent it.
    pub fn id_json(&self) -> &str {
        &self.id
    }

    /// The component that emitted the tuple (`__system` for ticks).
    pub fn component(&self) -> &str {
        &self.component
    }

    /// The stream it was emitted on.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The emitting task (-1 for ticks).
    pub fn task(&self) -> i64 {
        self.task
    }

    /// True for a tick tuple.
    pub fn is_tick(&self) -> bool {
        self.component == "__system" && self.stream == "__tick"
    }

    /// The values as the raw JSON array text.
    pub fn values_json(&self) -> &str {
        &self.values
    }

    /// Deserializes value `index` (0-based) without parsing the values after it and
    /// without allocating, apart from what `T` itself needs (and a copy of each escaped
    /// string that `T` borrows).
    pub fn get<'de, T: Deserialize<'de>>(&'de self, index: usize) -> Result<T, ValueError> {
        let mut de = serde_json::Deserializer::from_str(&self.values);
        let r = serde::Deserializer::deserialize_seq(
            Keep::new(&mut de, &self.scratch),
            Nth::<T> {
                index,
                _t: std::marker::PhantomData,
            },
        );
        r.map_err(|source| self.value_error(Some(index), source))
    }

    /// Deserializes all values at once: into a Rust tuple, a `Vec`, or a struct (serde
    /// reads a JSON array into a struct's fields in order).
    pub fn values<'de, T: Deserialize<'de>>(&'de self) -> Result<T, ValueError> {
        let mut de = serde_json::Deserializer::from_str(&self.values);
        T::deserialize(Keep::new(&mut de, &self.scratch))
            .and_then(|v| de.end().map(|()| v))
            .map_err(|source| self.value_error(None, source))
    }

    /// A copy that owns its data, to keep past the current call.
    pub fn into_owned(self) -> Tuple<'static> {
        Tuple {
            id: Cow::Owned(self.id.into_owned()),
            component: Cow::Owned(self.component.into_owned()),
            stream: Cow::Owned(self.stream.into_owned()),
            task: self.task,
            values: Cow::Owned(self.values.into_owned()),
            scratch: Scratch::default(),
        }
    }

    fn value_error(&self, index: Option<usize>, source: serde_json::Error) -> ValueError {
        let mut shown: String = self.values.chars().take(120).collect();
        if shown.len() < self.values.len() {
            shown.push('…');
        }
        ValueError {
            index,
            source,
            context: format!(
                "tuple {} from {}:{} (task {}) {}",
                self.id(),
                self.component,
                self.stream,
                self.task,
                shown
            ),
        }
    }
}

impl fmt::Debug for Tuple<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tuple")
            .field("id", &self.id())
            .field("component", &self.component)
            .field("stream", &self.stream)
            .field("task", &self.task)
            .field("values", &self.values)
            .finish()
    }
}

/// A serde visitor that skips `index` elements of a sequence and deserializes the next.
struct Nth<T> {
    index: usize,
    _t: std::marker::PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Nth<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array with at least {} values", self.index + 1)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        for i in 0..self.index {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(serde::de::Error::invalid_length(i, &self));
            }
        }
        let value = seq
            .next_element_seed(std::marker::PhantomData::<T>)?
            .ok_or_else(|| serde::de::Error::invalid_length(self.index, &self))?;
        // Let the rest of the array pass unread: serde_json checks trailing input only in
        // `from_str`, and nothing after the value matters here.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Nth<T> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_seq(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_forms() {
        assert_eq!(Tuple::new("\"-69\"", "c", "s", 1, "[]").id(), "-69");
        assert_eq!(Tuple::new("17", "c", "s", 1, "[]").id(), "17");
        assert_eq!(Tuple::new(r#""a\"b""#, "c", "s", 1, "[]").id(), r#""a\"b""#);
    }

    #[test]
    fn typed_access() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Row {
            word: String,
            count: u64,
        }
        let t = Tuple::new("\"1\"", "c", "default", 2, r#"["a\/b", 3, {"x": [1]}]"#);
        assert_eq!(t.get::<String>(0).unwrap(), "a/b");
        assert_eq!(t.get::<serde_json::Value>(2).unwrap()["x"][0], 1);
        let row: Row = Tuple::new("\"1\"", "c", "default", 2, r#"["w", 9]"#)
            .values()
            .unwrap();
        assert_eq!(
            row,
            Row {
                word: "w".into(),
                count: 9
            }
        );
        let err = t.get::<u8>(7).unwrap_err().to_string();
        assert!(err.contains("value 7"), "{err}");
        assert!(err.contains("from c:default"), "{err}");
    }

    /// What Storm 2.8 (json-smart) writes: `\/`, `\u2028`, and other escapes.
    const STORMY: &str =
        r#"["\/home\/a\"b \u00e9 \u2028 \t\\ \ud83d\ude00", {"k\/1": ["v\/2", "plain"]}]"#;
    const DECODED: &str = "/home/a\"b \u{e9} \u{2028} \t\\ \u{1F600}";

    #[test]
    fn borrowed_str_reads_escaped_strings() {
        let t = Tuple::new("\"1\"", "c", "default", 2, STORMY);
        let s: &str = t.get(0).unwrap();
        assert_eq!(s, DECODED);
        // Twice: the decoded copy is kept once.
        let again: &str = t.get(0).unwrap();
        assert_eq!(again, DECODED);
        assert_eq!(s.as_ptr(), again.as_ptr());
        let (a, m): (&str, std::collections::BTreeMap<&str, Vec<&str>>) = t.values().unwrap();
        assert_eq!(a, DECODED);
        assert_eq!(m["k/1"], ["v/2", "plain"]);
        let cow: Cow<'_, str> = t.get(0).unwrap();
        assert_eq!(cow, DECODED);
    }

    #[test]
    fn unescaped_strings_borrow_from_the_tuple_text() {
        let t = Tuple::new("1", "c", "default", 2, r#"["plain", "a\/b"]"#);
        let s: &str = t.get(0).unwrap();
        let text = t.values_json().as_bytes().as_ptr_range();
        assert!(
            text.contains(&s.as_ptr()),
            "no copy for a string without escapes"
        );
        let e: &str = t.get(1).unwrap();
        assert!(
            !text.contains(&e.as_ptr()),
            "a decoded copy for an escaped one"
        );
    }

    #[test]
    fn borrowed_structs_enums_and_raw_values() {
        #[derive(Deserialize, Debug)]
        struct Click<'a> {
            #[serde(borrow)]
            page: &'a str,
            #[serde(borrow)]
            tags: Vec<&'a str>,
            kind: Kind<'a>,
            #[serde(borrow)]
            extra: &'a serde_json::value::RawValue,
        }
        #[derive(Deserialize, Debug, PartialEq)]
        enum Kind<'a> {
            Visit(#[serde(borrow)] &'a str),
            Leave { to: &'a str },
        }
        let t = Tuple::new(
            "1",
            "c",
            "default",
            2,
            r#"[{"page": "\/a", "tags": ["x\/y", "z"], "kind": {"Leave": {"to": "\/b"}}, "extra": {"q": "\/"}}, {"Visit": "\u0041"}]"#,
        );
        let click: Click<'_> = t.get(0).unwrap();
        assert_eq!(click.page, "/a");
        assert_eq!(click.tags, ["x/y", "z"]);
        assert_eq!(click.kind, Kind::Leave { to: "/b" });
        assert_eq!(click.extra.get(), r#"{"q": "\/"}"#);
        assert_eq!(t.get::<Kind<'_>>(1).unwrap(), Kind::Visit("A"));
    }

    #[test]
    fn values_rejects_trailing_text() {
        let t = Tuple::new("1", "c", "default", 2, r#"["a"] x"#);
        assert!(t.values::<Vec<&str>>().is_err());
    }

    #[test]
    fn clones_and_owned_copies_read_escapes_too() {
        let t = Tuple::new("1", "c", "default", 2, STORMY);
        let c = t.clone();
        assert_eq!(c, t);
        assert_eq!(c.get::<&str>(0).unwrap(), DECODED);
        let o = t.into_owned();
        assert_eq!(o.get::<&str>(0).unwrap(), DECODED);
    }

    #[test]
    fn owned_copy_outlives_its_source() {
        let owned = {
            let buf = String::from(r#"["kept"]"#);
            Tuple::new("\"9\"", "c", "s", 1, buf.as_str()).into_owned()
        };
        assert_eq!(owned.get::<String>(0).unwrap(), "kept");
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        /// `s` as a JSON string where each character is written plainly or, when `escape`
        /// says so, as `\uXXXX` (a surrogate pair beyond the BMP), `\/` for `/`.
        fn escaped(s: &str, escape: &[bool]) -> String {
            let mut out = String::from("\"");
            for (i, ch) in s.chars().enumerate() {
                let must = matches!(ch, '"' | '\\') || (ch as u32) < 0x20;
                if must || escape.get(i).copied().unwrap_or(false) {
                    if ch == '/' {
                        out.push_str("\\/");
                    } else {
                        let mut units = [0u16; 2];
                        for u in ch.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                } else {
                    out.push(ch);
                }
            }
            out.push('"');
            out
        }

        proptest! {
            #[test]
            fn any_string_reads_as_str(s in "\\PC*|[/\\\\\"\t\u{2028}\u{1F600}é ab]*", escape in proptest::collection::vec(any::<bool>(), 0..64)) {
                let json = format!("[{}, {{{}: 1}}]", escaped(&s, &escape), escaped(&s, &escape));
                let t = Tuple::new("1", "c", "default", 1, json.as_str());
                let got: &str = t.get(0).unwrap();
                prop_assert_eq!(got, s.as_str());
                let m: std::collections::HashMap<&str, u8> = t.get(1).unwrap();
                prop_assert_eq!(m.get(s.as_str()), Some(&1));
            }
        }
    }
}
