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
