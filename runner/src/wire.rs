//! The bytes the runner writes to a task: JSON in one of two [`JsonStyle`]s, or the fast
//! wire ([`sparse_protocol::fastwire`]) to a task that accepted it in its handshake reply.
//!
//! Storm 2.8 writes every message to a multi-lang subprocess with json-smart: string
//! content escaped its way (`/` as `\/`, `U+2000`–`U+20FF` as `\uXXXX`, ...), keys in
//! `HashMap` order, and tuple values and message ids re-written after Storm parsed them
//! from the emitting component (see `sparse_protocol::json::write_storm_style` and
//! `storm/README.md`). [`JsonStyle::Storm`], the default, writes those same bytes so a
//! component that only works with unescaped input fails under `sparse run` as it would
//! under Storm; [`JsonStyle::Plain`] writes compact JSON with the values passed through
//! as the emitting component wrote them.
//!
//! ```
//! use sparse_runner::wire::{JsonStyle, bolt_tuple};
//!
//! let mut out = Vec::new();
//! bolt_tuple(JsonStyle::Storm, &mut out, 7, Some("split"), "default", 3, r#"["a\/b"]"#);
//! assert_eq!(
//!     out,
//!     b"{\"comp\":\"split\",\"tuple\":[\"a\\/b\"],\"task\":3,\"stream\":\"default\",\"id\":\"7\"}\nend\n"
//! );
//! ```
//!
//! The fast wire is offered in the handshake (`"sparseWire":"sparse-bin-1"`, see
//! [`handshake`]); a task that repeats the field in its pid reply (sparse-host) is
//! written with [`Wire::Fast`], any other (pystorm, storm.py) stays on JSON:
//!
//! ```
//! use sparse_runner::wire::{JsonStyle, handshake};
//!
//! let mut out = Vec::new();
//! handshake(JsonStyle::Plain, &mut out, "{}", "/p", "{}", true).unwrap();
//! assert!(std::str::from_utf8(&out).unwrap().contains(r#""sparseWire":"sparse-bin-1""#));
//! ```

use sparse_protocol::fastwire::{self, FastError};
use sparse_protocol::json::{
    StormStyleError, storm_style_unchanged, write_i64, write_storm_str, write_storm_style,
};
use sparse_protocol::shell;

/// How JSON sent to tasks is written (`sparse run --json-style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonStyle {
    /// Byte for byte what Storm 2.8.3 sends (the default).
    #[default]
    Storm,
    /// Compact JSON; values and ids passed through as the emitting component wrote them.
    Plain,
}

const END: &[u8] = b"\nend\n";

/// The wire a task speaks once its handshake is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// JSON messages (`<json>\nend\n`), written in this style.
    Json(JsonStyle),
    /// The fast wire: length-prefixed binary frames.
    Fast,
}

/// Appends a bolt tuple on the fast wire; `values` is the JSON array as the emitting task
/// wrote it. On error nothing is appended.
///
/// # Errors
///
/// Values the fast wire cannot carry (not a JSON array).
pub fn fast_bolt_tuple(
    out: &mut Vec<u8>,
    id: i64,
    comp: Option<&str>,
    stream: &str,
    task: i64,
    values: &str,
) -> Result<(), FastError> {
    let mut id_text = Vec::with_capacity(20);
    write_i64(&mut id_text, id);
    let id_text = std::str::from_utf8(&id_text).unwrap_or("0");
    fastwire::write_bolt_tuple(out, id_text, comp, stream, task, values)
}

/// Appends a heartbeat tuple for `wire`.
pub fn heartbeat_on(wire: Wire, out: &mut Vec<u8>, id: i64) {
    match wire {
        Wire::Json(style) => heartbeat(style, out, id),
        // "[]" always converts.
        Wire::Fast => drop(fast_bolt_tuple(out, id, None, "__heartbeat", -1, "[]")),
    }
}

/// Appends a tick tuple for `wire`.
pub fn tick_on(wire: Wire, out: &mut Vec<u8>, id: i64, secs: i64) {
    match wire {
        Wire::Json(style) => tick(style, out, id, secs),
        Wire::Fast => {
            let mut vals = b"[".to_vec();
            write_i64(&mut vals, secs);
            vals.push(b']');
            let vals = std::str::from_utf8(&vals).unwrap_or("[]");
            // An integer list always converts.
            drop(fast_bolt_tuple(
                out,
                id,
                Some("__system"),
                "__tick",
                -1,
                vals,
            ));
        }
    }
}

/// The values (or a message id) to send on, as `raw` (valid JSON from a component's
/// emit) or re-written into `scratch` when the style asks for it and `raw` needs it.
///
/// # Errors
///
/// A number Storm's parser would refuse (exponent beyond `BigDecimal`'s range).
pub fn restyle<'a>(
    style: JsonStyle,
    raw: &'a str,
    scratch: &'a mut Vec<u8>,
) -> Result<&'a str, StormStyleError> {
    if style == JsonStyle::Plain || storm_style_unchanged(raw) {
        return Ok(raw);
    }
    scratch.clear();
    write_storm_style(scratch, raw)?;
    std::str::from_utf8(scratch).map_err(|_| StormStyleError {
        offset: 0,
        reason: "re-written JSON is not UTF-8",
    })
}

fn string(style: JsonStyle, out: &mut Vec<u8>, s: &str) {
    match style {
        JsonStyle::Storm => write_storm_str(out, s),
        JsonStyle::Plain => sparse_protocol::json::write_str(out, s),
    }
}

/// Appends a tuple for a bolt; `values` must already be in `style` (see [`restyle`]).
/// Storm's key order is `comp, tuple, task, stream, id` (its `HashMap`'s).
pub fn bolt_tuple(
    style: JsonStyle,
    out: &mut Vec<u8>,
    id: i64,
    comp: Option<&str>,
    stream: &str,
    task: i64,
    values: &str,
) {
    if style == JsonStyle::Plain {
        return shell::write_bolt_tuple(out, id, comp, stream, task, values);
    }
    out.extend_from_slice(b"{\"comp\":");
    match comp {
        Some(c) => string(style, out, c),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"tuple\":");
    out.extend_from_slice(values.as_bytes());
    out.extend_from_slice(b",\"task\":");
    write_i64(out, task);
    out.extend_from_slice(b",\"stream\":");
    string(style, out, stream);
    out.extend_from_slice(b",\"id\":\"");
    write_i64(out, id);
    out.extend_from_slice(b"\"}");
    out.extend_from_slice(END);
}

/// Appends a heartbeat tuple (`comp` null, stream `__heartbeat`, task -1, no values).
pub fn heartbeat(style: JsonStyle, out: &mut Vec<u8>, id: i64) {
    bolt_tuple(style, out, id, None, "__heartbeat", -1, "[]");
}

/// Appends a tick tuple (`comp` `__system`, stream `__tick`, task -1, values `[secs]`).
pub fn tick(style: JsonStyle, out: &mut Vec<u8>, id: i64, secs: i64) {
    let mut vals = Vec::with_capacity(8);
    vals.push(b'[');
    write_i64(&mut vals, secs);
    vals.push(b']');
    let vals = std::str::from_utf8(&vals).unwrap_or("[]");
    bolt_tuple(style, out, id, Some("__system"), "__tick", -1, vals);
}

/// Appends a spout command; `id` (already in `style`) `None` writes `""` as Storm does
/// for `next`, `activate` and `deactivate`. Storm's key order is `id, command`.
pub fn spout_command(style: JsonStyle, out: &mut Vec<u8>, command: &str, id: Option<&str>) {
    if style == JsonStyle::Plain {
        return shell::write_spout_command(out, command, id);
    }
    out.extend_from_slice(b"{\"id\":");
    out.extend_from_slice(id.unwrap_or("\"\"").as_bytes());
    out.extend_from_slice(b",\"command\":");
    string(style, out, command);
    out.push(b'}');
    out.extend_from_slice(END);
}

/// Appends the handshake. In Storm's style the whole message (conf and context included)
/// is re-written as json-smart writes Storm's maps, so paths arrive as `\/tmp\/...`.
/// Storm's conf map may hold its keys in another order than the one modelled here (its
/// capacity is not known); the escaping is the same. With `offer_fast` the message ends
/// with `"sparseWire":"sparse-bin-1"`, as sparse's serializer writes it under Storm.
///
/// # Errors
///
/// A conf value Storm's parser would refuse (see [`restyle`]).
pub fn handshake(
    style: JsonStyle,
    out: &mut Vec<u8>,
    conf_json: &str,
    pid_dir: &str,
    context_json: &str,
    offer_fast: bool,
) -> Result<(), StormStyleError> {
    let mut plain = Vec::new();
    shell::write_handshake(&mut plain, conf_json, pid_dir, context_json);
    if offer_fast && let Some(body) = plain.strip_suffix(b"}\nend\n") {
        let mut offered = body.to_vec();
        offered.extend_from_slice(b",\"");
        offered.extend_from_slice(fastwire::OFFER_KEY.as_bytes());
        offered.extend_from_slice(b"\":\"");
        offered.extend_from_slice(fastwire::WIRE_NAME.as_bytes());
        offered.extend_from_slice(b"\"}");
        offered.extend_from_slice(END);
        plain = offered;
    }
    if style == JsonStyle::Plain {
        out.extend_from_slice(&plain);
        return Ok(());
    }
    let body = plain.strip_suffix(END).unwrap_or(&plain);
    let body = std::str::from_utf8(body).map_err(|_| StormStyleError {
        offset: 0,
        reason: "handshake is not UTF-8",
    })?;
    write_storm_style(out, body)?;
    out.extend_from_slice(END);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn storm_style_matches_storms_maps() {
        // Storm's JSONObject (a HashMap) with the BoltMsg keys, as StormJson.java prints it.
        let mut out = Vec::new();
        bolt_tuple(JsonStyle::Storm, &mut out, -5, Some("a/b"), "s/t", 2, "[1]");
        assert_eq!(
            text(&out),
            "{\"comp\":\"a\\/b\",\"tuple\":[1],\"task\":2,\"stream\":\"s\\/t\",\"id\":\"-5\"}\nend\n"
        );
        // The same message through the generic re-writer (HashMap order) agrees.
        let mut via = Vec::new();
        write_storm_style(
            &mut via,
            r#"{"id":"-5","comp":"a/b","stream":"s/t","task":2,"tuple":[1]}"#,
        )
        .unwrap();
        assert_eq!(text(&out).strip_suffix("\nend\n").unwrap(), text(&via));

        out.clear();
        spout_command(JsonStyle::Storm, &mut out, "next", None);
        assert_eq!(text(&out), "{\"id\":\"\",\"command\":\"next\"}\nend\n");
        out.clear();
        heartbeat(JsonStyle::Storm, &mut out, 1);
        assert_eq!(
            text(&out),
            "{\"comp\":null,\"tuple\":[],\"task\":-1,\"stream\":\"__heartbeat\",\"id\":\"1\"}\nend\n"
        );
    }

    #[test]
    fn plain_style_is_the_shell_writers() {
        let mut a = Vec::new();
        bolt_tuple(
            JsonStyle::Plain,
            &mut a,
            7,
            Some("c"),
            "default",
            3,
            r#"["a/b"]"#,
        );
        let mut b = Vec::new();
        shell::write_bolt_tuple(&mut b, 7, Some("c"), "default", 3, r#"["a/b"]"#);
        assert_eq!(a, b);
        let mut scratch = Vec::new();
        assert_eq!(
            restyle(JsonStyle::Plain, "[1e3]", &mut scratch).unwrap(),
            "[1e3]"
        );
        assert_eq!(
            restyle(JsonStyle::Storm, "[1e3]", &mut scratch).unwrap(),
            "[1000.0]"
        );
        assert_eq!(
            restyle(JsonStyle::Storm, "[\"x\"]", &mut scratch).unwrap(),
            "[\"x\"]"
        );
    }

    #[test]
    fn handshake_escapes_paths() {
        let mut out = Vec::new();
        handshake(
            JsonStyle::Storm,
            &mut out,
            r#"{"k":"/a"}"#,
            "/tmp/p",
            "{}",
            false,
        )
        .unwrap();
        assert_eq!(
            text(&out),
            "{\"pidDir\":\"\\/tmp\\/p\",\"context\":{},\"conf\":{\"k\":\"\\/a\"}}\nend\n"
        );
    }

    /// The offer is one more field of the setup message, which sparse-host's check reads.
    #[test]
    fn handshake_offers_the_fast_wire_in_both_styles() {
        for style in [JsonStyle::Storm, JsonStyle::Plain] {
            let mut out = Vec::new();
            handshake(style, &mut out, r#"{"k":"/a"}"#, "/tmp/p", "{}", true).unwrap();
            let body = text(&out).strip_suffix("\nend\n").unwrap();
            assert!(fastwire::offered(body), "{body}");
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(v["pidDir"], "/tmp/p");
            out.clear();
            handshake(style, &mut out, "{}", "/p", "{}", false).unwrap();
            assert!(!fastwire::offered(
                text(&out).strip_suffix("\nend\n").unwrap()
            ));
        }
    }

    /// Fast-wire tuples decode, on sparse-host's side, to what the JSON tuple carries.
    #[test]
    fn fast_tuples_carry_the_json_tuples_fields() {
        let mut out = Vec::new();
        fast_bolt_tuple(&mut out, -5, Some("split"), "default", 3, r#"["a/b",7]"#).unwrap();
        tick_on(Wire::Fast, &mut out, 9, 2);
        heartbeat_on(Wire::Fast, &mut out, 11);
        let mut frames = Vec::new();
        let mut at = 0;
        while at < out.len() {
            let n = u32::from_be_bytes(out[at..at + 4].try_into().unwrap()) as usize;
            frames.push(&out[at + 4..at + 4 + n]);
            at += 4 + n;
        }
        assert_eq!(frames.len(), 3);
        let mut scratch = Vec::new();
        let expect = [
            (r#""-5""#, Some("split"), "default", 3, r#"["a/b",7]"#),
            (r#""9""#, Some("__system"), "__tick", -1, "[2]"),
            (r#""11""#, None, "__heartbeat", -1, "[]"),
        ];
        for (frame, want) in frames.iter().zip(expect) {
            match fastwire::decode_storm_msg(frame, &mut scratch).unwrap() {
                fastwire::StormMsg::Tuple {
                    id,
                    comp,
                    stream,
                    task,
                    values,
                } => {
                    assert_eq!(text(&scratch[id.0..id.1]), want.0);
                    assert_eq!((comp, stream, task), (want.1, want.2, want.3));
                    assert_eq!(text(&scratch[values.0..values.1]), want.4);
                }
                other => panic!("not a tuple: {other:?}"),
            }
        }
        // Values that are not a list are refused, and nothing is appended.
        out.clear();
        assert!(fast_bolt_tuple(&mut out, 1, None, "s", 1, "{}").is_err());
        assert!(out.is_empty());
    }
}
