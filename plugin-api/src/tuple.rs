//! [`Tuple`]: what a bolt receives, with typed access to its values.
//!
//! A tuple borrows the host's buffer for the duration of `process`; nothing is copied or
//! parsed until you ask for a value. [`Tuple::into_owned`] makes a `Tuple<'static>` you
//! can keep (to ack it later, or to batch it).
//!
//! ```
//! use plugin_api::Tuple;
//!
//! let t = Tuple::new("\"42\"", "sentences", "default", 3, r#"["snow white", 7]"#);
//! assert_eq!(t.get::<String>(0).unwrap(), "snow white");
//! assert_eq!(t.get::<u32>(1).unwrap(), 7);
//! let (s, n): (&str, u64) = t.values().unwrap();
//! assert_eq!((s, n), ("snow white", 7));
//! assert!(t.get::<u32>(0).is_err()); // a string is not a number
//! assert!(t.get::<u32>(5).is_err()); // no such value
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};

/// A tuple delivered to a bolt: where it came from and its values (raw JSON).
#[derive(Clone, PartialEq, Eq)]
pub struct Tuple<'a> {
    id: Cow<'a, str>,
    component: Cow<'a, str>,
    stream: Cow<'a, str>,
    task: i64,
    values: Cow<'a, str>,
}

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
    /// without allocating, apart from what `T` itself needs.
    pub fn get<'de, T: Deserialize<'de>>(&'de self, index: usize) -> Result<T, ValueError> {
        let mut de = serde_json::Deserializer::from_str(&self.values);
        let r = serde::Deserializer::deserialize_seq(
            &mut de,
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
        serde_json::from_str(&self.values).map_err(|source| self.value_error(None, source))
    }

    /// A copy that owns its data, to keep past the current call.
    pub fn into_owned(self) -> Tuple<'static> {
        Tuple {
            id: Cow::Owned(self.id.into_owned()),
            component: Cow::Owned(self.component.into_owned()),
            stream: Cow::Owned(self.stream.into_owned()),
            task: self.task,
            values: Cow::Owned(self.values.into_owned()),
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

    #[test]
    fn owned_copy_outlives_its_source() {
        let owned = {
            let buf = String::from(r#"["kept"]"#);
            Tuple::new("\"9\"", "c", "s", 1, buf.as_str()).into_owned()
        };
        assert_eq!(owned.get::<String>(0).unwrap(), "kept");
    }
}
