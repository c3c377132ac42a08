//! Numbers as Java prints them: `Double.toString` (Java 19 and later) and
//! `BigDecimal.toString`, which json-smart uses when Storm re-writes a component's JSON.

use super::write_i64;

/// Appends `v` as Java's `Double.toString` (Java 19+) writes it; json-smart writes an
/// infinite double as `null`.
pub(super) fn write_java_double(out: &mut Vec<u8>, v: f64) {
    if v.is_infinite() || v.is_nan() {
        out.extend_from_slice(b"null");
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    if v < 0.0 {
        out.push(b'-');
    }
    let a = v.abs();
    // Java (19+) takes the fewest digits that read back as `a` (at least two), and of
    // those the decimal closest to `a`: 4.9E-324, not 5E-324. Rust's shortest form has
    // the length but not always the closest last digit; correct rounding to that many
    // digits gives it.
    let shortest = format!("{a:e}");
    let len = shortest
        .split('e')
        .next()
        .map_or(1, |m| m.bytes().filter(u8::is_ascii_digit).count())
        .max(2);
    let closest = format!("{a:.prec$e}", prec = len - 1);
    let sci = if closest.parse::<f64>() == Ok(a) {
        closest
    } else {
        shortest
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for k in 0..int_len {
                out.push(*digits.get(k).unwrap_or(&b'0'));
            }
            out.push(b'.');
            if digits.len() > int_len {
                out.extend_from_slice(&digits[int_len..]);
            } else {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        write_i64(out, i64::from(exp));
    }
}

/// Appends the JSON number `text` (with a fraction or exponent) as
/// `new BigDecimal(text).toString()` writes it.
pub(super) fn write_big_decimal(out: &mut Vec<u8>, text: &str) -> Result<(), &'static str> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, "0"),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let exp: i64 = exp
        .trim_start_matches('+')
        .parse()
        .map_err(|_| "number exponent out of range for Storm (BigDecimal)")?;
    let scale = frac.len() as i64 - exp;
    if i32::try_from(exp).is_err() || i32::try_from(scale).is_err() {
        return Err("number exponent out of range for Storm (BigDecimal)");
    }
    let all = format!("{int}{frac}");
    let coeff = all.trim_start_matches('0');
    let coeff = if coeff.is_empty() { "0" } else { coeff };
    if neg && coeff != "0" {
        out.push(b'-');
    }
    let len = coeff.len() as i64;
    let adjusted = -scale + (len - 1);
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            out.extend_from_slice(coeff.as_bytes());
        } else if coeff.len() > scale {
            let (a, b) = coeff.split_at(coeff.len() - scale);
            out.extend_from_slice(a.as_bytes());
            out.push(b'.');
            out.extend_from_slice(b.as_bytes());
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (scale - coeff.len()), b'0');
            out.extend_from_slice(coeff.as_bytes());
        }
    } else {
        out.extend_from_slice(&coeff.as_bytes()[..1]);
        if coeff.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&coeff.as_bytes()[1..]);
        }
        out.push(b'E');
        if adjusted > 0 {
            out.push(b'+');
        }
        write_i64(out, adjusted);
    }
    Ok(())
}
