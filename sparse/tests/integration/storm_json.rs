//! `sparse_protocol::json::write_storm_style` against Storm's own JSON code: a small Java
//! program (`storm/test-fixtures/json-style/StormJson.java`, compiled here against Storm
//! 2.8.3's jars) parses each text as ShellBolt does and writes it back as ShellBolt does;
//! the Rust function must give the same bytes for a fixed list of edge cases and a few
//! thousand generated texts, so the two cannot drift apart.
//!
//! Needs Java and Maven (`storm/fetch.sh`); fails without them under `CI=true`.

use std::io::Write;
use std::process::{Command, Stdio};

use sparse_protocol::json::write_storm_style;

use crate::repo_root;
use crate::run_wordcount::TempDir;
use crate::storm_support::{storm_available, storm_deps};

/// Texts generated from the seed.
const GENERATED: usize = 5000;
const SEED: u64 = 0x5eed_2024_0812_0001;

/// xorshift64*: a reproducible stream without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// One string literal mixing every class of character json-smart treats differently,
/// written raw or as JSON escapes (lone surrogates included).
fn gen_string(r: &mut Rng) -> String {
    let mut s = String::from("\"");
    for _ in 0..r.below(12) {
        match r.below(14) {
            0 => s.push_str(r.pick(&[
                "/", "\\/", "\\\\", "\\\"", "\\b", "\\f", "\\n", "\\r", "\\t",
            ])),
            1 => s.push_str(&format!("\\u{:04x}", r.below(0x20))),
            2 => s.push_str(&format!("\\u{:04X}", 0x7f + r.below(0x22))),
            3 => s.push(char::from_u32(0x7f + r.below(0x22) as u32).unwrap()),
            4 => s.push(char::from_u32(0x1ff0 + r.below(0x120) as u32).unwrap()),
            5 => s.push_str(&format!("\\u{:04x}", 0x1ff0 + r.below(0x120))),
            6 => s.push_str(&format!("\\u{:04x}", 0xd800 + r.below(0x800))),
            7 => s.push_str(r.pick(&[
                "😀",
                "\\ud83d\\ude00",
                "𝄞",
                "é",
                "€",
                "\u{2028}",
                "\u{feff}",
            ])),
            8 => s.push(char::from_u32(0xa0 + r.below(0xd7ff - 0xa0) as u32).unwrap_or('x')),
            9 => s.push_str(&format!("\\u{:04x}", r.below(0x10000))),
            _ => s.push(r.pick(&['a', 'Z', ' ', '0', '<', '>', '&', '\'', '~', '{', ':'])),
        }
    }
    s.push('"');
    s
}

fn gen_number(r: &mut Rng) -> String {
    let d = f64::from_bits(r.next());
    match r.below(9) {
        0 => format!("{}", r.next() as i64 >> r.below(64)),
        1 => format!(
            "{}{}",
            r.pick(&["", "-"]),
            "9".repeat(1 + r.below(30) as usize)
        ),
        2 if d.is_finite() => format!("{d:e}"),
        3 if d.is_finite() => format!("{d:E}"),
        4 => format!("{}", (r.next() >> 11) as f64 / (1u64 << r.below(60)) as f64),
        5 => format!(
            "{}.{}e{}",
            r.below(1000),
            r.below(100_000),
            r.below(40) as i64 - 20
        ),
        6 => {
            // Long decimals: BigDecimal territory (more than 18 characters).
            let digits: String = (0..10 + r.below(20))
                .map(|_| char::from(b'0' + r.below(10) as u8))
                .collect();
            let (a, b) = digits.split_at(1 + r.below(digits.len() as u64 - 1) as usize);
            let exp = match r.below(3) {
                0 => String::new(),
                1 => format!("e{}", r.below(60) as i64 - 30),
                _ => format!("E+{}", r.below(400)),
            };
            format!("{}{a}.{b}{exp}", r.pick(&["", "-"]))
        }
        7 => r
            .pick(&[
                "0",
                "-0",
                "0.0",
                "-0.0",
                "1e400",
                "-1e400",
                "1e-400",
                "4.9e-324",
                "2e23",
                "1e7",
                "1e-3",
                "9999999.999",
            ])
            .to_string(),
        _ => format!("{}.{}", r.below(1 << 20), r.below(1000)),
    }
}

fn gen_value(r: &mut Rng, depth: u32) -> String {
    let ws = |r: &mut Rng| if r.below(6) == 0 { " " } else { "" };
    match r.below(if depth > 2 { 4 } else { 7 }) {
        0 | 1 => gen_string(r),
        2 => gen_number(r),
        3 => r.pick(&["true", "false", "null"]).to_string(),
        4 | 5 => {
            let items: Vec<String> = (0..r.below(6)).map(|_| gen_value(r, depth + 1)).collect();
            format!("[{}{}]", ws(r), items.join(&format!(",{}", ws(r))))
        }
        _ => {
            // Up to 40 keys, so HashMap resizes; short keys collide in buckets; a few repeat.
            let n = if r.below(4) == 0 {
                r.below(40)
            } else {
                r.below(6)
            };
            let members: Vec<String> = (0..n)
                .map(|_| {
                    let key = match r.below(4) {
                        0 => gen_string(r),
                        1 => format!(
                            "\"{}\"",
                            r.pick(&["a", "b", "aa", "Aa", "BB", "id", "a/b", "x"])
                        ),
                        _ => format!("\"k{}\"", r.below(100)),
                    };
                    format!("{key}{}:{}", ws(r), gen_value(r, depth + 1))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

/// Hand-picked texts: every row of the table in storm/README.md.
const FIXED: &[&str] = &[
    r#"["a/b","\/",{"c/d":"e/f"}]"#,
    r#"["q\"uote","back\\slash","\b\f\n\r\t"]"#,
    r#"["\u0000\u0001\u001f\u007f\u0080\u009f\u00a0"]"#,
    "[\"é€\u{2000}\u{2028}\u{2029}\u{20ff}\u{2100}\u{1fff}\u{feff}😀\"]",
    r#"["\ud83d\ude00","\ud800","\udc00x","\ud800\ud800","\ud800\u0041"]"#,
    "[0,-0,2147483648,9007199254740993,9223372036854775808,-123456789012345678901234567890]",
    "[0.0,-0.0,1.0,1e3,1e-3,1e7,1e-4,12345678.9,2e23,1e23,4.9e-324,5e-324,1e400,-1e400,1e-400]",
    "[3.141592653589793238462643383279,1.2345678901234567890e30,0.0000000000000000000,-0.0000000000000000000,0.00000000000000000001]",
    r#"{"z":1,"y":2,"x":3,"aa":4,"a":5,"Aa":6,"BB":7,"a":8}"#,
    " [ 1 , \"a b\" , { \"k\" : [ ] } ] ",
    r#""a/b""#,
    "[true,false,null,[],{}]",
];

/// Replaces each number outside strings by its `f64` value, so texts that differ only in
/// how a double's digits are printed compare equal.
fn numbers_as_f64(text: &str) -> String {
    let (mut out, mut in_str, mut esc) = (String::new(), false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            (in_str, esc) = (esc || c != '"', !esc && c == '\\');
        } else if c == '-' || c.is_ascii_digit() {
            let mut num = String::from(c);
            while let Some(&n) = chars
                .peek()
                .filter(|n| n.is_ascii_digit() || ".eE+-".contains(**n))
            {
                num.push(n);
                chars.next();
            }
            out.push_str(&format!("{:e}", num.parse::<f64>().unwrap()));
        } else {
            in_str = c == '"';
            out.push(c);
        }
    }
    out
}

/// The major version of the `java` on PATH.
fn java_major() -> u32 {
    let out = Command::new("java").arg("-version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let v = text.split('"').nth(1).unwrap_or("0");
    let v = v.strip_prefix("1.").unwrap_or(v);
    v.split(['.', '-', '+'])
        .next()
        .unwrap()
        .parse()
        .unwrap_or(0)
}

#[test]
fn storm_style_json_matches_storm_2_8_3() {
    if !storm_available("storm_style_json_matches_storm_2_8_3") {
        return;
    }
    let lib = storm_deps().join("lib");
    let cp = format!("{}/*", lib.display());
    let tmp = TempDir::new("storm-json");
    let src = repo_root().join("storm/test-fixtures/json-style/StormJson.java");
    let javac = Command::new("javac")
        .args(["-cp", &cp, "-d"])
        .arg(&tmp.0)
        .arg(&src)
        .output()
        .expect("javac runs");
    assert!(
        javac.status.success(),
        "javac failed: {}",
        String::from_utf8_lossy(&javac.stderr)
    );

    let mut r = Rng(SEED);
    let mut texts: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    texts.extend((0..GENERATED).map(|_| gen_value(&mut r, 0)));
    for t in &texts {
        // The generator writes valid JSON only (serde_json agrees, lone surrogates aside).
        assert!(!t.contains('\n'), "{t}");
    }

    let mut java = Command::new("java")
        .args(["-cp", &format!("{}:{cp}", tmp.0.display()), "StormJson"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("java runs");
    let mut stdin = java.stdin.take().unwrap();
    let input = texts.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = java.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let storm = String::from_utf8(out.stdout).expect("Storm writes UTF-8");
    let storm: Vec<&str> = storm.lines().collect();
    assert_eq!(storm.len(), texts.len());

    // Java 17 prints some doubles with more digits than needed (fixed in Java 19); those
    // may differ in digits only, and only there.
    let exact_doubles = java_major() >= 19;
    let (mut digit_only, mut mismatches) = (0, Vec::new());
    let mut buf = Vec::new();
    for (text, want) in texts.iter().zip(&storm) {
        assert!(
            !want.starts_with("!ERR"),
            "Storm rejects generated text {text}: {want}"
        );
        buf.clear();
        write_storm_style(&mut buf, text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let got = std::str::from_utf8(&buf).unwrap();
        if got == *want {
            continue;
        }
        if !exact_doubles && numbers_as_f64(got) == numbers_as_f64(want) {
            digit_only += 1;
            continue;
        }
        mismatches.push(format!("input {text}\n storm {want}\n  rust {got}"));
    }
    eprintln!(
        "storm json: {} texts, {} differ only in Java {}'s double digits",
        texts.len(),
        digit_only,
        java_major()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} texts differ from Storm:\n{}",
        mismatches.len(),
        texts.len(),
        mismatches
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
