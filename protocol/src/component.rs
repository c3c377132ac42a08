//! What Storm sends to a component, as borrowed views of one frame.
//!
//! Parsing borrows from the frame: tuple values, ids and the handshake's `conf` and
//! `context` stay [`RawValue`]s, so a host can hand them on without re-encoding. Ids are
//! opaque JSON: a bolt tuple id is a string in practice, a spout message id can be any
//! JSON value, and both are echoed back byte for byte.
//!
//! Messages are told apart the way Storm's own adapters do it: an array is a task-id
//! list, an object is a tuple (bolts) or a command (spouts).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The first message of every task: `{"conf":{…},"pidDir":"…","context":{…}}`.
#[derive(Debug, Deserialize)]
pub struct Handshake<'a> {
    /// The component's effective Storm configuration (a JSON object).
    #[serde(borrow)]
    pub conf: &'a RawValue,
    /// Directory in which the component creates an empty file named after its pid.
    #[serde(rename = "pidDir", borrow)]
    pub pid_dir: Cow<'a, str>,
    /// The topology context (`task->component`, `taskid`, `componentid`, …).
    #[serde(borrow)]
    pub context: &'a RawValue,
}

/// A tuple delivered to a bolt, including ticks and heartbeats.
#[derive(Debug, Deserialize)]
pub struct BoltTuple<'a> {
    /// The delivery id (a JSON string in practice), kept raw.
    #[serde(borrow)]
    pub id: &'a RawValue,
    /// Source component; `null` on heartbeats.
    #[serde(borrow, default)]
    pub comp: Option<Cow<'a, str>>,
    /// Source stream.
    #[serde(borrow)]
    pub stream: Cow<'a, str>,
    /// Source task (-1 for ticks and heartbeats).
    pub task: i64,
    /// The values, a JSON array kept raw.
    #[serde(borrow)]
    pub tuple: &'a RawValue,
}

impl BoltTuple<'_> {
    /// A heartbeat: answer it with exactly one `sync`, never ack or anchor it.
    pub fn is_heartbeat(&self) -> bool {
        self.task == -1 && self.stream == "__heartbeat"
    }

    /// A tick tuple (`comp == "__system" && stream == "__tick"`, Storm's own test).
    pub fn is_tick(&self) -> bool {
        self.stream == "__tick" && self.comp.as_deref() == Some("__system")
    }
}

/// A bolt tuple as the host uses it: the same fields as [`BoltTuple`], with the id and the
/// values as raw JSON text. [`TupleView::parse`] recognises the shape Storm writes with a
/// single scan and falls back to serde for anything else (escaped component or stream
/// names, unknown keys, odd whitespace are all fine, just slower).
///
/// The fast path does not validate the values: it finds where the array ends (strings and
/// nesting respected) and leaves the rest to the component, which parses what it reads.
/// So a `NaN` from an upstream JVM component reaches the component instead of killing the
/// task at the protocol layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TupleView<'a> {
    /// The delivery id, raw JSON (a quoted string in practice).
    pub id: &'a str,
    /// Source component; `None` for `null` (heartbeats).
    pub comp: Option<Cow<'a, str>>,
    /// Source stream.
    pub stream: Cow<'a, str>,
    /// Source task.
    pub task: i64,
    /// The values: a JSON array, raw.
    pub values: &'a str,
}

impl<'a> TupleView<'a> {
    /// Parses one bolt input frame.
    pub fn parse(text: &'a str) -> Result<TupleView<'a>, serde_json::Error> {
        if let Some(t) = scan_tuple(text.as_bytes()).and_then(|t| t.finish(text)) {
            return Ok(t);
        }
        let t: BoltTuple<'a> = serde_json::from_str(text)?;
        Ok(TupleView {
            id: t.id.get(),
            comp: t.comp,
            stream: t.stream,
            task: t.task,
            values: t.tuple.get(),
        })
    }

    /// A heartbeat: answer it with exactly one `sync`, never ack or anchor it.
    pub fn is_heartbeat(&self) -> bool {
        self.task == -1 && self.stream == "__heartbeat"
    }

    /// A tick tuple (`comp == "__system" && stream == "__tick"`).
    pub fn is_tick(&self) -> bool {
        self.stream == "__tick" && self.comp.as_deref() == Some("__system")
    }
}

/// Byte ranges found by [`scan_tuple`].
struct Scanned {
    id: (usize, usize),
    comp: Option<(usize, usize)>,
    stream: (usize, usize),
    task: i64,
    values: (usize, usize),
}

impl Scanned {
    fn finish(self, text: &str) -> Option<TupleView<'_>> {
        // Every range starts and ends at an ASCII delimiter, so they are char boundaries.
        Some(TupleView {
            id: text.get(self.id.0..self.id.1)?,
            comp: match self.comp {
                Some((a, b)) => Some(Cow::Borrowed(text.get(a..b)?)),
                None => None,
            },
            stream: Cow::Borrowed(text.get(self.stream.0..self.stream.1)?),
            task: self.task,
            values: text.get(self.values.0..self.values.1)?,
        })
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (exclusive) of the JSON string starting at `b[i] == '"'`, and whether it had
/// escapes.
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    while j < b.len() {
        match b[j] {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                j += 2;
            }
            0x00..=0x1f => return None,
            _ => j += 1,
        }
    }
    None
}

/// The end (exclusive) of the array starting at `b[i] == '['`.
fn array_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (b[j] == b']').then_some(j + 1);
                }
            }
            b'"' => {
                j = string_end(b, j)?.0;
                continue;
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// Recognises `{"id":…,"comp":…,"stream":…,"task":…,"tuple":[…]}` in any key order, or
/// gives up (`None`) on anything it does not expect.
fn scan_tuple(b: &[u8]) -> Option<Scanned> {
    let (mut id, mut comp, mut stream, mut task, mut values) = (None, None, None, None, None);
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, escaped) = string_end(b, i)?;
        if escaped {
            return None;
        }
        let key = &b[i + 1..key_end - 1];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let start = i;
        match key {
            b"id" if id.is_none() => match *b.get(i)? {
                b'"' => {
                    i = string_end(b, i)?.0;
                    id = Some((start, i));
                }
                b'-' | b'0'..=b'9' => {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    id = Some((start, i));
                }
                _ => return None,
            },
            b"comp" if comp.is_none() => match *b.get(i)? {
                b'"' => {
                    let (end, escaped) = string_end(b, i)?;
                    if escaped {
                        return None;
                    }
                    comp = Some(Some((start + 1, end - 1)));
                    i = end;
                }
                b'n' if b[i..].starts_with(b"null") => {
                    comp = Some(None);
                    i += 4;
                }
                _ => return None,
            },
            b"stream" if stream.is_none() => {
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                let (end, escaped) = string_end(b, i)?;
                if escaped {
                    return None;
                }
                stream = Some((start + 1, end - 1));
                i = end;
            }
            b"task" if task.is_none() => {
                if b.get(i) == Some(&b'-') {
                    i += 1;
                }
                let digits = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i == digits {
                    return None;
                }
                task = Some(
                    std::str::from_utf8(&b[start..i])
                        .ok()?
                        .parse::<i64>()
                        .ok()?,
                );
            }
            b"tuple" if values.is_none() => {
                if b.get(i) != Some(&b'[') {
                    return None;
                }
                i = array_end(b, i)?;
                values = Some((start, i));
            }
            _ => return None,
        }
        i = skip_ws(b, i);
        match b.get(i)? {
            b',' => i += 1,
            b'}' => {
                i += 1;
                break;
            }
            _ => return None,
        }
    }
    if skip_ws(b, i) != b.len() {
        return None;
    }
    Some(Scanned {
        id: id?,
        comp: comp.unwrap_or(None),
        stream: stream?,
        task: task?,
        values: values?,
    })
}

/// A command to a spout: `{"command":"next","id":""}`, `ack`, `fail`, `activate`,
/// `deactivate`.
#[derive(Debug, Deserialize)]
pub struct SpoutCommand<'a> {
    /// The command name.
    #[serde(borrow)]
    pub command: Cow<'a, str>,
    /// The message id for `ack`/`fail` (raw JSON, handed back unchanged); `""` otherwise.
    #[serde(borrow, default)]
    pub id: Option<&'a RawValue>,
}

/// The shape of a frame, from its first non-blank byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A JSON object: a tuple or a command.
    Object,
    /// A JSON array: the task ids of an earlier emit.
    Array,
    /// Anything else (not valid protocol input).
    Other,
}

/// Classifies a frame without parsing it.
pub fn frame_kind(frame: &[u8]) -> FrameKind {
    match frame.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => FrameKind::Object,
        Some(b'[') => FrameKind::Array,
        _ => FrameKind::Other,
    }
}

/// Parses a task-id list such as `[2, 7]`.
pub fn parse_task_ids(frame: &str) -> Result<Vec<i64>, serde_json::Error> {
    serde_json::from_str(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_with_null_comp() {
        let t: BoltTuple = serde_json::from_str(
            r#"{"id":"-1","comp":null,"stream":"__heartbeat","task":-1,"tuple":[]}"#,
        )
        .unwrap();
        assert!(t.is_heartbeat());
        assert!(!t.is_tick());
        assert_eq!(t.comp, None);
    }

    #[test]
    fn tuple_values_stay_raw() {
        let t: BoltTuple = serde_json::from_str(
            r#"{"id":"-6955786537413359385","comp":"sentences","stream":"default","task":4,"tuple":["snow \/ white", 1.50]}"#,
        )
        .unwrap();
        assert_eq!(t.id.get(), "\"-6955786537413359385\"");
        assert_eq!(t.tuple.get(), r#"["snow \/ white", 1.50]"#);
        assert!(!t.is_heartbeat());
    }

    #[test]
    fn tick() {
        let t: BoltTuple = serde_json::from_str(
            r#"{"id":"1","comp":"__system","stream":"__tick","task":-1,"tuple":[10]}"#,
        )
        .unwrap();
        assert!(t.is_tick());
    }

    #[test]
    fn spout_ids_of_any_type() {
        for (wire, id) in [
            (r#"{"command":"ack","id":{"k":[1,2]}}"#, r#"{"k":[1,2]}"#),
            (r#"{"command":"fail","id":17}"#, "17"),
            (r#"{"command":"next","id":""}"#, "\"\""),
        ] {
            let c: SpoutCommand = serde_json::from_str(wire).unwrap();
            assert_eq!(c.id.unwrap().get(), id);
        }
        let c: SpoutCommand = serde_json::from_str(r#"{"command":"next"}"#).unwrap();
        assert!(c.id.is_none());
    }

    fn both(text: &str) -> (Option<TupleView<'_>>, Result<TupleView<'_>, String>) {
        let fast = scan_tuple(text.as_bytes()).and_then(|t| t.finish(text));
        let slow = serde_json::from_str::<BoltTuple>(text)
            .map(|t| TupleView {
                id: t.id.get(),
                comp: t.comp,
                stream: t.stream,
                task: t.task,
                values: t.tuple.get(),
            })
            .map_err(|e| e.to_string());
        (fast, slow)
    }

    #[test]
    fn the_scan_agrees_with_serde_on_storm_shapes() {
        for text in [
            r#"{"id":"-6955786537413359385","comp":"sentences","stream":"default","task":4,"tuple":["snow \/ white", 1.50, {"k":"]"}]}"#,
            r#"{"tuple":[[1,[2]],"a\"b"],"task":-1,"stream":"__heartbeat","comp":null,"id":"7"}"#,
            r#" { "id" : 12 , "stream" : "s" , "task" : 3 , "tuple" : [ ] } "#,
            r#"{"id":"1","comp":"__system","stream":"__tick","task":-1,"tuple":[10]}"#,
        ] {
            let (fast, slow) = both(text);
            assert_eq!(fast.expect(text), slow.expect(text));
        }
    }

    #[test]
    fn the_scan_gives_up_on_what_it_does_not_expect() {
        for text in [
            r#"{"id":"1","comp":"a\u0062","stream":"s","task":1,"tuple":[]}"#,
            r#"{"id":"1","stream":"s","task":1,"tuple":[],"extra":true}"#,
            r#"{"id":"1","stream":"s","task":1.5,"tuple":[]}"#,
            r#"{"id":"1","stream":"s","task":1,"tuple":[],"id":"2"}"#,
            r#"{"id":"1","stream":"s","task":1,"tuple":[}"#,
            r#"{"id":"1","stream":"s","task":1,"tuple":[]} x"#,
            r#"{"id":"1","stream":"s","tuple":[]}"#,
        ] {
            assert!(scan_tuple(text.as_bytes()).is_none(), "{text}");
        }
        // The fallback still reads escaped names.
        let t = TupleView::parse(r#"{"id":"1","comp":"a\u0062","stream":"s","task":1,"tuple":[]}"#)
            .unwrap();
        assert_eq!(t.comp.as_deref(), Some("ab"));
    }

    #[test]
    fn values_are_passed_through_unvalidated() {
        let t = TupleView::parse(r#"{"id":"1","comp":"j","stream":"s","task":1,"tuple":[NaN]}"#)
            .unwrap();
        assert_eq!(t.values, "[NaN]");
    }

    #[test]
    fn kinds() {
        assert_eq!(frame_kind(b"  [1]"), FrameKind::Array);
        assert_eq!(frame_kind(b"\n{}"), FrameKind::Object);
        assert_eq!(frame_kind(b"garbage"), FrameKind::Other);
        assert_eq!(parse_task_ids("[3, 9]").unwrap(), vec![3, 9]);
    }
}

#[cfg(test)]
mod scan_properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever the content, key order and spacing, the fast scan (when it applies)
        /// reads exactly what serde reads.
        #[test]
        fn scan_matches_serde(
            id in any::<i64>(),
            comp in proptest::option::of(any::<String>()),
            stream in any::<String>(),
            task in any::<i64>(),
            values in prop::collection::vec(value(), 0..5),
            order in Just(["id", "comp", "stream", "task", "tuple"]).prop_shuffle(),
            pretty in any::<bool>(),
        ) {
            let fields = json!({
                "id": id.to_string(), "comp": comp, "stream": stream, "task": task, "tuple": values,
            });
            let sep = if pretty { ",\n  " } else { "," };
            let body: Vec<String> = order
                .iter()
                .map(|k| format!("{}{}{}", Value::from(*k), if pretty { ": " } else { ":" }, fields[*k]))
                .collect();
            let text = format!("{{{}}}", body.join(sep));
            let slow: BoltTuple = serde_json::from_str(&text).unwrap();
            let view = TupleView::parse(&text).unwrap();
            prop_assert_eq!(view.id, slow.id.get());
            prop_assert_eq!(&view.comp, &slow.comp);
            prop_assert_eq!(&view.stream, &slow.stream);
            prop_assert_eq!(view.task, slow.task);
            let a: Value = serde_json::from_str(view.values).unwrap();
            let b: Value = serde_json::from_str(slow.tuple.get()).unwrap();
            prop_assert_eq!(a, b);
        }
    }

    proptest! {
        /// Arbitrary text never panics the scan; where it reads something, serde reads
        /// the same (the scan is a fast path, never a different parser).
        #[test]
        fn scan_never_panics_and_agrees_when_it_reads(text in ".{0,200}") {
            if let Ok(view) = TupleView::parse(&text) {
                let slow: BoltTuple = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(view.task, slow.task);
                prop_assert_eq!(&view.stream, &slow.stream);
            }
        }

        /// Valid messages with one byte changed, dropped or repeated: an error or the
        /// same reading as serde, never a panic or a different value.
        #[test]
        fn mutated_messages_are_rejected_or_read_as_serde_reads(
            values in prop::collection::vec(value(), 0..4),
            at in any::<prop::sample::Index>(),
            edit in 0u8..3,
            byte in any::<u8>(),
        ) {
            let text = json!({"id": "7", "comp": "c/x", "stream": "s", "task": 3, "tuple": values}).to_string();
            let mut bytes = text.into_bytes();
            let i = at.index(bytes.len());
            match edit {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => { let b = bytes[i]; bytes.insert(i, b); }
            }
            if let Ok(text) = String::from_utf8(bytes) {
                let fast = TupleView::parse(&text);
                let slow = serde_json::from_str::<BoltTuple>(&text);
                if let (Ok(view), Ok(slow)) = (fast, slow) {
                    prop_assert_eq!(view.task, slow.task);
                    prop_assert_eq!(&view.comp, &slow.comp);
                    let a: Result<Value, _> = serde_json::from_str(view.values);
                    let b: Result<Value, _> = serde_json::from_str(slow.tuple.get());
                    prop_assert_eq!(a.ok(), b.ok());
                }
            }
        }
    }
}
