//! The dense register array: 16384 six-bit registers packed LSB-first, so
//! register `i` starts at bit `6 * i` of the body, low bits in the lower
//! byte. 12288 bytes, whatever the cardinality.

use super::REGISTERS;

/// Bytes of registers in a dense HLL (after the header).
pub(super) const BODY_LEN: usize = REGISTERS * 6 / 8;

/// Register `index` of a dense body of exactly [`BODY_LEN`] bytes.
pub(super) fn get(body: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    // A register starting at bit 0 or 2 of its byte ends inside it; only
    // the others straddle into the next byte (which then always exists).
    let high = if shift > 2 {
        u16::from(body[byte + 1])
    } else {
        0
    };
    (((u16::from(body[byte]) | high << 8) >> shift) & 63) as u8
}

/// Raises register `index` to `value` (at most 63) if it is lower.
pub(super) fn raise(body: &mut [u8], index: usize, value: u8) -> bool {
    if get(body, index) >= value {
        return false;
    }
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let mask = 63u16 << shift;
    let bits = u16::from(value) << shift;
    body[byte] = (u16::from(body[byte]) & !mask | bits) as u8;
    if shift > 2 {
        body[byte + 1] = ((u16::from(body[byte + 1]) << 8 & !mask | bits) >> 8) as u8;
    }
    true
}

/// Calls `f(index, value)` for every register, in order.
pub(super) fn for_each_register(body: &[u8], mut f: impl FnMut(usize, u8)) {
    for index in 0..REGISTERS {
        f(index, get(body, index));
    }
}

/// How many registers hold each value.
pub(super) fn histogram(body: &[u8]) -> [u32; 64] {
    let mut histogram = [0u32; 64];
    for_each_register(body, |_, value| histogram[usize::from(value)] += 1);
    histogram
}
