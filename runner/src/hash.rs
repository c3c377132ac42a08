//! Java `hashCode` semantics for fields grouping, so `sparse run` picks the same task index
//! as Storm 2.6+ would.
//!
//! Storm chooses `sorted_tasks[floorMod(Arrays.deepHashCode(selected values), n)]`, where
//! the values are what json-smart made of the emitter's JSON: `Integer` for integers that
//! fit 32 bits (the Storm ≥2.6 rule; `Long` for wider ones, or for every integer when
//! [`IntRule::AlwaysLong`] asks for the ≤2.5 rule), `Double` for fractions and exponents,
//! `String` (hashed over UTF-16 code units), `Boolean`, `null`, `ArrayList`, `HashMap`.

use serde_json::Value;

/// How JSON integers map to Java classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntRule {
    /// Storm ≥2.6 (json-smart): `Integer` when the value fits 32 bits, else `Long`.
    #[default]
    IntegerWhenFits,
    /// Storm ≤2.5 (json-simple): always `Long`.
    AlwaysLong,
}

fn long_hash(v: i64) -> i32 {
    let u = v as u64;
    (u ^ (u >> 32)) as u32 as i32
}

/// `String.hashCode`: `s[0]*31^(n-1) + …` over UTF-16 code units, wrapping.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The Java `hashCode` of the object json-smart builds from this JSON value.
pub fn java_hash(v: &Value, rule: IntRule) -> i32 {
    match v {
        Value::Null => 0,
        Value::Bool(true) => 1231,
        Value::Bool(false) => 1237,
        Value::String(s) => string_hash(s),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if rule == IntRule::IntegerWhenFits && i32::try_from(i).is_ok() {
                    i as i32
                } else {
                    long_hash(i)
                }
            } else if let Some(u) = n.as_u64() {
                // Beyond i64: a BigInteger with magnitude [hi, lo].
                let hi = (u >> 32) as u32 as i32;
                let lo = u as u32 as i32;
                hi.wrapping_mul(31).wrapping_add(lo)
            } else {
                let d = n.as_f64().unwrap_or(f64::NAN);
                // doubleToLongBits canonicalises NaN.
                let bits = if d.is_nan() {
                    0x7ff8_0000_0000_0000u64
                } else {
                    d.to_bits()
                };
                long_hash(bits as i64)
            }
        }
        Value::Array(items) => list_hash(items.iter(), rule),
        Value::Object(map) => map.iter().fold(0i32, |h, (k, x)| {
            h.wrapping_add(string_hash(k) ^ java_hash(x, rule))
        }),
    }
}

/// `List.hashCode` / `Arrays.deepHashCode`: `h = 1; h = 31*h + hash(e)`.
pub fn list_hash<'a>(vals: impl IntoIterator<Item = &'a Value>, rule: IntRule) -> i32 {
    vals.into_iter().fold(1i32, |h, x| {
        h.wrapping_mul(31).wrapping_add(java_hash(x, rule))
    })
}

/// The index Storm picks among `n` sorted tasks: `floorMod(hash, n)`.
pub fn choose_index(hash: i32, n: usize) -> usize {
    (hash as i64).rem_euclid(n as i64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every vector of the reference (section 8.2): values, list hash, index n=3, index n=4.
    #[test]
    fn reference_vectors() {
        let cases: Vec<(Value, IntRule, i32, usize, usize)> = vec![
            (json!(["apple"]), IntRule::IntegerWhenFits, 93029241, 0, 1),
            (json!(["the"]), IntRule::IntegerWhenFits, 114832, 1, 0),
            (json!(["snow"]), IntRule::IntegerWhenFits, 3535266, 0, 2),
            (json!(["héllo"]), IntRule::IntegerWhenFits, 103094765, 2, 1),
            (json!(["😀"]), IntRule::IntegerWhenFits, 1772930, 2, 2),
            (json!([5]), IntRule::IntegerWhenFits, 36, 0, 0),
            (json!([5]), IntRule::AlwaysLong, 36, 0, 0),
            (json!([-1]), IntRule::IntegerWhenFits, 30, 0, 2),
            (json!([-1]), IntRule::AlwaysLong, 31, 1, 3),
            (
                json!([3000000000i64]),
                IntRule::IntegerWhenFits,
                -1294967265,
                0,
                3,
            ),
            (json!([true]), IntRule::IntegerWhenFits, 1262, 2, 2),
            (json!([false]), IntRule::IntegerWhenFits, 1268, 2, 0),
            (json!([null]), IntRule::IntegerWhenFits, 31, 1, 3),
            (json!([1.5]), IntRule::IntegerWhenFits, 1073217567, 0, 3),
            (json!(["a", 1]), IntRule::IntegerWhenFits, 3969, 0, 1),
            (json!([[1, 2]]), IntRule::IntegerWhenFits, 1025, 2, 1),
            (json!([{"k": 1}]), IntRule::IntegerWhenFits, 137, 2, 1),
        ];
        for (vals, rule, hash, i3, i4) in cases {
            let items = vals.as_array().unwrap();
            let h = list_hash(items.iter(), rule);
            assert_eq!(h, hash, "{vals} {rule:?}");
            assert_eq!(choose_index(h, 3), i3, "{vals} n=3");
            assert_eq!(choose_index(h, 4), i4, "{vals} n=4");
        }
    }

    #[test]
    fn floor_mod_of_negative_hashes() {
        assert_eq!(choose_index(-1, 3), 2);
        assert_eq!(
            choose_index(i32::MIN, 7),
            (i32::MIN as i64).rem_euclid(7) as usize
        );
    }
}
