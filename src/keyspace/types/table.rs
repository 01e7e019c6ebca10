//! `Table<T>`: the open-addressing hash table under the large set and
//! sorted-set encodings, plus the member hash they all share.
//!
//! A slot is one plain word (`u32`, `u64` or an 8-byte member reference)
//! whose all-zero value means vacant, so the table costs one allocation of
//! `capacity * size_of::<T>()` bytes: no per-entry header, no pointer, no
//! control bytes. The table does not know how to hash its slots; every
//! method that may move slots takes a `home` closure that recomputes a slot's
//! hash from its content (the caller owns the context: an integer base, a
//! byte arena, an entry slab).
//!
//! * **Linear probing, backward-shift deletion**: no tombstones, so lookups
//!   stay short after churn. The load factor stays at most 13/16; at that
//!   load a hit probes about 3 slots and a miss about 15, all adjacent.
//! * **Growth** doubles; a table under 1/8 full shrinks to load about 1/2.
//! * **SCAN** keeps Redis's guarantee. An element "belongs" to its home
//!   bucket `hash & mask`, wherever probing put it, and a cursor step
//!   returns the elements whose home is the cursor's bucket (they sit in the
//!   run of occupied slots starting there). Home buckets split and merge
//!   exactly like a chained table's buckets when the capacity doubles or
//!   halves, so the reverse-binary cursor of `dict.rs` applies unchanged:
//!   an element present for a whole scan is returned at least once.
//!
//! [`hash_member`] hashes a member that is a canonical integer by its value,
//! exactly as [`hash_int`] hashes the integer: a set converting from its
//! integer table to its string table then keeps every member's home bucket,
//! so a SCAN in progress survives the conversion.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use ahash::RandomState;
use rand::{Rng, RngExt};

use super::mem::malloc_size;
use crate::util::num::parse_i64;

/// The process-wide seeded hasher: clients cannot precompute colliding
/// members, which matters doubly for linear probing.
fn hash_state() -> &'static RandomState {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    STATE.get_or_init(|| {
        let [k0, k1, k2, k3] = rand::random::<[u64; 4]>();
        RandomState::with_seeds(k0, k1, k2, k3)
    })
}

/// The hash of an integer member.
pub(crate) fn hash_int(v: i64) -> u64 {
    hash_state().hash_one(v)
}

/// The hash of a byte string.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = hash_state().build_hasher();
    hasher.write(bytes);
    hasher.finish()
}

/// The hash of a set member given as bytes: canonical integers (Redis's
/// `string2ll` spelling) hash as [`hash_int`] of their value.
pub(crate) fn hash_member(bytes: &[u8]) -> u64 {
    match parse_i64(bytes) {
        Some(v) => hash_int(v),
        None => hash_bytes(bytes),
    }
}

/// A slot word; `VACANT` (all zero bits) marks an empty slot and is never a
/// valid occupant.
pub(crate) trait Slot: Copy + Eq {
    const VACANT: Self;
}

impl Slot for u32 {
    const VACANT: Self = 0;
}

impl Slot for u64 {
    const VACANT: Self = 0;
}

/// Smallest non-empty capacity.
const MIN_CAPACITY: usize = 8;

/// Most members a size hint pre-sizes a table for; past that the table
/// grows as members arrive (a hint is a guess, not a promise).
const MAX_PRESIZE: usize = 1 << 24;

/// Most occupants a table of `capacity` slots may hold: 13/16 of it.
fn max_len(capacity: usize) -> usize {
    capacity - capacity / 4 + capacity / 16
}

/// Smallest capacity (a power of two, at least `MIN_CAPACITY`) holding
/// `len` occupants at a load of at most `1 / spread`.
fn capacity_for(len: usize, spread: usize) -> usize {
    let mut capacity = MIN_CAPACITY;
    while max_len(capacity) < len || capacity < len.saturating_mul(spread) {
        capacity *= 2;
    }
    capacity
}

#[derive(Clone, Debug)]
pub(crate) struct Table<T> {
    /// Empty (no allocation) or a power of two long.
    slots: Box<[T]>,
    len: usize,
}

impl<T: Slot> Default for Table<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Slot> Table<T> {
    pub(crate) fn new() -> Self {
        Table {
            slots: Box::new([]),
            len: 0,
        }
    }

    /// An empty table that takes `len` inserts (up to `MAX_PRESIZE`)
    /// without growing.
    pub(crate) fn with_capacity_for(len: usize) -> Self {
        Table {
            slots: vec![T::VACANT; capacity_for(len.min(MAX_PRESIZE), 1)].into_boxed_slice(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        malloc_size(std::mem::size_of_val::<[T]>(&self.slots))
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    pub(crate) fn get(&self, index: usize) -> T {
        self.slots[index]
    }

    pub(crate) fn is_occupied(&self, index: usize) -> bool {
        self.slots[index] != T::VACANT
    }

    /// The occupant at `index`, borrowed (inline member bytes live in it).
    pub(crate) fn slot(&self, index: usize) -> &T {
        &self.slots[index]
    }

    /// The same occupants at the same indexes, each mapped by `f`; `f` must
    /// preserve hashes (re-encoded integers, integers spelled as strings),
    /// so probing and SCAN cursors stay valid.
    pub(crate) fn map_into<U: Slot>(&self, mut f: impl FnMut(T) -> U) -> Table<U> {
        Table {
            slots: self
                .slots
                .iter()
                .map(|&s| if s == T::VACANT { U::VACANT } else { f(s) })
                .collect(),
            len: self.len,
        }
    }

    /// Rewrites every occupant in place; `f` must preserve each one's hash.
    pub(crate) fn rewrite(&mut self, mut f: impl FnMut(T) -> T) {
        for slot in self.slots.iter_mut().filter(|s| **s != T::VACANT) {
            *slot = f(*slot);
        }
    }

    /// The index of the occupant with this hash for which `is` holds.
    pub(crate) fn find(&self, hash: u64, mut is: impl FnMut(T) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut index = hash as usize & mask;
        loop {
            let slot = self.slots[index];
            if slot == T::VACANT {
                return None;
            }
            if is(slot) {
                return Some(index);
            }
            index = (index + 1) & mask;
        }
    }

    /// Adds an occupant the caller knows is absent, growing first if the
    /// load would pass 13/16; returns its index.
    pub(crate) fn insert(&mut self, hash: u64, slot: T, home: impl Fn(T) -> u64) -> usize {
        debug_assert!(slot != T::VACANT);
        if self.len + 1 > max_len(self.capacity()) {
            let grown = (self.capacity() * 2).max(MIN_CAPACITY);
            self.resize(grown, &home);
        }
        self.len += 1;
        self.place(hash, slot)
    }

    /// Puts `slot` in the first vacant slot from its home on.
    fn place(&mut self, hash: u64, slot: T) -> usize {
        let mask = self.mask();
        let mut index = hash as usize & mask;
        while self.slots[index] != T::VACANT {
            index = (index + 1) & mask;
        }
        self.slots[index] = slot;
        index
    }

    /// Removes the occupant at `index` and closes the gap by shifting later
    /// members of its run back; shrinks a table left under 1/8 full.
    pub(crate) fn remove_at(&mut self, index: usize, home: impl Fn(T) -> u64) -> T {
        let removed = self.slots[index];
        debug_assert!(removed != T::VACANT);
        let mask = self.mask();
        let mut hole = index;
        let mut next = (index + 1) & mask;
        loop {
            let slot = self.slots[next];
            if slot == T::VACANT {
                break;
            }
            let ideal = home(slot) as usize & mask;
            // `slot` may fill the hole only if the hole lies on its probe
            // path, i.e. its home is not strictly after the hole: moved
            // before its home, lookups starting there would miss it.
            if next.wrapping_sub(ideal) & mask >= next.wrapping_sub(hole) & mask {
                self.slots[hole] = slot;
                hole = next;
            }
            next = (next + 1) & mask;
        }
        self.slots[hole] = T::VACANT;
        self.len -= 1;
        if self.capacity() > MIN_CAPACITY && self.len < self.capacity() / 8 {
            self.resize(capacity_for(self.len, 2), &home);
        }
        removed
    }

    /// Moves every occupant into a table of `capacity` slots.
    pub(crate) fn resize(&mut self, capacity: usize, home: impl Fn(T) -> u64) {
        debug_assert!(capacity.is_power_of_two() && max_len(capacity) >= self.len);
        let old = std::mem::replace(
            &mut self.slots,
            vec![T::VACANT; capacity].into_boxed_slice(),
        );
        for slot in old.iter().copied().filter(|s| *s != T::VACANT) {
            self.place(home(slot), slot);
        }
    }

    /// Grows so that `len` occupants (up to `MAX_PRESIZE`) fit without
    /// further growth.
    pub(crate) fn reserve_for(&mut self, len: usize, home: impl Fn(T) -> u64) {
        let len = len.min(MAX_PRESIZE);
        if len > max_len(self.capacity()) {
            self.resize(capacity_for(len, 1), home);
        }
    }

    /// Occupants with their indexes, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &T)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != T::VACANT)
    }

    /// The index of a uniformly chosen occupant.
    pub(crate) fn random_index<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        // Removals keep a table at least 1/8 full (or tiny), so this takes
        // a handful of tries; one pre-sized for a hint that did not come
        // true may be sparser, and is walked instead.
        for _ in 0..64 {
            let index = rng.random_range(0..self.slots.len());
            if self.slots[index] != T::VACANT {
                return Some(index);
            }
        }
        let nth = rng.random_range(0..self.len);
        self.iter().nth(nth).map(|(index, _)| index)
    }

    /// One SCAN step: calls `f` for each occupant whose home bucket is the
    /// cursor's, returns the next cursor (0 when the scan is complete).
    pub(crate) fn scan(&self, cursor: u64, home: impl Fn(T) -> u64, mut f: impl FnMut(T)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let mask = self.mask();
        let bucket = cursor as usize & mask;
        let mut index = bucket;
        loop {
            let slot = self.slots[index];
            if slot == T::VACANT {
                break;
            }
            if home(slot) as usize & mask == bucket {
                f(slot);
            }
            index = (index + 1) & mask;
        }
        next_cursor(cursor, mask as u64)
    }
}

/// The reverse-binary increment of `dict.rs`: set the bits above the mask so
/// the carry of the reversed increment goes straight into the bucket bits.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask)
        .reverse_bits()
        .wrapping_add(1)
        .reverse_bits()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use std::collections::HashSet;

    /// Slots hold `v + 1` for a value `v`; the hash is deliberately weak (the
    /// value itself, or a constant) to force long runs and wrap-around.
    fn weak(v: u64) -> u64 {
        v - 1
    }

    fn find(t: &Table<u64>, v: u64, hash: impl Fn(u64) -> u64) -> Option<usize> {
        t.find(hash(v + 1), |s| s == v + 1)
    }

    #[test]
    fn member_hash_of_an_integer_string_is_the_integer_hash() {
        assert_eq!(hash_member(b"12345"), hash_int(12345));
        assert_eq!(hash_member(b"-7"), hash_int(-7));
        assert_eq!(hash_member(b"0"), hash_int(0));
        assert_ne!(hash_member(b"012"), hash_int(12), "not canonical");
        assert_ne!(hash_member(b"-0"), hash_int(0), "not canonical");
        assert_ne!(hash_member(b"a"), hash_member(b"b"));
    }

    #[test]
    fn removal_keeps_runs_that_wrap_around_the_end_findable() {
        // Everything hashes to the last slot, so the run wraps to slot 0.
        let last = |_: u64| 7u64;
        let mut t: Table<u64> = Table::with_capacity_for(6);
        assert_eq!(t.capacity(), 8);
        for v in 0..6 {
            t.insert(last(v), v + 1, last);
        }
        let at = find(&t, 2, last).unwrap();
        t.remove_at(at, last);
        for v in [0, 1, 3, 4, 5] {
            assert!(find(&t, v, last).is_some(), "lost {v}");
        }
        assert!(find(&t, 2, last).is_none());
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn model_test_against_hashset_with_weak_hashes() {
        let mut rng = SmallRng::seed_from_u64(11);
        for hash in [weak as fn(u64) -> u64, |v| (v - 1) / 3, |v| v * 7 % 64] {
            let mut t: Table<u64> = Table::new();
            let mut model = HashSet::new();
            for step in 0..20_000u64 {
                let space = if (step / 2000) % 2 == 0 { 500 } else { 30 };
                let v = rng.random_range(0..space);
                match find(&t, v, hash) {
                    Some(at) if rng.random_bool(0.5) => {
                        assert_eq!(t.remove_at(at, hash), v + 1);
                        assert!(model.remove(&v));
                    }
                    Some(_) => assert!(model.contains(&v)),
                    None => {
                        assert!(!model.contains(&v));
                        t.insert(hash(v + 1), v + 1, hash);
                        model.insert(v);
                    }
                }
                assert_eq!(t.len(), model.len());
                assert!(t.len() <= max_len(t.capacity()));
            }
            let mine: HashSet<u64> = t.iter().map(|(_, s)| s - 1).collect();
            assert_eq!(mine, model);
        }
    }

    #[test]
    fn shrinks_when_sparse_and_heap_bytes_follows_capacity() {
        let h = |s: u64| s.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut t: Table<u64> = Table::new();
        assert_eq!(t.heap_bytes(), 0);
        for v in 1..=1000 {
            t.insert(h(v), v, h);
        }
        assert_eq!(t.capacity(), 2048);
        assert_eq!(t.heap_bytes(), 2048 * 8);
        for v in 1..=990 {
            let at = t.find(h(v), |s| s == v).unwrap();
            t.remove_at(at, h);
        }
        assert!(t.capacity() <= 32, "{}", t.capacity());
        for v in 991..=1000 {
            assert!(t.find(h(v), |s| s == v).is_some());
        }
    }

    /// A full scan, running `between` after each step.
    fn full_scan(
        t: &mut Table<u64>,
        h: impl Fn(u64) -> u64 + Copy,
        mut between: impl FnMut(&mut Table<u64>),
    ) -> HashSet<u64> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = t.scan(cursor, h, |s| {
                seen.insert(s);
            });
            if cursor == 0 {
                return seen;
            }
            between(t);
        }
    }

    #[test]
    fn scan_returns_everything_present_throughout_despite_resizes() {
        let h = |s: u64| s.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
        let mut rng = SmallRng::seed_from_u64(5);
        for round in 0..30 {
            let mut t: Table<u64> = Table::new();
            let stable: Vec<u64> = (1..rng.random_range(2..400)).collect();
            for &v in &stable {
                t.insert(h(v), v, h);
            }
            let mut churn: Vec<u64> = Vec::new();
            let mut next = 1_000_000u64;
            let seen = full_scan(&mut t, h, |t| {
                if rng.random_bool(0.5) {
                    for _ in 0..rng.random_range(0..3000) {
                        next += 1;
                        t.insert(h(next), next, h);
                        churn.push(next);
                    }
                } else {
                    let keep = rng.random_range(0..=churn.len());
                    for v in churn.drain(keep..) {
                        let at = t.find(h(v), |s| s == v).unwrap();
                        t.remove_at(at, h);
                    }
                }
            });
            for v in &stable {
                assert!(seen.contains(v), "round {round}: missed {v}");
            }
        }
    }

    #[test]
    fn random_index_reaches_every_occupant() {
        let h = |s: u64| s;
        let mut t: Table<u64> = Table::new();
        let mut rng = SmallRng::seed_from_u64(1);
        assert_eq!(t.random_index(&mut rng), None);
        for v in 1..=5 {
            t.insert(h(v), v, h);
        }
        let seen: HashSet<u64> = (0..500)
            .map(|_| t.get(t.random_index(&mut rng).unwrap()))
            .collect();
        assert_eq!(seen, (1..=5).collect());
    }

    #[test]
    fn random_index_copes_with_a_table_presized_for_far_more() {
        let h = |s: u64| s;
        let mut t: Table<u64> = Table::with_capacity_for(100_000);
        t.insert(h(7), 7, h);
        t.insert(h(9), 9, h);
        let mut rng = SmallRng::seed_from_u64(4);
        let seen: HashSet<u64> = (0..100)
            .map(|_| t.get(t.random_index(&mut rng).unwrap()))
            .collect();
        assert_eq!(seen, [7, 9].into_iter().collect());
    }
}
