//! Small helpers shared by several layers, the bottom of the crate,
//! importing nothing from it: number text, glob matching, clocks, striped
//! counters, and the exact algorithms behind the HyperLogLog, geo, bit and
//! digest commands.

pub mod bits;
pub mod digest;
pub mod geohash;
pub mod glob;
pub mod hll;
pub mod num;
pub mod striped;
pub mod time;

/// Compares an argument with a keyword the way Redis's `strcasecmp` on the
/// argument's C string does: ASCII case-insensitively, with the argument
/// ending at its first NUL byte (so `b"km\0x"` is `km`).
pub(crate) fn keyword_eq(arg: &[u8], keyword: &str) -> bool {
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// The value paired with the first keyword in `table` that `arg` matches
/// (see [`keyword_eq`]).
pub(crate) fn keyword_lookup<T: Copy>(arg: &[u8], table: &[(&str, T)]) -> Option<T> {
    table
        .iter()
        .find(|(keyword, _)| keyword_eq(arg, keyword))
        .map(|&(_, value)| value)
}
