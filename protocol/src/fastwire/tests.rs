//! Round trips of the fast wire, and equality with the JSON path value for value.

use super::*;
use crate::component::TupleView;
use crate::frame::FrameReader;
use crate::shell::ShellMsg;
use proptest::prelude::*;
use serde_json::Value;

fn round_trip(json: &str) -> String {
    let mut bin = Vec::new();
    json_to_value(json, &mut bin).unwrap();
    let mut pos = 0;
    let mut out = Vec::new();
    value_to_json(&bin, &mut pos, &mut out).unwrap();
    assert_eq!(pos, bin.len());
    String::from_utf8(out).unwrap()
}

/// The binary form: compares JSON texts value for value with an exact float parser
/// (serde_json's default one may be off by an ulp).
fn binary(json: &str) -> Vec<u8> {
    let mut b = Vec::new();
    json_to_value(json, &mut b).unwrap();
    b
}

fn tag_of(json: &str) -> u8 {
    let mut bin = Vec::new();
    json_to_value(json, &mut bin).unwrap();
    bin[0]
}

#[test]
fn integers_keep_storms_java_types() {
    assert_eq!(tag_of("7"), T_I32);
    assert_eq!(tag_of("-2147483648"), T_I32);
    assert_eq!(tag_of("2147483648"), T_I64);
    assert_eq!(tag_of("9007199254740993"), T_I64);
    assert_eq!(tag_of("18446744073709551615"), T_BIGNUM);
    assert_eq!(tag_of("1e2"), T_F64);
    assert_eq!(tag_of("1.0"), T_F64);
    assert_eq!(round_trip("9007199254740993"), "9007199254740993");
    assert_eq!(round_trip("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(
        round_trip("123456789012345678901234567890"),
        "123456789012345678901234567890"
    );
}

#[test]
fn doubles_stay_doubles_including_nan() {
    assert_eq!(round_trip("1e2"), "100.0");
    assert_eq!(round_trip("1.5"), "1.5");
    assert_eq!(round_trip("1e300"), "1e300");
    assert_eq!(round_trip("NaN"), "NaN");
    assert_eq!(round_trip("[Infinity,-Infinity]"), "[Infinity,-Infinity]");
    assert_eq!(round_trip("-0.0"), "-0.0");
}

#[test]
fn strings_escapes_and_nesting() {
    assert_eq!(
        round_trip(
            r#" { "a\/b" : [ "x\"y\\z\u00e9\ud83d\ude00\n", true, false, null, {} , [] ] } "#
        ),
        "{\"a/b\":[\"x\\\"y\\\\zé😀\\n\",true,false,null,{},[]]}"
    );
}

#[test]
fn bad_json_is_refused_with_a_place() {
    for (bad, at) in [
        ("[1,", 3),
        ("[1 2]", 3),
        ("{\"a\" 1}", 5),
        ("\"abc", 0),
        ("01", 0),
        ("1.", 0),
        ("tru", 0),
        ("\"\\ud800\"", 1),
        ("\"\\q\"", 1),
        ("[1] x", 4),
        ("{1:2}", 1),
    ] {
        let mut bin = Vec::new();
        let e = json_to_value(bad, &mut bin).expect_err(bad);
        assert_eq!(e.offset, at, "{bad}: {e}");
    }
    let deep = "[".repeat(MAX_DEPTH + 5);
    assert!(json_to_value(&deep, &mut Vec::new()).is_err());
}

#[test]
fn garbage_binary_is_refused_with_a_place() {
    let mut scratch = Vec::new();
    for (bad, needle) in [
        (&[0x99u8][..], "unknown message kind 0x99"),
        (&[M_TUPLE, 0, 0], "ends inside a tuple's id"),
        (
            &[M_SPOUT, 0, 0, 0, 4, b'n', b'e', b'x', b't', 0x42],
            "unknown value tag 0x42",
        ),
        (
            &[M_TASK_IDS, 0, 0, 0, 1, 0, 0, 0, 3, 9],
            "unexpected bytes after",
        ),
        (
            &[M_TASK_IDS, 0xff, 0xff, 0xff, 0xff],
            "larger than the message",
        ),
        (&[M_SPOUT, 0, 0, 0, 2, 0xc3, 0x28, 0], "not valid UTF-8"),
    ] {
        let e = decode_storm_msg(bad, &mut scratch).expect_err(needle);
        assert!(e.to_string().contains(needle), "{e}");
    }
    let e = decode_shell_msg(&[M_EMIT, 0x80]).unwrap_err();
    assert!(e.to_string().contains("unknown emit flags"), "{e}");
}

/// `sparse run` reads an emit's values as JSON: a NaN or an infinity is `null` there (as
/// sparse-host writes it on the JSON wire), and the rest of the tuple stays as it was.
#[test]
fn non_finite_doubles_in_an_emit_read_as_null() {
    let mut bin = Vec::new();
    write_emit(
        &mut bin,
        &EmitParts {
            values: "[1.5,NaN,[Infinity,\"x\"],-Infinity]",
            ..EmitParts::default()
        },
    )
    .unwrap();
    let ShellMsg::Emit(e) = decode_shell_msg(&bin[4..]).unwrap() else {
        panic!("not an emit")
    };
    assert_eq!(e.tuple.unwrap().get(), "[1.5,null,[null,\"x\"],null]");
}

#[test]
fn sized_frames_read_back_and_errors_are_clear() {
    let mut wire = Vec::new();
    write_sync(&mut wire);
    write_task_ids(&mut wire, &[3, 9]);
    let mut r = FrameReader::new(&wire[..]);
    let mut f = Vec::new();
    assert!(r.read_sized_frame(&mut f).unwrap());
    assert_eq!(decode_shell_msg(&f).unwrap().command(), "sync");
    assert!(r.read_sized_frame(&mut f).unwrap());
    assert_eq!(
        decode_storm_msg(&f, &mut Vec::new()).unwrap(),
        StormMsg::TaskIds(vec![3, 9])
    );
    assert!(!r.read_sized_frame(&mut f).unwrap());

    let mut r = FrameReader::new(&[0u8, 0, 0, 9, 1, 2][..]);
    let e = r.read_sized_frame(&mut f).unwrap_err().to_string();
    assert!(e.contains("2 of 9 bytes"), "{e}");
    let mut r = FrameReader::new(&b"{\"command\":\"sync\"}\nend\n"[..]);
    let e = r.read_sized_frame(&mut f).unwrap_err().to_string();
    assert!(e.contains("larger than"), "JSON on a fast wire: {e}");
    let mut r = FrameReader::new(&[0u8, 0, 0, 0][..]);
    assert!(matches!(
        r.read_sized_frame(&mut f),
        Err(crate::frame::FrameError::EmptyMessage)
    ));
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn values_round_trip(v in json_value()) {
        let text = serde_json::to_string(&v).unwrap();
        let back = round_trip(&text);
        prop_assert_eq!(binary(&back), binary(&text));
        // and it is JSON a component can read
        prop_assert!(serde_json::from_str::<Value>(&back).is_ok());
    }

    #[test]
    fn bolt_tuples_match_the_json_path(
        vals in prop::collection::vec(json_value(), 0..5),
        id in any::<i64>(),
        comp in proptest::option::of(".{0,8}"),
        stream in ".{1,8}",
        task in any::<i32>(),
    ) {
        let values = serde_json::to_string(&vals).unwrap();
        let mut json = Vec::new();
        crate::shell::write_bolt_tuple(&mut json, id, comp.as_deref(), &stream, i64::from(task), &values);
        let json = std::str::from_utf8(&json[..json.len() - 5]).unwrap();
        let j = TupleView::parse(json).unwrap();

        let mut bin = Vec::new();
        write_bolt_tuple(&mut bin, &id.to_string(), comp.as_deref(), &stream, i64::from(task), &values).unwrap();
        let mut r = FrameReader::new(&bin[..]);
        let mut frame = Vec::new();
        prop_assert!(r.read_sized_frame(&mut frame).unwrap());
        let mut scratch = Vec::new();
        let StormMsg::Tuple { id: bid, comp: bcomp, stream: bstream, task: btask, values: bvals } =
            decode_storm_msg(&frame, &mut scratch).unwrap() else { panic!("not a tuple") };
        let text = |r: (usize, usize)| std::str::from_utf8(&scratch[r.0..r.1]).unwrap().to_owned();
        prop_assert_eq!(text(bid), j.id);
        prop_assert_eq!(bcomp, j.comp.as_deref());
        prop_assert_eq!(bstream, &*j.stream);
        prop_assert_eq!(btask, j.task);
        prop_assert_eq!(binary(&text(bvals)), binary(j.values));
    }

    #[test]
    fn emits_match_the_json_path(
        vals in prop::collection::vec(json_value(), 0..5),
        stream in proptest::option::of("[a-z]{1,6}"),
        task in proptest::option::of(1i64..1000),
        need in any::<bool>(),
        anchors in prop::collection::vec(any::<i64>(), 0..3),
        id in proptest::option::of(json_value()),
    ) {
        let values = serde_json::to_string(&vals).unwrap();
        let anchors: Vec<String> = anchors.iter().map(|a| format!("\"{a}\"")).collect();
        let anchor_refs: Vec<&str> = anchors.iter().map(String::as_str).collect();
        let id_text = id.as_ref().map(|v| serde_json::to_string(v).unwrap());
        // What sparse-host writes on the JSON wire for the same emit.
        let mut json = format!("{{\"command\":\"emit\",\"tuple\":{values},\"need_task_ids\":{need}");
        if let Some(s) = &stream { json += &format!(",\"stream\":\"{s}\""); }
        if let Some(t) = task { json += &format!(",\"task\":{}", t + (1i64 << 32)); }
        json += &format!(",\"anchors\":[{}]", anchors.join(","));
        if let Some(i) = &id_text { json += &format!(",\"id\":{i}"); }
        json += "}";
        let crate::shell::ShellMsg::Emit(j) = crate::shell::decode(&json).unwrap() else { panic!() };

        let mut bin = Vec::new();
        write_emit(&mut bin, &EmitParts {
            stream: stream.as_deref(),
            task: task.map(|t| t + (1i64 << 32)),
            need_task_ids: need,
            anchors: &anchor_refs,
            id: id_text.as_deref(),
            values: &values,
        }).unwrap();
        let ShellMsg::Emit(b) = decode_shell_msg(&bin[4..]).unwrap() else { panic!() };
        prop_assert_eq!(b.stream(), j.stream());
        prop_assert_eq!(b.task, j.task);
        prop_assert_eq!(b.need_task_ids, j.need_task_ids);
        prop_assert_eq!(&b.anchors, &j.anchors);
        let parse = |r: &Option<Box<serde_json::value::RawValue>>| r.as_ref().map(|r| binary(r.get()));
        prop_assert_eq!(parse(&b.id), parse(&j.id));
        prop_assert_eq!(parse(&b.tuple), parse(&j.tuple));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_storm_msg(&bytes, &mut Vec::new());
        let _ = decode_shell_msg(&bytes);
        let _ = value_to_json(&bytes, &mut 0, &mut Vec::new());
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,40}") {
        let _ = json_to_value(&s, &mut Vec::new());
    }
}
