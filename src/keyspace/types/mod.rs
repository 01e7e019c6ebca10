//! The collection types' encodings: one module per type, each opening with
//! what it costs per element.
//!
//! These are plain data structures: they know nothing of locks, commands or
//! configuration. The thresholds at which a small encoding grows into a large
//! one arrive as a [`Limits`] value, which the keyspace fills from the
//! `*-max-listpack-*` / `set-max-intset-entries` settings.

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

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hash_max_listpack_entries: 128,
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
