//! Byte-level codecs shared by the packed encodings: LEB128 varints (read
//! forwards), their mirror image (read backwards from an entry's end, so a
//! packed sequence can be walked in both directions, like a listpack's
//! back-length), and buffer growth helpers.
//!
//! Every reader here walks buffers this crate wrote; an out-of-bounds read
//! would be a bug in the writer, not a reaction to client input.

use super::mem::malloc_size;

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

/// Appends `v` so that [`get_back_varint`] can read it from its end: the
/// groups in reverse order, high bit set on all but the first byte.
pub(crate) fn put_back_varint(out: &mut Vec<u8>, v: u64) {
    let len = varint_len(v);
    for i in (0..len).rev() {
        let group = (v >> (7 * i)) as u8 & 0x7f;
        out.push(if i + 1 == len { group } else { group | 0x80 });
    }
}

/// Reads a back-varint ending just before `end`; returns the value and the
/// position where it starts.
pub(crate) fn get_back_varint(bytes: &[u8], mut end: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        end -= 1;
        let b = bytes[end];
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return (v, end);
        }
        shift += 7;
    }
}

/// Reserves room for `additional` more elements, growing by half the
/// current capacity at least (amortised O(1) appends with half the slack
/// doubling leaves), up to the end of the allocator size class, which is
/// paid for anyway.
pub(crate) fn reserve_gently<T>(vec: &mut Vec<T>, additional: usize) {
    if vec.capacity() - vec.len() < additional {
        let wanted = vec.capacity() + additional.max(vec.capacity() / 2);
        let size = size_of::<T>().max(1);
        let class = malloc_size(wanted * size) / size;
        vec.reserve_exact(class - vec.len());
    }
}

/// Rebuilds an exact-size buffer with `at..at + remove` replaced by
/// `insert`: one allocation of the new size, as Redis reallocates its
/// small encodings on every change.
pub(crate) fn splice_exact(buf: &mut Box<[u8]>, at: usize, remove: usize, insert: &[u8]) {
    splice_with(buf, at, remove, insert.len(), |out| {
        out.extend_from_slice(insert)
    });
}

/// Like [`splice_exact`], with the `insert_len` new bytes written by
/// `write` straight into the new buffer.
pub(crate) fn splice_with(
    buf: &mut Box<[u8]>,
    at: usize,
    remove: usize,
    insert_len: usize,
    write: impl FnOnce(&mut Vec<u8>),
) {
    let old = std::mem::take(buf);
    let mut new = Vec::with_capacity(old.len() - remove + insert_len);
    new.extend_from_slice(&old[..at]);
    write(&mut new);
    debug_assert_eq!(new.len(), at + insert_len);
    new.extend_from_slice(&old[at + remove..]);
    *buf = new.into_boxed_slice();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_round_trip_both_ways(values in proptest::collection::vec(any::<u64>(), 0..20)) {
            let mut buf = Vec::new();
            for &v in &values {
                let start = buf.len();
                put_varint(&mut buf, v);
                prop_assert_eq!(buf.len() - start, varint_len(v));
                put_back_varint(&mut buf, v);
            }
            let mut pos = 0;
            for &v in &values {
                let (got, after) = get_varint(&buf, pos);
                prop_assert_eq!(got, v);
                let back_end = after + varint_len(v);
                let (back, back_start) = get_back_varint(&buf, back_end);
                prop_assert_eq!((back, back_start), (v, after));
                pos = back_end;
            }
            prop_assert_eq!(pos, buf.len());
        }
    }

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
