//! Temporary stand-in until the numerics module lands.

pub fn write_f64(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(format!("{v}").as_bytes());
}

pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let t = std::str::from_utf8(s).ok()?;
    if t.starts_with('+') || (t.len() > 1 && t.starts_with('0')) || t.starts_with("-0") {
        return None;
    }
    t.parse().ok()
}

/// Parses a whole string as a double, rejecting NaN (stand-in: Rust's float grammar).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

/// Why INCRBYFLOAT could not add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrFloatError {
    InvalidCurrent,
    InvalidIncrement,
    NanOrInfinity,
}

/// The text INCRBYFLOAT stores: `current + incr` (stand-in precision: f64).
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let current = parse_f64(current).ok_or(IncrFloatError::InvalidCurrent)?;
    let incr = parse_f64(incr).ok_or(IncrFloatError::InvalidIncrement)?;
    let sum = current + incr;
    if !sum.is_finite() {
        return Err(IncrFloatError::NanOrInfinity);
    }
    let mut out = Vec::new();
    write_f64(&mut out, sum);
    Ok(out)
}
