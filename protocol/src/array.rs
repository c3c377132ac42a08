//! Counting the values of a JSON array without parsing them.
//!
//! `sparse-host` checks every emit against the stream's declared fields, as Storm does
//! (it refuses a tuple with the wrong number of values). The values arrive as JSON text
//! that the host forwards unchanged, so it only needs their count: one pass over the
//! bytes, aware of strings, escapes and nesting, with no allocation.
//!
//! ```
//! use sparse_protocol::array::count_values;
//!
//! assert_eq!(count_values(r#"["a,b", [1, 2], {"k": "]"}]"#), Some(3));
//! assert_eq!(count_values(" [ ] "), Some(0));
//! assert_eq!(count_values(r#"{"not": "an array"}"#), None);
//! ```

/// The number of top-level values in `json`, a JSON array; `None` when the text does not
/// start with `[` (after white space) or ends before the array closes. The values are not
/// validated: this counts the commas at depth one, skipping strings.
pub fn count_values(json: &str) -> Option<usize> {
    let bytes = json.as_bytes();
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[start] != b'[' {
        return None;
    }
    let mut depth = 0usize;
    let mut count = 0usize;
    let mut seen_value = false;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                if depth == 1 {
                    seen_value = true;
                }
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                if depth == 1 {
                    seen_value = true;
                }
                depth += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(count + usize::from(seen_value));
                }
            }
            b',' if depth == 1 => {
                count += 1;
                seen_value = false;
            }
            b if depth == 1 && !b.is_ascii_whitespace() => seen_value = true,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts() {
        assert_eq!(count_values("[]"), Some(0));
        assert_eq!(count_values("[1]"), Some(1));
        assert_eq!(count_values(r#"["a\"],", "b\\"]"#), Some(2));
        assert_eq!(count_values(r#"[[], {}, null, "", -1.5e3]"#), Some(5));
        assert_eq!(count_values("[1, 2"), None);
        assert_eq!(count_values(r#"["open"#), None);
        assert_eq!(count_values(""), None);
        assert_eq!(count_values("7"), None);
    }

    proptest! {
        #[test]
        fn matches_serde(values in proptest::collection::vec(
            prop_oneof![
                any::<String>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                proptest::collection::vec(any::<String>(), 0..3).prop_map(serde_json::Value::from),
                any::<String>().prop_map(|k| serde_json::json!({ k: [1, "]"] })),
            ],
            0..8,
        )) {
            let text = serde_json::Value::Array(values.clone()).to_string();
            prop_assert_eq!(count_values(&text), Some(values.len()));
            let pretty = serde_json::to_string_pretty(&values).unwrap();
            prop_assert_eq!(count_values(&pretty), Some(values.len()));
        }
    }
}
