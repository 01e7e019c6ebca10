//! Redis's number parsing and formatting, kept in one place because clients
//! depend on the exact bytes: which strings a command accepts as a number and
//! how a double is spelled in a reply must match Redis to the byte.
//!
//! Which parser a command uses (as in Redis 7.0):
//! - [`parse_i64`]: every integer argument and integer-valued string (INCR,
//!   INCRBY, DECRBY, EXPIRE, SETRANGE offsets, LRANGE indexes, ...).
//! - [`parse_f64`]: double arguments with strict validation (ZADD and ZINCRBY
//!   scores, ZUNIONSTORE/ZINTERSTORE WEIGHTS, GEOADD and GEOSEARCH numbers).
//! - [`parse_f64_range_bound`]: score-range bounds after any `(` is removed
//!   (ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE, ZRANGE
//!   BYSCORE), which Redis parses far more loosely.
//! - [`incr_by_float`]: INCRBYFLOAT and HINCRBYFLOAT, computed in C
//!   `long double` via `ldouble.c` because that is what Redis does.

use std::ffi::{CString, c_char, c_int};

/// Parses an integer the way Redis's `string2ll` does, because every
/// integer argument must reject exactly what Redis rejects: no sign other
/// than a leading `-`, no spaces, no leading zeros, no `-0`, no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] if digits.len() <= 19 => {}
        _ => return None,
    }
    // 19 decimal digits always fit in a u64, so only the sign fold can overflow.
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude * 10 + u64::from(d - b'0');
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a double argument like Redis's `string2d` (ZADD, ZINCRBY, ...),
/// because those commands answer "value is not a valid float" for anything
/// C `strtod` would not consume entirely, leading whitespace, NaN, and
/// results that overflow or underflow to zero (denormals are accepted).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.first().is_some_and(|&b| is_c_space(b)) {
        return None;
    }
    let parsed = strtod_whole(s)?;
    (!parsed.value.is_nan() && !parsed.out_of_range).then_some(parsed.value)
}

/// Parses a score-range bound (ZRANGEBYSCORE and friends, with any `(`
/// already removed), because Redis hands those straight to `strtod`: leading
/// whitespace is skipped, the empty string is 0, out-of-range values
/// saturate to ±inf or 0, input ends at the first NUL, only NaN is refused.
pub fn parse_f64_range_bound(s: &[u8]) -> Option<f64> {
    let s = s.split(|&b| b == 0).next().unwrap_or_default();
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s.iter().position(|&b| !is_c_space(b))?;
    let value = strtod_whole(&s[start..])?.value;
    (!value.is_nan()).then_some(value)
}

/// What `strtod` yields for a string it consumes entirely.
struct Strtod {
    value: f64,
    /// `strtod` would have set `ERANGE` and returned ±inf or zero.
    out_of_range: bool,
}

/// Runs C `strtod` semantics over all of `s` (no whitespace skipping);
/// `None` if `s` is not a complete number in its grammar.
fn strtod_whole(s: &[u8]) -> Option<Strtod> {
    let unsigned = s
        .strip_prefix(b"+")
        .or_else(|| s.strip_prefix(b"-"))
        .unwrap_or(s);
    let is_hex = unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1] | 0x20 == b'x';
    let value = if is_hex {
        c_strtod(s)?
    } else {
        // Rust's decimal grammar and correct rounding match glibc's strtod,
        // but it also accepts NaN spellings C reads differently; NaN is
        // refused by every caller, so that difference never shows.
        std::str::from_utf8(s).ok()?.parse::<f64>().ok()?
    };
    let literal_infinity = unsigned.first().is_some_and(|&b| b | 0x20 == b'i');
    let out_of_range = (value.is_infinite() && !literal_infinity)
        || (value == 0.0 && has_nonzero_mantissa(unsigned, is_hex));
    Some(Strtod {
        value,
        out_of_range,
    })
}

/// Hexadecimal floats are rare enough to leave to libc, which also keeps
/// their rounding identical to Redis's.
fn c_strtod(s: &[u8]) -> Option<f64> {
    let c = CString::new(s).ok()?;
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated and outlives the call; `end` is written
    // by strtod to point into `c`.
    let value = unsafe { libc::strtod(c.as_ptr(), &mut end) };
    // SAFETY: strtod sets `end` within `c`'s buffer.
    let consumed = unsafe { end.offset_from(c.as_ptr()) };
    (usize::try_from(consumed).ok()? == s.len()).then_some(value)
}

/// Whether a number that parsed as zero had a nonzero significand, i.e.
/// `strtod` underflowed.
fn has_nonzero_mantissa(unsigned: &[u8], is_hex: bool) -> bool {
    if is_hex {
        let digits = &unsigned[2..];
        let mantissa = digits
            .split(|&b| b | 0x20 == b'p')
            .next()
            .unwrap_or_default();
        mantissa.iter().any(|&b| b.is_ascii_hexdigit() && b != b'0')
    } else {
        let mantissa = unsigned
            .split(|&b| b | 0x20 == b'e')
            .next()
            .unwrap_or_default();
        mantissa.iter().any(|&b| matches!(b, b'1'..=b'9'))
    }
}

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Appends a double as Redis 7.0 spells it in replies (ZSCORE, WITHSCORES,
/// RESP3 `,` doubles): C's `%.17g`, except that infinities are `inf`/`-inf`
/// and every NaN is `nan`.
pub fn write_f64(buf: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    if v.is_nan() {
        buf.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        buf.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    // Rust's exact formatting rounds half to even like glibc's printf, so
    // 17 significant digits from `{:.16e}` are the digits `%.17g` prints.
    let start = buf.len();
    write!(buf, "{:.16e}", v.abs()).expect("writing to a Vec cannot fail");
    let mut digits = [0u8; 17];
    digits[0] = buf[start];
    digits[1..].copy_from_slice(&buf[start + 2..start + 18]);
    let exp: i32 = std::str::from_utf8(&buf[start + 19..])
        .ok()
        .and_then(|e| e.parse().ok())
        .expect("`{:e}` always writes a decimal exponent");
    buf.truncate(start);

    if v.is_sign_negative() {
        buf.push(b'-');
    }
    let significant = digits.iter().rposition(|&d| d != b'0').map_or(1, |i| i + 1);
    if (-4..17).contains(&exp) {
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
        write!(
            buf,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        )
        .expect("writing to a Vec cannot fail");
    }
}

/// Appends an integer in decimal, the one spelling Redis uses everywhere.
pub fn write_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Why [`incr_by_float`] refused; the two commands word (and order) their
/// errors differently, so each has its own reply method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrFloatError {
    /// The increment is not a valid long double.
    InvalidIncrement,
    /// The increment is ±inf; HINCRBYFLOAT refuses that before reading the
    /// current value, INCRBYFLOAT only after validating it.
    InfiniteIncrement { current_valid: bool },
    /// The stored value is not a valid long double.
    InvalidCurrent,
    /// The sum is NaN or infinite.
    NanOrInfinity,
}

impl IncrFloatError {
    /// The error reply INCRBYFLOAT sends (without the leading `-`).
    pub fn incrbyfloat_reply(self) -> &'static str {
        match self {
            Self::InvalidIncrement
            | Self::InvalidCurrent
            | Self::InfiniteIncrement {
                current_valid: false,
            } => NOT_A_FLOAT,
            Self::InfiniteIncrement {
                current_valid: true,
            }
            | Self::NanOrInfinity => WOULD_BE_NAN,
        }
    }

    /// The error reply HINCRBYFLOAT sends (without the leading `-`).
    pub fn hincrbyfloat_reply(self) -> &'static str {
        match self {
            Self::InvalidIncrement => NOT_A_FLOAT,
            Self::InfiniteIncrement { .. } => "ERR value is NaN or Infinity",
            Self::InvalidCurrent => "ERR hash value is not a float",
            Self::NanOrInfinity => WOULD_BE_NAN,
        }
    }
}

const NOT_A_FLOAT: &str = "ERR value is not a valid float";
const WOULD_BE_NAN: &str = "ERR increment would produce NaN or Infinity";

/// Size of the output buffer handed to C; equals `LD_MAX_CHARS` in
/// `ldouble.c`, which any finite long double printed with `%.17Lf` fits.
const LD_MAX_CHARS: usize = 5120;

unsafe extern "C" {
    fn ferrodis_ld_incr(
        cur: *const c_char,
        cur_len: usize,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        out_cap: usize,
    ) -> c_int;
}

/// Adds `incr` to `current` (pass `b"0"` for a missing key) exactly as
/// INCRBYFLOAT/HINCRBYFLOAT do: both parsed with `strtold` over the whole
/// string (max 5119 bytes, no leading space), summed in `long double`,
/// printed with `%.17Lf` minus trailing zeros and dot, `-0` shown as `0`.
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let mut out = [0u8; LD_MAX_CHARS];
    // SAFETY: each pointer/length pair describes a live buffer, and the C
    // side writes at most `out.len()` bytes into `out`.
    let n = unsafe {
        ferrodis_ld_incr(
            current.as_ptr().cast(),
            current.len(),
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        -1 => Err(IncrFloatError::InvalidIncrement),
        -2 => Err(IncrFloatError::InfiniteIncrement {
            current_valid: true,
        }),
        -3 => Err(IncrFloatError::InfiniteIncrement {
            current_valid: false,
        }),
        -4 => Err(IncrFloatError::InvalidCurrent),
        -5 => Err(IncrFloatError::NanOrInfinity),
        n => {
            let len = usize::try_from(n).expect("ldouble.c output buffer is large enough");
            Ok(out[..len].to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64_text(v: f64) -> String {
        let mut buf = Vec::new();
        write_f64(&mut buf, v);
        String::from_utf8(buf).unwrap()
    }

    /// `SET k <s>` + `INCRBY k 0` on Redis 7.0.15.
    #[test]
    fn parse_i64_matches_redis() {
        let table: &[(&str, Option<i64>)] = &[
            ("0", Some(0)),
            ("-1", Some(-1)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("18446744073709551616", None),
            ("99999999999999999999", None),
            ("+1", None),
            ("-0", None),
            ("007", None),
            ("00", None),
            (" 1", None),
            ("1 ", None),
            ("", None),
            ("-", None),
            ("1.0", None),
            ("0x1", None),
            ("1\x001", None),
        ];
        for &(s, want) in table {
            assert_eq!(parse_i64(s.as_bytes()), want, "{s:?}");
        }
        for v in [0, 1, -1, 42, 1 << 40, i64::MAX, i64::MIN, i64::MIN + 1] {
            let mut buf = Vec::new();
            write_i64(&mut buf, v);
            assert_eq!(parse_i64(&buf), Some(v));
        }
    }

    /// `ZADD z <s> a` + `ZSCORE z a` on Redis 7.0.15 (skiplist encoding, so
    /// the reply shows `addReplyDouble`'s own spelling). `None` is
    /// "ERR value is not a valid float".
    #[test]
    fn zadd_score_parse_and_zscore_text_match_redis() {
        let table: &[(&str, Option<&str>)] = &[
            ("1.5", Some("1.5")),
            ("0.1", Some("0.10000000000000001")),
            ("1e20", Some("1e+20")),
            ("1e-5", Some("1.0000000000000001e-05")),
            ("0.1e-4", Some("1.0000000000000001e-05")),
            ("1.5e-5", Some("1.5e-05")),
            ("1e-4", Some("0.0001")),
            ("0.000123", Some("0.00012300000000000001")),
            ("123456789012345678", Some("1.2345678901234568e+17")),
            ("12345678901234567", Some("12345678901234568")),
            ("98765432109876543210", Some("9.8765432109876543e+19")),
            ("12345678901234567890", Some("1.2345678901234567e+19")),
            ("1e15", Some("1000000000000000")),
            ("1e16", Some("10000000000000000")),
            ("1e17", Some("1e+17")),
            ("1e21", Some("1e+21")),
            ("1e100", Some("1e+100")),
            ("1e-100", Some("1e-100")),
            ("-1.5e300", Some("-1.5000000000000001e+300")),
            ("1125899906842624.25", Some("1125899906842624.2")),
            ("1125899906842624.75", Some("1125899906842624.8")),
            ("9007199254740993", Some("9007199254740992")),
            ("123456.789", Some("123456.789")),
            ("0.30000000000000004", Some("0.30000000000000004")),
            ("0.000001", Some("9.9999999999999995e-07")),
            ("2.5e-7", Some("2.4999999999999999e-07")),
            ("1e-310", Some("9.9999999999999694e-311")),
            ("5e-324", Some("4.9406564584124654e-324")),
            ("1.7976931348623157e308", Some("1.7976931348623157e+308")),
            ("-2.5", Some("-2.5")),
            ("3.0", Some("3")),
            ("100", Some("100")),
            ("-0.0", Some("-0")),
            ("+1.5", Some("1.5")),
            (".5", Some("0.5")),
            ("5.", Some("5")),
            ("0x10", Some("16")),
            ("0x1p3", Some("8")),
            ("inf", Some("inf")),
            ("+inf", Some("inf")),
            ("-inf", Some("-inf")),
            ("INF", Some("inf")),
            ("iNfInItY", Some("inf")),
            ("-infinity", Some("-inf")),
            (" 1", None),
            (" 1.5", None),
            ("1 ", None),
            ("", None),
            ("nan", None),
            ("1e400", None),
            ("-1e400", None),
            ("1e-400", None),
            ("1e", None),
            ("1e+", None),
            ("1\0", None),
        ];
        for &(s, want) in table {
            let got = parse_f64(s.as_bytes()).map(f64_text);
            assert_eq!(got.as_deref(), want, "{s:?}");
        }
    }

    #[test]
    fn write_f64_special_values() {
        assert_eq!(f64_text(f64::NAN), "nan");
        assert_eq!(f64_text(-f64::NAN), "nan");
        assert_eq!(f64_text(0.0), "0");
        assert_eq!(f64_text(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f64_text(f64::MIN_POSITIVE), "2.2250738585072014e-308");
    }

    /// `ZRANGEBYSCORE z <s> +inf` on Redis 7.0.15 with members at 0, 1e-310
    /// and 1; `None` is "ERR min or max is not a float".
    #[test]
    fn range_bound_parse_matches_redis() {
        let table: &[(&[u8], Option<f64>)] = &[
            (b"", Some(0.0)),
            (b" 1", Some(1.0)),
            (b"\t\n1", Some(1.0)),
            (b"1 ", None),
            (b"   ", None),
            (b"1e-400", Some(0.0)),
            (b"1e400", Some(f64::INFINITY)),
            (b"-inf", Some(f64::NEG_INFINITY)),
            (b"0x1", Some(1.0)),
            (b"nan", None),
            (b"abc", None),
            (b"1\0abc", Some(1.0)),
            (b"\0abc", Some(0.0)),
        ];
        for &(s, want) in table {
            assert_eq!(
                parse_f64_range_bound(s),
                want,
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
    }

    /// `SET k <current>` + `INCRBYFLOAT k <incr>` on Redis 7.0.15.
    #[test]
    fn incr_by_float_matches_redis() {
        let long_zeros = |n: usize| format!("{}1", "0".repeat(n));
        let ok: &[(&str, &str, &str)] = &[
            ("10.5", "0.1", "10.6"),
            ("0.1", "0.2", "0.3"),
            ("5.0e3", "200", "5200"),
            ("17179869184", "1.5", "17179869185.5"),
            ("0", "1.1", "1.1"),
            ("0", "3.0", "3"),
            ("1", "-1", "0"),
            ("2.5", "-2.5", "0"),
            ("0", "1e-20", "0"),
            ("0", "-1e-20", "0"),
            ("-1e-20", "0", "0"),
            ("0", "-0.0", "0"),
            ("-0", "0", "0"),
            ("1", "-0", "1"),
            ("0", "-0.00000000000000001", "-0.00000000000000001"),
            ("0", "-0.000000000000000005", "0"),
            ("0", "-0.000000000000000015", "-0.00000000000000002"),
            ("0", "9.5e-18", "0.00000000000000001"),
            ("3", "0.000000000000000015", "3.00000000000000001"),
            ("3", "0.000000000000000005", "3"),
            ("1e-17", "0", "0.00000000000000001"),
            ("0", "1.5e17", "150000000000000000"),
            (
                "0",
                "123456789012345678901234567890",
                "123456789012345678899921813504",
            ),
            ("0x10", "1", "17"),
            ("1", "0x10", "17"),
            ("1", "0X1P4", "17"),
            ("1", "0x.8", "1.5"),
            ("1", "0x1.8p1", "4"),
            ("1", "+1", "2"),
            ("1", ".5", "1.5"),
            ("1", "5.", "6"),
            ("1", "1.5e+3", "1501"),
            ("1", "1e-400", "1"),
            ("1", "1e-4950", "1"),
            ("0", "0x1p-16400", "0"),
        ];
        for &(cur, incr, want) in ok {
            let got = incr_by_float(cur.as_bytes(), incr.as_bytes());
            assert_eq!(got.as_deref(), Ok(want.as_bytes()), "{cur:?} + {incr:?}");
        }
        assert_eq!(
            incr_by_float(b"1", long_zeros(5118).as_bytes()).as_deref(),
            Ok(&b"2"[..])
        );
        assert!(incr_by_float(b"1", long_zeros(5119).as_bytes()).is_err());
        let sum = incr_by_float(b"1e308", b"1e308").unwrap();
        assert!(sum.starts_with(b"19999999999999999999337175931169129132112"));
        assert_eq!(sum.len(), 309);
        let huge = incr_by_float(b"1.18e4932", b"0").unwrap();
        assert!(huge.starts_with(b"118000000000000000000065281291809369920269"));
        assert_eq!(huge.len(), 4933);

        use IncrFloatError::*;
        let err: &[(&str, &str, IncrFloatError)] = &[
            ("abc", "1", InvalidCurrent),
            ("", "1", InvalidCurrent),
            (" 1", "1", InvalidCurrent),
            ("1 ", "1", InvalidCurrent),
            ("1", " 1", InvalidIncrement),
            ("1", "1 ", InvalidIncrement),
            ("1", "", InvalidIncrement),
            ("1", "\t1", InvalidIncrement),
            ("1", "1\n", InvalidIncrement),
            ("1", "1\0", InvalidIncrement),
            ("1", "nan", InvalidIncrement),
            ("1", "nan(12)", InvalidIncrement),
            ("1", "1e", InvalidIncrement),
            ("1", "1.2.3", InvalidIncrement),
            ("1", "--1", InvalidIncrement),
            ("1", "0x", InvalidIncrement),
            ("1", "1_0", InvalidIncrement),
            ("1", "1e5000", InvalidIncrement),
            ("1", "-1e5000", InvalidIncrement),
            ("1", "1e-5000", InvalidIncrement),
            ("1", "0x1p-16500", InvalidIncrement),
            ("abc", "x", InvalidIncrement),
            (
                "1",
                "inf",
                InfiniteIncrement {
                    current_valid: true,
                },
            ),
            (
                "1",
                "-inf",
                InfiniteIncrement {
                    current_valid: true,
                },
            ),
            (
                "1",
                "infinity",
                InfiniteIncrement {
                    current_valid: true,
                },
            ),
            (
                "abc",
                "inf",
                InfiniteIncrement {
                    current_valid: false,
                },
            ),
            ("inf", "1", NanOrInfinity),
            ("1e4932", "1e4932", NanOrInfinity),
        ];
        for &(cur, incr, want) in err {
            let got = incr_by_float(cur.as_bytes(), incr.as_bytes());
            assert_eq!(got, Err(want), "{cur:?} + {incr:?}");
        }
    }

    /// Reply texts observed on Redis 7.0.15 for INCRBYFLOAT and HINCRBYFLOAT.
    #[test]
    fn incr_error_replies_match_redis() {
        let reply =
            |cur: &str, incr: &str| incr_by_float(cur.as_bytes(), incr.as_bytes()).unwrap_err();
        assert_eq!(
            reply("abc", "inf").incrbyfloat_reply(),
            "ERR value is not a valid float"
        );
        assert_eq!(
            reply("1", "inf").incrbyfloat_reply(),
            "ERR increment would produce NaN or Infinity"
        );
        assert_eq!(
            reply("inf", "1").incrbyfloat_reply(),
            "ERR increment would produce NaN or Infinity"
        );
        assert_eq!(
            reply("abc", "1").hincrbyfloat_reply(),
            "ERR hash value is not a float"
        );
        assert_eq!(
            reply("abc", "x").hincrbyfloat_reply(),
            "ERR value is not a valid float"
        );
        assert_eq!(
            reply("abc", "inf").hincrbyfloat_reply(),
            "ERR value is NaN or Infinity"
        );
        assert_eq!(
            reply("10.5", "inf").hincrbyfloat_reply(),
            "ERR value is NaN or Infinity"
        );
        assert_eq!(
            reply("inf", "1").hincrbyfloat_reply(),
            "ERR increment would produce NaN or Infinity"
        );
    }

    /// The decimal fast path must agree with glibc's `strtod` (and its
    /// `ERANGE` reporting) on everything Redis could be sent.
    #[cfg(target_os = "linux")]
    #[test]
    fn strtod_whole_agrees_with_libc() {
        use rand::{RngExt, SeedableRng, rngs::StdRng};
        fn libc_strtod(s: &[u8]) -> Option<(f64, bool)> {
            let c = CString::new(s).ok()?;
            let mut end: *mut c_char = std::ptr::null_mut();
            // SAFETY: errno is thread-local; `c` is NUL-terminated.
            unsafe {
                *libc::__errno_location() = 0;
                let v = libc::strtod(c.as_ptr(), &mut end);
                let erange = *libc::__errno_location() == libc::ERANGE;
                let whole = end.offset_from(c.as_ptr()) as usize == s.len();
                (whole && !s.is_empty()).then_some((v, erange && (v.is_infinite() || v == 0.0)))
            }
        }
        const ALPHABET: &[u8] = b"0123456789.eE+-xXpPaFinfINFty ";
        let mut rng = StdRng::seed_from_u64(0xf10a7);
        let mut cases: Vec<Vec<u8>> = [
            "1e-324",
            "2.4703282292062328e-324",
            "2.4703282292062327e-324",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "0e-99999",
            "infinityx",
            "infinit",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        for _ in 0..200_000 {
            let len = rng.random_range(1..12);
            cases.push(
                (0..len)
                    .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
                    .collect(),
            );
        }
        for s in cases {
            if s[0] == b' ' {
                continue;
            }
            let ours = strtod_whole(&s)
                .filter(|p| !p.value.is_nan())
                .map(|p| (p.value.to_bits(), p.out_of_range));
            let theirs = libc_strtod(&s)
                .filter(|p| !p.0.is_nan())
                .map(|p| (p.0.to_bits(), p.1));
            assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(&s));
        }
    }
}
