//! Numbers as Redis's C code turns them into text and integers: `printf`'s
//! `%.Ng`, and the casts of a `double` to `long long`, `unsigned long long`
//! and `int` as x86-64 performs them (out-of-range values become the
//! "integer indefinite" instead of saturating like Rust's `as`).

use std::io::Write;

/// Appends `v` as C's `%.{precision}g` prints it with glibc.
pub(crate) fn write_g(buf: &mut Vec<u8>, v: f64, precision: usize) {
    let negative = v.is_sign_negative();
    if v.is_nan() {
        buf.extend_from_slice(if negative { b"-nan" } else { b"nan" });
        return;
    }
    if negative {
        buf.push(b'-');
    }
    if v.is_infinite() {
        buf.extend_from_slice(b"inf");
        return;
    }
    let precision = precision.max(1);
    // Rust's exact `{:e}` rounds half to even like glibc, so these are the
    // significant digits printf would print.
    let start = buf.len();
    write!(buf, "{:.*e}", precision - 1, v.abs()).expect("writing to a Vec cannot fail");
    let e_at = start
        + buf[start..]
            .iter()
            .position(|&b| b == b'e')
            .unwrap_or(buf.len() - start);
    let exp: i32 = std::str::from_utf8(&buf[e_at + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 40];
    let mut n = 0;
    for &b in &buf[start..e_at] {
        if b.is_ascii_digit() && n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    buf.truncate(start);
    let significant = digits[..n]
        .iter()
        .rposition(|&d| d != b'0')
        .map_or(1, |i| i + 1);
    if exp >= -4 && exp < precision as i32 {
        if exp < 0 {
            buf.extend_from_slice(b"0.");
            buf.resize(buf.len() + (-exp - 1) as usize, b'0');
            buf.extend_from_slice(&digits[..significant]);
        } else {
            let int_len = exp as usize + 1;
            buf.extend_from_slice(&digits[..int_len]);
            if significant > int_len {
                buf.push(b'.');
                buf.extend_from_slice(&digits[int_len..significant]);
            }
        }
    } else {
        buf.push(digits[0]);
        if significant > 1 {
            buf.push(b'.');
            buf.extend_from_slice(&digits[1..significant]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(buf, "e{sign}{:02}", exp.unsigned_abs()).expect("writing to a Vec cannot fail");
    }
}

/// `(long long)v`: NaN and values outside the range give `i64::MIN`.
pub(crate) fn c_i64(v: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

/// `(unsigned long long)v` for a non-negative `v`, as gcc compiles it.
pub(crate) fn c_u64(v: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if v < TWO_63 {
        c_i64(v) as u64
    } else {
        (c_i64(v - TWO_63) as u64) ^ (1 << 63)
    }
}

/// `(int)v`: NaN and values outside the range give `i32::MIN`.
pub(crate) fn c_i32(v: f64) -> i32 {
    if v > -2_147_483_649.0 && v < 2_147_483_648.0 {
        v as i32
    } else {
        i32::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: f64, p: usize) -> String {
        let mut b = Vec::new();
        write_g(&mut b, v, p);
        String::from_utf8(b).expect("ascii")
    }

    /// Texts Redis 7.0.15 gave: `%.17g` for redis.call arguments
    /// (`SET n <number>` then GET), `%.14g` from cjson.encode.
    #[test]
    fn g_format_matches_glibc_printf() {
        let cases: &[(f64, usize, &str)] = &[
            (3.5, 17, "3.5"),
            (1e20, 17, "1e+20"),
            (0.1, 17, "0.10000000000000001"),
            (-0.0, 17, "-0"),
            (123456789012345678.0, 17, "1.2345678901234568e+17"),
            (f64::INFINITY, 17, "inf"),
            (f64::NEG_INFINITY, 14, "-inf"),
            (1.0 / 3.0, 14, "0.33333333333333"),
            (100.0, 14, "100"),
            (1e100, 14, "1e+100"),
            (123456789012345.0, 14, "1.2345678901234e+14"),
            (9007199254740992.0, 14, "9.007199254741e+15"),
            (1e15, 14, "1e+15"),
            (-1.5e-7, 14, "-1.5e-07"),
            (1.23456789012345, 14, "1.2345678901235"),
            (12345678901234567890.0, 14, "1.2345678901235e+19"),
            (0.0001, 14, "0.0001"),
            (0.00001, 14, "1e-05"),
            (1.23456, 3, "1.23"),
            (1234567.0, 3, "1.23e+06"),
            (0.5, 1, "0.5"),
            (9.5, 1, "1e+01"),
        ];
        for &(v, p, want) in cases {
            assert_eq!(g(v, p), want, "{v} at precision {p}");
        }
        assert_eq!(g(-f64::NAN, 17), "-nan");
        assert_eq!(g(f64::NAN, 14), "nan");
    }

    #[test]
    fn casts_give_the_integer_indefinite_out_of_range() {
        assert_eq!(c_i64(3.99), 3);
        assert_eq!(c_i64(-3.99), -3);
        assert_eq!(c_i64(1e30), i64::MIN);
        assert_eq!(c_i64(f64::NAN), i64::MIN);
        assert_eq!(c_i64(9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(c_i64(-9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(c_u64(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(c_u64(18_446_744_073_709_551_616.0), 0);
        assert_eq!(c_u64(1.9), 1);
        assert_eq!(c_i32(2_147_483_648.0), i32::MIN);
        assert_eq!(c_i32(-2_147_483_648.9), i32::MIN);
        assert_eq!(c_i32(7.9), 7);
    }
}
