//! Byte-level codecs shared by the packed encodings: LEB128 varints and
//! buffer growth helpers.
//!
//! Every reader here walks buffers this crate wrote; an out-of-bounds read
//! would be a bug in the writer, not a reaction to client input.

/// Appends `v` as LEB128: 7 bits per byte, high bit set on all but the last.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes `put_varint` writes for `v`.
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Reads a varint at `pos`; returns the value and the position after it.
pub(crate) fn get_varint(bytes: &[u8], mut pos: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[pos];
        pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return (v, pos);
        }
        shift += 7;
    }
}

/// Reserves room for `additional` more elements, growing by half the
/// current capacity at least: amortised O(1) appends with a quarter of the
/// slack doubling leaves on average.
pub(crate) fn reserve_gently<T>(vec: &mut Vec<T>, additional: usize) {
    if vec.capacity() - vec.len() < additional {
        vec.reserve_exact(additional.max(vec.capacity() / 2));
    }
}

/// Rebuilds an exact-size buffer with `at..at + remove` replaced by
/// `insert`: one allocation of the new size, as Redis reallocates its
/// small encodings on every change.
pub(crate) fn splice_exact(buf: &mut Box<[u8]>, at: usize, remove: usize, insert: &[u8]) {
    let old = std::mem::take(buf);
    let mut new = Vec::with_capacity(old.len() - remove + insert.len());
    new.extend_from_slice(&old[..at]);
    new.extend_from_slice(insert);
    new.extend_from_slice(&old[at + remove..]);
    *buf = new.into_boxed_slice();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers_take_one_byte() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(u64::MAX), 10);
    }

    #[test]
    fn splice_exact_allocates_the_new_size() {
        let mut buf: Box<[u8]> = Box::from(&b"hello world"[..]);
        splice_exact(&mut buf, 5, 6, b", you");
        assert_eq!(&*buf, b"hello, you");
        splice_exact(&mut buf, 0, 0, b">");
        assert_eq!(&*buf, b">hello, you");
        splice_exact(&mut buf, 0, 11, b"");
        assert!(buf.is_empty());
    }
}
