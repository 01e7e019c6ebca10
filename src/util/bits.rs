//! The bit-level string commands' algorithms over plain byte strings:
//! BITCOUNT, BITPOS, BITOP, GETBIT/SETBIT and BITFIELD, with Redis's index
//! clamping, special cases, overflow rules and error texts, so the command
//! layer only looks keys up and replies.
//!
//! Bits are numbered from the most significant bit of the first byte.
//! Writes grow a string only to the byte they touch (zero-filled, with no
//! spare capacity), which is also all Redis allocates; offsets are bounded
//! by `proto-max-bulk-len` (512 MiB, so 2^32 bits, by default).

use super::num::parse_i64;
use super::{keyword_eq, keyword_lookup};

mod field;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

pub use field::{
    BitfieldPlan, FieldCommand, FieldOp, FieldType, Overflow, get_field, parse_bitfield,
    run_bitfield,
};

/// Why a bit command's arguments were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitError {
    Syntax,
    NotAnInteger,
    BadOffset,
    BadBitValue,
    BadBitposBit,
    BadFieldType,
    BadOverflow,
    BitopNotArity,
    ReadOnlyWrite,
}

impl BitError {
    /// The error reply Redis sends (without the leading `-`).
    pub fn reply(self) -> &'static str {
        match self {
            Self::Syntax => "ERR syntax error",
            Self::NotAnInteger => "ERR value is not an integer or out of range",
            Self::BadOffset => "ERR bit offset is not an integer or out of range",
            Self::BadBitValue => "ERR bit is not an integer or out of range",
            Self::BadBitposBit => "ERR The bit argument must be 1 or 0.",
            Self::BadFieldType => {
                "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
                 supported but i64 is."
            }
            Self::BadOverflow => "ERR Invalid OVERFLOW type specified",
            Self::BitopNotArity => "ERR BITOP NOT must be called with a single source key.",
            Self::ReadOnlyWrite => "ERR BITFIELD_RO only supports the GET subcommand",
        }
    }
}

/// The unit of BITCOUNT and BITPOS ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitUnit {
    Byte,
    Bit,
}

/// `BYTE` or `BIT` in any case; anything else is a syntax error.
pub fn parse_bit_unit(arg: &[u8]) -> Result<BitUnit, BitError> {
    keyword_lookup(arg, &[("byte", BitUnit::Byte), ("bit", BitUnit::Bit)]).ok_or(BitError::Syntax)
}

/// A BITCOUNT or BITPOS range as given: indexes may be negative (from the
/// end) or beyond the string; `end` is `None` when BITPOS got only a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    pub start: i64,
    pub end: Option<i64>,
    pub unit: BitUnit,
}

impl BitRange {
    /// The inclusive bit interval the range covers in a `len`-byte string,
    /// after Redis's clamping; `None` when it is empty.
    fn bits_within(self, len: usize) -> Option<(u64, u64)> {
        let units = match self.unit {
            BitUnit::Byte => len as i64,
            BitUnit::Bit => len as i64 * 8,
        };
        let from_end = |i: i64| if i < 0 { (units + i).max(0) } else { i };
        let start = from_end(self.start);
        let end = from_end(self.end.unwrap_or(units - 1)).min(units - 1);
        if start > end {
            return None;
        }
        let (start, end) = (start as u64, end as u64);
        Some(match self.unit {
            BitUnit::Byte => (start * 8, end * 8 + 7),
            BitUnit::Bit => (start, end),
        })
    }
}

/// BITCOUNT: the number of set bits in the range (the whole string
/// without one). Both indexes negative with start after end counts 0 even
/// where clamping would make them meet.
pub fn bitcount(s: &[u8], range: Option<BitRange>) -> u64 {
    let whole = BitRange {
        start: 0,
        end: None,
        unit: BitUnit::Byte,
    };
    let range = range.unwrap_or(whole);
    if let Some(end) = range.end
        && range.start < 0
        && end < 0
        && range.start > end
    {
        return 0;
    }
    let Some((first, last)) = range.bits_within(s.len()) else {
        return 0;
    };
    let (first_byte, last_byte) = ((first / 8) as usize, (last / 8) as usize);
    let ones: u64 = s[first_byte..=last_byte]
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    let before = s[first_byte] & !(0xff >> (first % 8));
    let after = s[last_byte] & (0x7f >> (last % 8));
    ones - u64::from(before.count_ones() + after.count_ones())
}

/// BITPOS's bit argument: an integer that must be 0 or 1.
pub fn parse_bitpos_bit(arg: &[u8]) -> Result<bool, BitError> {
    match parse_i64(arg) {
        None => Err(BitError::NotAnInteger),
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(_) => Err(BitError::BadBitposBit),
    }
}

/// BITPOS on an existing string: the first bit equal to `bit` in the range,
/// or -1. Looking for a 0 without an explicit end treats the string as
/// followed by zeros, so an all-ones string answers the bit just past its
/// end. (A missing key is all zeros: 0 for a 0 bit, -1 for a 1 bit.)
pub fn bitpos(s: &[u8], bit: bool, range: Option<BitRange>) -> i64 {
    let end_given = range.is_some_and(|r| r.end.is_some());
    let whole = BitRange {
        start: 0,
        end: None,
        unit: BitUnit::Byte,
    };
    let Some((first, last)) = range.unwrap_or(whole).bits_within(s.len()) else {
        return -1;
    };
    match first_bit_equal(s, bit, first, last) {
        Some(position) => position as i64,
        None if !bit && !end_given => (last / 8 + 1) as i64 * 8,
        None => -1,
    }
}

/// The first position in `first..=last` whose bit equals `bit`.
fn first_bit_equal(s: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let (first_byte, last_byte) = ((first / 8) as usize, (last / 8) as usize);
    // Flip the bytes when looking for zeros, so the search is for ones.
    let flip = if bit { 0 } else { 0xff };
    let masked = |i: usize| {
        let mut byte = s[i] ^ flip;
        if i == first_byte {
            byte &= 0xff >> (first % 8);
        }
        if i == last_byte {
            byte &= 0xff << (7 - last % 8);
        }
        byte
    };
    (first_byte..=last_byte)
        .find(|&i| masked(i) != 0)
        .map(|i| i as u64 * 8 + u64::from(masked(i).leading_zeros()))
}

/// A BITOP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// `AND`, `OR`, `XOR` or `NOT` in any case; anything else is a syntax error.
pub fn parse_bitop(arg: &[u8]) -> Result<BitOp, BitError> {
    let ops = [
        ("and", BitOp::And),
        ("or", BitOp::Or),
        ("xor", BitOp::Xor),
        ("not", BitOp::Not),
    ];
    keyword_lookup(arg, &ops).ok_or(BitError::Syntax)
}

/// BITOP over the sources (missing keys passed as empty strings), shorter
/// ones read as zero-padded: the result is as long as the longest source;
/// an empty result means the destination is deleted. NOT takes exactly one
/// source.
pub fn bitop(op: BitOp, sources: &[&[u8]]) -> Result<Vec<u8>, BitError> {
    if op == BitOp::Not && sources.len() != 1 {
        return Err(BitError::BitopNotArity);
    }
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte_of = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let result = (0..len)
        .map(|i| {
            let mut bytes = sources.iter().map(|s| byte_of(s, i));
            let first = bytes.next().unwrap_or(0);
            match op {
                BitOp::Not => !first,
                BitOp::And => bytes.fold(first, |a, b| a & b),
                BitOp::Or => bytes.fold(first, |a, b| a | b),
                BitOp::Xor => bytes.fold(first, |a, b| a ^ b),
            }
        })
        .collect();
    Ok(result)
}

/// A bit offset argument (SETBIT, GETBIT, BITFIELD). With `field_width`
/// (BITFIELD), `#N` means N times the width, multiplied in wrapping 64-bit
/// arithmetic as Redis does. Refused: non-integers, negatives, and offsets
/// whose byte is at or past `proto_max_bulk_len` (pass `u64::MAX` for
/// replication and AOF clients, which Redis exempts).
pub fn parse_bit_offset(
    arg: &[u8],
    field_width: Option<u32>,
    proto_max_bulk_len: u64,
) -> Result<u64, BitError> {
    let (digits, width) = match (arg, field_width) {
        ([b'#', rest @ ..], Some(width)) => (rest, Some(width)),
        _ => (arg, None),
    };
    let mut offset = parse_i64(digits).ok_or(BitError::BadOffset)?;
    if let Some(width) = width {
        offset = offset.wrapping_mul(i64::from(width));
    }
    let offset = u64::try_from(offset).map_err(|_| BitError::BadOffset)?;
    if offset >> 3 >= proto_max_bulk_len {
        return Err(BitError::BadOffset);
    }
    Ok(offset)
}

/// SETBIT's value argument: an integer that must be 0 or 1.
pub fn parse_bit_value(arg: &[u8]) -> Result<bool, BitError> {
    match parse_i64(arg) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(BitError::BadBitValue),
    }
}

/// GETBIT: the bit at `offset`, 0 past the end.
pub fn getbit(s: &[u8], offset: u64) -> bool {
    let byte = usize::try_from(offset / 8).ok().and_then(|i| s.get(i));
    byte.is_some_and(|b| b & (0x80 >> (offset % 8)) != 0)
}

/// Zero-extends `s` so it holds bit `bit`, allocating exactly that; returns
/// whether it grew (SETBIT then counts as a change even if the bit does not).
pub fn grow_to_bit(s: &mut Vec<u8>, bit: u64) -> bool {
    let needed = (bit / 8 + 1) as usize;
    if s.len() >= needed {
        return false;
    }
    s.reserve_exact(needed - s.len());
    s.resize(needed, 0);
    true
}

/// SETBIT: sets or clears bit `offset` (growing `s` as needed) and returns
/// the previous bit and whether the string changed at all.
pub fn setbit(s: &mut Vec<u8>, offset: u64, on: bool) -> (bool, bool) {
    let grew = grow_to_bit(s, offset);
    let byte = &mut s[(offset / 8) as usize];
    let mask = 0x80 >> (offset % 8);
    let old = *byte & mask != 0;
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
    (old, grew || old != on)
}
