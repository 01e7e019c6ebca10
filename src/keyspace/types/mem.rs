//! What an allocation really costs: mimalloc's size classes, modelled in
//! plain Rust so that `heap_bytes()` figures include allocator rounding and
//! so that growable buffers can grow straight to the end of their size class
//! (the bytes are paid for anyway, and the next few appends then need no
//! reallocation).
//!
//! The model follows mimalloc 3's bins on 64-bit targets (checked against
//! `mi_good_size` in the tests): 8 bytes, then 16-byte steps up to 64 bytes
//! (blocks are 16-byte aligned, so a 17-byte request costs 32), four bins per
//! power of two up to 512 KiB, and whole 4 KiB pages beyond.

const WORD: usize = 8;
/// Largest request served from a size-class bin.
const LARGEST_BINNED: usize = 512 * 1024;
const OS_PAGE: usize = 4096;

/// Bytes mimalloc hands out for a request of `size` bytes; 0 for 0 (Rust
/// makes no allocation for an empty `Vec` or `Box<[u8]>`).
pub(crate) fn malloc_size(size: usize) -> usize {
    if size == 0 {
        return 0;
    }
    if size > LARGEST_BINNED {
        return size.next_multiple_of(OS_PAGE);
    }
    let words = size.div_ceil(WORD);
    if words <= 8 {
        // Blocks are 16-byte aligned, so past one word the bins step by two.
        return if words == 1 {
            WORD
        } else {
            words.next_multiple_of(2) * WORD
        };
    }
    // The top three bits of `words - 1` pick the bin; the bin's size is the
    // largest word count with those top bits.
    let w = words - 1;
    let shift = (usize::BITS - 1 - w.leading_zeros()) - 2;
    (((w >> shift) + 1) << shift) * WORD
}

/// The largest size class that is at most `size` (0 below the smallest).
pub(crate) fn class_floor(size: usize) -> usize {
    // Classes are at most a quarter apart, so this is a short walk down.
    let mut x = size & !(WORD - 1);
    while x > 0 && malloc_size(x) != x {
        x -= WORD;
    }
    x
}

/// Bytes allocated for a buffer of `capacity` bytes.
pub(crate) fn vec_bytes(v: &Vec<u8>) -> usize {
    malloc_size(v.capacity())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sizes_round_to_16_bytes_then_to_quarter_powers_of_two() {
        let cases = [
            (0, 0),
            (1, 8),
            (8, 8),
            (9, 16),
            (17, 32),
            (33, 48),
            (64, 64),
            (65, 80),
            (81, 96),
            (129, 160),
            (4097, 5120),
            (LARGEST_BINNED, LARGEST_BINNED),
            (LARGEST_BINNED + 1, LARGEST_BINNED + OS_PAGE),
        ];
        for (size, class) in cases {
            assert_eq!(malloc_size(size), class, "size {size}");
        }
    }

    #[test]
    fn class_floor_is_the_largest_class_not_above() {
        for (size, floor) in [(0, 0), (7, 0), (8, 8), (31, 16), (1152, 1024), (1280, 1280)] {
            assert_eq!(class_floor(size), floor, "size {size}");
        }
        for size in (1..20_000).step_by(7) {
            let floor = class_floor(size);
            assert!(floor <= size && (floor == 0 || malloc_size(floor) == floor));
            assert!(malloc_size(floor + 1) > size || malloc_size(floor + 1) == malloc_size(size));
        }
    }

    #[test]
    fn size_classes_are_monotonic_and_never_below_the_request() {
        let mut last = 0;
        for size in 1..200_000 {
            let class = malloc_size(size);
            assert!(class >= size && class >= last, "{size}");
            assert_eq!(malloc_size(class), class, "a class is its own class");
            last = class;
        }
    }

    #[cfg(not(miri))]
    #[test]
    fn model_matches_the_linked_mimalloc() {
        unsafe extern "C" {
            fn mi_good_size(size: usize) -> usize;
        }
        let sizes = (1..70_000).chain((70_000..2_000_000).step_by(997));
        for size in sizes {
            // SAFETY: a pure function of its argument in the linked mimalloc.
            let real = unsafe { mi_good_size(size) };
            assert_eq!(malloc_size(size), real, "size {size}");
        }
    }
}
