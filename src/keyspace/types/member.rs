//! `MemberRef` and `Arena`: how the large encodings store member bytes
//! without a heap allocation (and its pointer and size-class rounding) per
//! member.
//!
//! A [`MemberRef`] is one 8-byte word. Members of up to 7 bytes live inside
//! it; longer ones are a record (`varint length, bytes`) in an [`Arena`], a
//! single byte buffer owned by the set, and the word holds the record's
//! offset plus 16 bits of the member's hash, so a table probe rejects a
//! different long member without reading the arena. Cost per member:
//! 8 bytes if inline, else 8 + the length + 1 (+ arena slack, at most half
//! its size while it grows by 1.5x, and garbage until a compaction).
//!
//! Word layout (as a little-endian u64): all zero is vacant (a table slot
//! with no member); top bit set: inline, length in the low 3 bits of the
//! top byte, bytes in bytes 0..7; bit 62 set: arena reference, hash tag in
//! bits 40..56, offset in bits 0..40 (so an arena may hold 1 TiB).
//!
//! Removing a long member leaves its record as garbage. The owner compacts
//! when garbage passes half the arena *and* 8 bytes per table slot, so a
//! compaction (a walk over all slots) is paid for by the bytes it frees.

use super::codec::{get_varint, put_varint, reserve_gently, varint_len};
use super::mem::malloc_size;
use super::table::Slot;

/// Longest member stored inside its reference.
const INLINE_MAX: usize = 7;
const INLINE_FLAG: u64 = 1 << 63;
const ARENA_FLAG: u64 = 1 << 62;
const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;
const TAG_MASK: u64 = 0xffff << OFFSET_BITS;

/// A member: inline bytes or a tagged arena offset (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct MemberRef([u8; 8]);

impl Slot for MemberRef {
    const VACANT: Self = MemberRef([0; 8]);
}

impl MemberRef {
    fn word(self) -> u64 {
        u64::from_le_bytes(self.0)
    }

    fn from_word(word: u64) -> Self {
        MemberRef(word.to_le_bytes())
    }

    fn is_inline(self) -> bool {
        self.word() & INLINE_FLAG != 0
    }

    /// The reference for a short member, or None if it needs the arena.
    pub(crate) fn inline(member: &[u8]) -> Option<Self> {
        if member.len() > INLINE_MAX {
            return None;
        }
        let mut bytes = [0u8; 8];
        bytes[..member.len()].copy_from_slice(member);
        bytes[7] = 0x80 | member.len() as u8;
        Some(MemberRef(bytes))
    }

    fn arena(offset: usize, hash: u64) -> Self {
        debug_assert!((offset as u64) <= OFFSET_MASK, "arena past 1 TiB");
        let tag = (hash >> 48) << OFFSET_BITS;
        MemberRef::from_word(ARENA_FLAG | tag | offset as u64)
    }

    fn offset(self) -> usize {
        (self.word() & OFFSET_MASK) as usize
    }

    /// Whether this may be the long member whose hash is `hash` (compares
    /// the stored hash tag; always false for an inline reference).
    fn tag_matches(self, hash: u64) -> bool {
        !self.is_inline() && (self.word() & TAG_MASK) >> OFFSET_BITS == hash >> 48
    }
}

/// What a lookup compares table slots with, built once per lookup.
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a> {
    member: &'a [u8],
    hash: u64,
    inline: Option<MemberRef>,
}

impl<'a> Probe<'a> {
    pub(crate) fn new(member: &'a [u8], hash: u64) -> Self {
        Probe {
            member,
            hash,
            inline: MemberRef::inline(member),
        }
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }
}

/// The byte buffer holding long members (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    bytes: Vec<u8>,
    garbage: usize,
}

impl Arena {
    pub(crate) fn heap_bytes(&self) -> usize {
        malloc_size(self.bytes.capacity())
    }

    /// A reference to `member`, storing it in the arena if it is long.
    pub(crate) fn store(&mut self, member: &[u8], hash: u64) -> MemberRef {
        if let Some(inline) = MemberRef::inline(member) {
            return inline;
        }
        let offset = self.bytes.len();
        reserve_gently(
            &mut self.bytes,
            varint_len(member.len() as u64) + member.len(),
        );
        put_varint(&mut self.bytes, member.len() as u64);
        self.bytes.extend_from_slice(member);
        MemberRef::arena(offset, hash)
    }

    /// The member's bytes (borrowed from the reference itself if inline).
    pub(crate) fn get<'a>(&'a self, r: &'a MemberRef) -> &'a [u8] {
        if r.is_inline() {
            let len = usize::from(r.0[7] & 0x7);
            return &r.0[..len];
        }
        let (len, start) = get_varint(&self.bytes, r.offset());
        &self.bytes[start..start + len as usize]
    }

    /// Whether `r` refers to the probed member.
    pub(crate) fn matches(&self, r: MemberRef, probe: &Probe<'_>) -> bool {
        match probe.inline {
            Some(inline) => r == inline,
            None => r.tag_matches(probe.hash) && self.get(&r) == probe.member,
        }
    }

    /// Marks a removed member's record as garbage.
    pub(crate) fn release(&mut self, r: MemberRef) {
        if !r.is_inline() {
            let (len, start) = get_varint(&self.bytes, r.offset());
            self.garbage += start - r.offset() + len as usize;
        }
    }

    /// Whether compacting now would pay for itself (see the module docs);
    /// `slots` is how many references the owner would have to walk.
    pub(crate) fn wants_compaction(&self, slots: usize) -> bool {
        self.garbage * 2 > self.bytes.len() && self.garbage >= slots.saturating_mul(8).max(4096)
    }

    /// Starts a compaction: the owner passes every live reference through
    /// [`Compaction::relocate`], stores what it returns, then calls
    /// [`Arena::finish`].
    pub(crate) fn start_compaction(&mut self) -> Compaction {
        let live = self.bytes.len() - self.garbage;
        Compaction {
            old: std::mem::take(&mut self.bytes),
            new: Vec::with_capacity(live),
        }
    }

    pub(crate) fn finish(&mut self, compaction: Compaction) {
        let mut bytes = compaction.new;
        bytes.shrink_to_fit();
        self.bytes = bytes;
        self.garbage = 0;
    }
}

/// An arena being rewritten with only its live records.
pub(crate) struct Compaction {
    old: Vec<u8>,
    new: Vec<u8>,
}

impl Compaction {
    /// Copies a live record into the new arena; returns its new reference.
    pub(crate) fn relocate(&mut self, r: MemberRef) -> MemberRef {
        if r.is_inline() {
            return r;
        }
        let (len, start) = get_varint(&self.old, r.offset());
        let end = start + len as usize;
        let offset = self.new.len();
        self.new.extend_from_slice(&self.old[r.offset()..end]);
        MemberRef::from_word((r.word() & !OFFSET_MASK) | offset as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::types::table::hash_member;

    #[test]
    fn short_members_live_inline_long_ones_in_the_arena() {
        let mut arena = Arena::default();
        for member in [&b""[..], b"a", b"\0\0", b"1234567"] {
            let r = arena.store(member, hash_member(member));
            assert!(r.is_inline());
            assert_ne!(r, MemberRef::VACANT, "even the empty member is not vacant");
            assert_eq!(arena.get(&r), member);
        }
        assert_eq!(arena.heap_bytes(), 0);
        let long = b"member:12345678";
        let r = arena.store(long, hash_member(long));
        assert!(!r.is_inline());
        assert_eq!(arena.get(&r), long);
        assert_eq!(arena.bytes.len(), 1 + long.len());
    }

    #[test]
    fn probes_match_only_their_member() {
        let mut arena = Arena::default();
        let members: Vec<Vec<u8>> = (0..50).map(|i| "x".repeat(i).into_bytes()).collect();
        let refs: Vec<MemberRef> = members
            .iter()
            .map(|m| arena.store(m, hash_member(m)))
            .collect();
        for (i, m) in members.iter().enumerate() {
            let probe = Probe::new(m, hash_member(m));
            for (j, r) in refs.iter().enumerate() {
                assert_eq!(arena.matches(*r, &probe), i == j, "{i} vs {j}");
            }
        }
    }

    #[test]
    fn compaction_keeps_live_records_and_drops_garbage() {
        let mut arena = Arena::default();
        let members: Vec<Vec<u8>> = (0..1000)
            .map(|i| format!("long-member-{i:06}").into_bytes())
            .collect();
        let mut refs: Vec<MemberRef> = members
            .iter()
            .map(|m| arena.store(m, hash_member(m)))
            .collect();
        let full = arena.bytes.len();
        for r in refs.iter().skip(100) {
            arena.release(*r);
        }
        assert!(arena.wants_compaction(100));
        assert!(
            !arena.wants_compaction(10_000),
            "walking many slots must be paid for"
        );
        let mut c = arena.start_compaction();
        for r in refs.iter_mut().take(100) {
            *r = c.relocate(*r);
        }
        arena.finish(c);
        assert_eq!(arena.bytes.len(), full / 10);
        assert_eq!(arena.heap_bytes(), malloc_size(full / 10));
        for (m, r) in members.iter().zip(&refs).take(100) {
            assert_eq!(arena.get(r), &m[..]);
            assert!(arena.matches(*r, &Probe::new(m, hash_member(m))));
        }
    }
}
