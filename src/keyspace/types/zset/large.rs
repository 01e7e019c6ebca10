//! `Large`: the large sorted set (OBJECT ENCODING says `skiplist`, as
//! Redis's does; it is a B+tree here).
//!
//! Three parts, none of which stores a member twice:
//!
//! * **Entries**: a slab of 16-byte `(score, member)` records, addressed by
//!   a `u32` id; members of up to 7 bytes live in the record, longer ones
//!   in an [`Arena`]. Freed ids are reused; a slab left more than half
//!   empty is renumbered (in score order, which also restores locality).
//! * **Order**: a [`Tree`] of ids ordered by (score, member), with subtree
//!   counts, for rank, score and lex lookups in O(log n): about 6 bytes per
//!   member.
//! * **Index**: an open-addressing [`Table`] of 8-byte words (32 hash bits
//!   and the id), member -> entry in O(1): a probe compares hash bits and
//!   reads an entry only on a match. About 10 to 20 bytes per member.
//!
//! So `m12345` with any score costs 16 + ~6 + ~10 (100k members) ≈ 32-35
//! bytes, where Redis's skiplist node, dict entry and sds take about 106.
//! A member over 7 bytes adds its length + 1 in the arena.

use rand::Rng;

use std::cmp::Ordering;

use super::tree::Tree;
use super::{ZSetError, cmp_score};
use crate::keyspace::types::codec::reserve_gently;
use crate::keyspace::types::mem::malloc_size;
use crate::keyspace::types::member::{Arena, MemberRef};
use crate::keyspace::types::table::{Slot, Table, hash_bytes};

/// End of the free-id list.
const NO_FREE: u32 = u32::MAX;
/// Ids stay below this so that `id + 1` fits an index word's low half.
const MAX_ENTRIES: usize = u32::MAX as usize - 1;
/// Slabs this small are never renumbered.
const MIN_RENUMBER: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Entry {
    score: f64,
    /// Vacant for a freed id, whose `score` bits then hold the next free id.
    member: MemberRef,
}

#[derive(Clone, Debug)]
struct Store {
    entries: Vec<Entry>,
    free: u32,
    live: usize,
    arena: Arena,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            entries: Vec::new(),
            free: NO_FREE,
            live: 0,
            arena: Arena::default(),
        }
    }
}

impl Store {
    fn member(&self, id: u32) -> &[u8] {
        self.arena.get(&self.entries[id as usize].member)
    }

    fn score(&self, id: u32) -> f64 {
        self.entries[id as usize].score
    }

    /// The score of entry `id`, unless the tree already knows it.
    fn score_hinted(&self, id: u32, hint: Option<f64>) -> f64 {
        hint.unwrap_or_else(|| self.score(id))
    }

    /// Whether entry `id` (whose score is `hint`, if the tree knows it)
    /// sorts before (score, member); reads the entry only if it must.
    fn before(&self, id: u32, hint: Option<f64>, score: f64, member: &[u8]) -> bool {
        match cmp_score(self.score_hinted(id, hint), score) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.member(id) < member,
        }
    }

    fn alloc(&mut self, member: &[u8], hash: u64, score: f64) -> Result<u32, ZSetError> {
        if self.live >= MAX_ENTRIES {
            return Err(ZSetError::Full);
        }
        let entry = Entry {
            score,
            member: self.arena.store(member, hash),
        };
        let id = if self.free == NO_FREE {
            reserve_gently(&mut self.entries, 1);
            self.entries.push(entry);
            (self.entries.len() - 1) as u32
        } else {
            let id = self.free;
            self.free = self.entries[id as usize].score.to_bits() as u32;
            self.entries[id as usize] = entry;
            id
        };
        self.live += 1;
        Ok(id)
    }

    fn release(&mut self, id: u32) {
        let entry = &mut self.entries[id as usize];
        self.arena.release(entry.member);
        *entry = Entry {
            score: f64::from_bits(u64::from(self.free)),
            member: MemberRef::VACANT,
        };
        self.free = id;
        self.live -= 1;
    }
}

/// An index word: the member's 32 hash bits above `id + 1`.
fn word(hash32: u64, id: u32) -> u64 {
    hash32 << 32 | (u64::from(id) + 1)
}

fn word_id(word: u64) -> u32 {
    (word as u32).wrapping_sub(1)
}

/// An index word's hash, which is also its home in the table.
fn word_home(word: u64) -> u64 {
    word >> 32
}

fn hash32(member: &[u8]) -> u64 {
    hash_bytes(member) >> 32
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Large {
    store: Store,
    index: Table<u64>,
    tree: Tree,
}

impl Large {
    pub(crate) fn with_capacity_for(len: usize) -> Self {
        Large {
            index: Table::with_capacity_for(len),
            ..Large::default()
        }
    }

    /// A large set of `entries`, given in order.
    pub(crate) fn from_sorted<'a>(
        entries: impl ExactSizeIterator<Item = (&'a [u8], f64)>,
        capacity_for: usize,
    ) -> Self {
        let mut large = Large::with_capacity_for(capacity_for.max(entries.len()));
        large.store.entries.reserve_exact(entries.len());
        for (member, score) in entries {
            let hash = hash_bytes(member);
            // A listpack never holds anywhere near `MAX_ENTRIES` members.
            let Ok(id) = large.store.alloc(member, hash, score) else {
                break;
            };
            large
                .index
                .insert(hash >> 32, word(hash >> 32, id), word_home);
        }
        let ids: Vec<u32> = (0..large.store.live as u32).collect();
        let store = &large.store;
        large.tree = Tree::from_sorted(&ids, &|id| store.score(id));
        large
    }

    pub(crate) fn len(&self) -> usize {
        self.tree.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        malloc_size(self.store.entries.capacity() * size_of::<Entry>())
            + self.store.arena.heap_bytes()
            + self.index.heap_bytes()
            + self.tree.heap_bytes()
    }

    /// The index slot and id of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, u32)> {
        let h = hash32(member);
        let slot = self.index.find(h, |w| {
            word_home(w) == h && self.store.member(word_id(w)) == member
        })?;
        Some((slot, word_id(self.index.get(slot))))
    }

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, id)| self.store.score(id))
    }

    /// The rank of an entry that is in the tree.
    fn rank_of(&self, id: u32) -> usize {
        let (score, member) = (self.store.score(id), self.store.member(id));
        self.tree
            .partition_point(|x, hint| self.store.before(x, hint, score, member))
    }

    pub(crate) fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.find(member)
            .map(|(_, id)| (self.rank_of(id), self.store.score(id)))
    }

    /// Sets `member`'s score; returns the previous one, if it was there.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) -> Result<Option<f64>, ZSetError> {
        if let Some((_, id)) = self.find(member) {
            let old = self.store.score(id);
            if old != score {
                let rank = self.rank_of(id);
                let store = &self.store;
                let removed = self.tree.remove(rank, &|x| store.score(x));
                debug_assert_eq!(removed, Some(id));
                self.store.entries[id as usize].score = score;
                let store = &self.store;
                self.tree
                    .insert(id, |x, hint| store.before(x, hint, score, member), &|x| {
                        store.score(x)
                    });
            }
            return Ok(Some(old));
        }
        let hash = hash_bytes(member);
        let id = self.store.alloc(member, hash, score)?;
        self.index
            .insert(hash >> 32, word(hash >> 32, id), word_home);
        let store = &self.store;
        self.tree
            .insert(id, |x, hint| store.before(x, hint, score, member), &|x| {
                store.score(x)
            });
        Ok(None)
    }

    pub(crate) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (slot, id) = self.find(member)?;
        let score = self.store.score(id);
        let rank = self.rank_of(id);
        let store = &self.store;
        let removed = self.tree.remove(rank, &|x| store.score(x));
        debug_assert_eq!(removed, Some(id));
        self.index.remove_at(slot, word_home);
        self.store.release(id);
        self.compact_if_sparse();
        Some(score)
    }

    /// Drops an entry that has left the tree from the index and the slab.
    fn forget(&mut self, id: u32) {
        let h = hash32(self.store.member(id));
        if let Some(slot) = self.index.find(h, |w| word_id(w) == id) {
            self.index.remove_at(slot, word_home);
        }
        self.store.release(id);
    }

    /// The ranks `lo..hi` between the leading entries whose score is
    /// `below_min` and the trailing ones `above_max`: two descents, which
    /// read entries only at the leaves.
    pub(crate) fn span_by_score(
        &self,
        below_min: impl Fn(f64) -> bool,
        above_max: impl Fn(f64) -> bool,
    ) -> (usize, usize) {
        let score = |id, hint| self.store.score_hinted(id, hint);
        let lo = self
            .tree
            .partition_point(|id, hint| below_min(score(id, hint)));
        let hi = self
            .tree
            .partition_point(|id, hint| !above_max(score(id, hint)));
        (lo, hi.max(lo))
    }

    /// As [`Self::span_by_score`], by member.
    pub(crate) fn span_by_member(
        &self,
        below_min: impl Fn(&[u8]) -> bool,
        above_max: impl Fn(&[u8]) -> bool,
    ) -> (usize, usize) {
        let member = |id| self.store.member(id);
        let lo = self.tree.partition_point(|id, _| below_min(member(id)));
        let hi = self.tree.partition_point(|id, _| !above_max(member(id)));
        (lo, hi.max(lo))
    }

    pub(crate) fn iter_ranks(&self, lo: usize, hi: usize, reverse: bool) -> Iter<'_> {
        let hi = hi.min(self.len());
        Iter {
            large: self,
            lo: lo.min(hi),
            hi,
            reverse,
            leaf: &[],
            leaf_first: 0,
        }
    }

    /// Removes ranks `lo..hi`, handing each entry to `f` first (ascending,
    /// or descending if `reverse`).
    pub(crate) fn remove_ranks(
        &mut self,
        lo: usize,
        hi: usize,
        reverse: bool,
        mut f: impl FnMut(&[u8], f64),
    ) {
        let hi = hi.min(self.len());
        let n = hi.saturating_sub(lo);
        if n > MIN_RENUMBER && n * 4 > self.len() {
            // A big slice: rebuild the tree from what stays.
            let mut ids = Vec::with_capacity(self.len());
            self.tree.for_each_leaf(|leaf| ids.extend_from_slice(leaf));
            let mut removed: Vec<u32> = ids.drain(lo..hi).collect();
            if reverse {
                removed.reverse();
            }
            let store = &self.store;
            self.tree = Tree::from_sorted(&ids, &|id| store.score(id));
            for id in removed {
                f(self.store.member(id), self.store.score(id));
                self.forget(id);
            }
        } else {
            for k in 0..n {
                let rank = if reverse { hi - 1 - k } else { lo };
                let store = &self.store;
                let Some(id) = self.tree.remove(rank, &|x| store.score(x)) else {
                    break;
                };
                f(self.store.member(id), self.store.score(id));
                self.forget(id);
            }
        }
        self.compact_if_sparse();
    }

    /// Renumbers a slab left more than half empty and compacts an arena
    /// that is mostly garbage.
    fn compact_if_sparse(&mut self) {
        let slots = self.store.entries.len();
        if slots > MIN_RENUMBER && self.store.live * 2 < slots {
            self.renumber();
        }
        if self.store.arena.wants_compaction(self.store.entries.len()) {
            let mut compaction = self.store.arena.start_compaction();
            for e in self.store.entries.iter_mut() {
                if e.member != MemberRef::VACANT {
                    e.member = compaction.relocate(e.member);
                }
            }
            self.store.arena.finish(compaction);
        }
    }

    /// Gives the live entries ids 0..len in score order.
    fn renumber(&mut self) {
        let mut remap = vec![NO_FREE; self.store.entries.len()];
        let mut entries = Vec::with_capacity(self.store.live);
        self.tree.for_each_leaf(|leaf| {
            for &old in leaf {
                remap[old as usize] = entries.len() as u32;
                entries.push(self.store.entries[old as usize]);
            }
        });
        self.store.entries = entries;
        self.store.free = NO_FREE;
        self.tree.rewrite_ids(|old| remap[old as usize]);
        self.index
            .rewrite(|w| word(word_home(w), remap[word_id(w) as usize]));
    }

    /// Index slots, for sampling: how many, and the entry in one.
    pub(crate) fn slot_count(&self) -> usize {
        self.index.capacity()
    }

    pub(crate) fn slot_entry(&self, slot: usize) -> Option<(&[u8], f64)> {
        self.index.is_occupied(slot).then(|| {
            let id = word_id(self.index.get(slot));
            (self.store.member(id), self.store.score(id))
        })
    }

    pub(crate) fn random_slot<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        self.index.random_index(rng)
    }

    pub(crate) fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        self.index.scan(cursor, word_home, |w| {
            let id = word_id(w);
            f(self.store.member(id), self.store.score(id))
        })
    }
}

/// Iterator over a rank range, yielding (member, score); it keeps the
/// current leaf, so walking m entries costs O(log n + m).
pub(crate) struct Iter<'a> {
    large: &'a Large,
    lo: usize,
    hi: usize,
    reverse: bool,
    leaf: &'a [u32],
    leaf_first: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.lo >= self.hi {
            return None;
        }
        let rank = if self.reverse {
            self.hi -= 1;
            self.hi
        } else {
            self.lo += 1;
            self.lo - 1
        };
        if !(self.leaf_first..self.leaf_first + self.leaf.len()).contains(&rank) {
            (self.leaf, self.leaf_first) = self.large.tree.leaf_at(rank)?;
        }
        let id = self.leaf[rank - self.leaf_first];
        let store = &self.large.store;
        Some((store.member(id), store.score(id)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.hi - self.lo;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}
