//! The collection types' encodings: one module per type, each opening with
//! what it costs per element.
//!
//! These are plain data structures: they know nothing of locks, commands or
//! configuration. The thresholds at which a small encoding grows into a large
//! one arrive as a [`Limits`] value, which the keyspace fills from the
//! `*-max-listpack-*` / `set-max-intset-entries` settings.
//!
//! Lists and hashes are built on [`packed`], a front-coded sequence of byte
//! strings; what they hand out is an [`Elem`] (borrowed bytes, or at most 64
//! assembled in place). `mem` models the allocator's size classes so that
//! every `heap_bytes()` counts what an allocation really costs.

/// The conversion thresholds of Redis's encoding options, with Redis's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size`: positive, at most this many entries per
    /// node; -1..-5, at most 4, 8, 16, 32 or 64 KiB per node.
    pub list_max_listpack_size: i64,
    pub list_compress_depth: usize,
}

impl Limits {
    /// The limits the configuration holds now (CONFIG SET changes them).
    pub fn from_config(config: &crate::config::Config) -> Limits {
        let [he, hv, si, se, sv, ze, zv, ls, lc] = config.encoding_thresholds();
        let size = |n: i64| usize::try_from(n).unwrap_or(0);
        Limits {
            hash_max_listpack_entries: size(he),
            hash_max_listpack_value: size(hv),
            set_max_intset_entries: size(si),
            set_max_listpack_entries: size(se),
            set_max_listpack_value: size(sv),
            zset_max_listpack_entries: size(ze),
            zset_max_listpack_value: size(zv),
            list_max_listpack_size: ls,
            list_compress_depth: size(lc),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
        }
    }
}

mod codec;
pub mod hash;
mod hash_table;
pub mod list;
mod list_node;
pub(crate) mod mem;
mod member;
#[cfg(test)]
mod memory_report;
pub(crate) mod packed;
pub(crate) mod sample;
pub mod set;
mod table;
pub mod zset;

pub use packed::Elem;

#[cfg(test)]
mod tests {
    use super::hash::Hash;
    use super::list::{End, List};
    use super::mem::malloc_size;
    use super::*;
    use std::mem::size_of;

    /// Average bytes an item over `objects` objects of `items` items, each
    /// object counted with its own boxed struct as the keyspace holds it.
    fn bytes_per_item(objects: usize, items: usize, build: impl Fn(usize) -> usize) -> f64 {
        (0..objects).map(build).sum::<usize>() as f64 / (objects * items) as f64
    }

    fn list_of(elements: usize) -> usize {
        let mut list = List::new();
        for j in 0..elements {
            list.push(End::Back, format!("item{j}").as_bytes(), &Limits::default());
        }
        list.heap_bytes() + malloc_size(size_of::<List>())
    }

    fn hash_of(i: usize, fields: usize) -> usize {
        let mut hash = Hash::new();
        for j in 0..fields {
            let value = format!("v{}", i + j);
            hash.set(
                format!("f{j}").as_bytes(),
                value.as_bytes(),
                &Limits::default(),
            );
        }
        hash.heap_bytes() + malloc_size(size_of::<Hash>())
    }

    /// The benchmark shapes against Redis 7.2's figures (RSS growth per
    /// element or pair) and the targets set for them. Prints the figures with
    /// `cargo test --lib memory_beats_redis -- --nocapture`.
    #[test]
    fn the_structs_the_keyspace_boxes_stay_small() {
        assert!(size_of::<List>() <= 64);
        assert!(size_of::<Hash>() <= 32);
    }

    #[test]
    fn memory_beats_redis_on_the_benchmark_shapes() {
        let shapes = [
            (
                "lists 10000 x 100",
                bytes_per_item(10_000, 100, |_| list_of(100)),
                10.9,
                0.7,
            ),
            (
                "lists 10 x 100000",
                bytes_per_item(10, 100_000, |_| list_of(100_000)),
                11.4,
                0.6,
            ),
            (
                "hashes 10000 x 100",
                bytes_per_item(10_000, 100, |i| hash_of(i, 100)),
                13.7,
                0.6,
            ),
            (
                "hashes 10 x 100000",
                bytes_per_item(10, 100_000, |i| hash_of(i, 100_000)),
                61.0,
                0.6,
            ),
        ];
        for (shape, ours, redis, target) in shapes {
            eprintln!(
                "{shape}: {ours:.2} bytes each, {:.2} of Redis's {redis}",
                ours / redis
            );
            assert!(
                ours <= target * redis,
                "{shape}: {ours} > {target} x {redis}"
            );
        }
    }
}
