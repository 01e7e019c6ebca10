//! Editing packed sequences: [`splice`] and its special cases at the front
//! of a list run, the append-only [`Builder`], and [`Packed`], the owned
//! sequence that keeps its buffer at an allocator size class.

use std::fmt;
use std::ops::Range;

use super::{Coding, Cursor, Elem, Header, MAX_CODED, Position, read_header, stored};
use crate::keyspace::types::mem::{malloc_size, vec_bytes};

/// How a buffer grows when a splice needs more room.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Growth {
    /// To exactly the length needed (buffers kept as exact-size boxes).
    Exact,
    /// To the end of the allocator size class of the length needed, so the
    /// following small appends fit without reallocating.
    SizeClass,
}

/// The first `MAX_CODED` bytes of an entry: all that coding a successor
/// against it needs, since only entries that short are coded.
#[derive(Clone, Copy)]
struct Prefix {
    len: usize,
    bytes: [u8; MAX_CODED],
}

impl Prefix {
    const EMPTY: Prefix = Prefix {
        len: 0,
        bytes: [0; MAX_CODED],
    };

    fn of(entry: &[u8]) -> Prefix {
        let mut p = Prefix::EMPTY;
        p.set(entry);
        p
    }

    fn set(&mut self, entry: &[u8]) {
        self.len = entry.len().min(MAX_CODED);
        self.bytes[..self.len].copy_from_slice(&entry[..self.len]);
    }

    /// Appends `more`, which must fit (a coded entry's suffix does).
    fn extend(&mut self, more: &[u8]) {
        self.bytes[self.len..self.len + more.len()].copy_from_slice(more);
        self.len += more.len();
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Most segments a splice rewrites: the run, plus one per lane after a
/// follower that is kept as it is.
const MAX_SEGMENTS: usize = 4;

/// Replaces `remove` entries from `at` with `insert`.
///
/// `at` must have been reached by a cursor over `buf` as it is now, and
/// `insert.len()` and `remove` must be congruent modulo `S` so that the
/// entries after the run stay in their lanes. Only the run and the first
/// entry of each lane after it (its *follower*, whose predecessor changes)
/// are rewritten; a follower too long to be coded keeps its bytes, so the
/// rewrite is cut into segments around it.
pub(crate) fn splice<const S: usize>(
    buf: &mut Vec<u8>,
    at: &Position<S>,
    remove: usize,
    insert: &[&[u8]],
    growth: Growth,
) {
    const { assert!(S >= 1 && S < MAX_SEGMENTS) };
    debug_assert_eq!(insert.len() % S, remove % S, "lanes must stay aligned");
    // Everything the new codings depend on is copied out before bytes move:
    // the predecessors of the first entries, and the short followers.
    let preds: [Prefix; S] =
        std::array::from_fn(|k| Prefix::of(at.lanes[(at.index + k) % S].content(buf)));
    let mut cursor = Cursor::resume(&buf[..], at.clone());
    let removed = cursor.skip(remove);
    debug_assert_eq!(removed, remove, "splice past the end");
    let mut segments: [_; MAX_SEGMENTS] = std::array::from_fn(|_| (0..0, 0..0));
    let mut count = 0;
    let mut current = (at.pos..cursor.at.pos, 0..insert.len());
    let mut followers = [Prefix::EMPTY; S];
    for (t, follower) in followers.iter_mut().enumerate() {
        if !cursor.advance() {
            break;
        }
        let content = cursor.last();
        if content.len() <= MAX_CODED {
            follower.set(content);
            current.0.end = cursor.at.pos;
            current.1.end = insert.len() + t + 1;
        } else {
            let next = insert.len() + t + 1;
            segments[count] =
                std::mem::replace(&mut current, (cursor.at.pos..cursor.at.pos, next..next));
            count += 1;
        }
    }
    segments[count] = current;
    count += 1;

    let piece = |k: usize| -> &[u8] {
        match insert.get(k) {
            Some(entry) => entry,
            None => followers[k - insert.len()].as_slice(),
        }
    };
    let pred = |k: usize| -> &[u8] {
        if k >= S {
            piece(k - S)
        } else {
            preds[k].as_slice()
        }
    };
    let coding = |k: usize| Coding::of(pred(k), piece(k));
    for (old, pieces) in segments[..count].iter().rev().cloned() {
        let new_len = pieces.clone().map(|k| coding(k).len(piece(k))).sum();
        resize_gap(buf, old.clone(), new_len, growth);
        let mut w = old.start;
        for k in pieces {
            w += coding(k).write(&mut buf[w..], piece(k));
        }
    }
}

/// Makes the bytes at `old` take `new_len` bytes, moving what follows.
fn resize_gap(buf: &mut Vec<u8>, old: Range<usize>, new_len: usize, growth: Growth) {
    let len = buf.len();
    if new_len > old.len() {
        let extra = new_len - old.len();
        let needed = len + extra;
        if needed > buf.capacity() {
            let target = match growth {
                Growth::Exact => needed,
                Growth::SizeClass => malloc_size(needed),
            };
            buf.reserve_exact(target - len);
        }
        buf.resize(needed, 0);
        buf.copy_within(old.end..len, old.end + extra);
    } else if new_len < old.len() {
        buf.copy_within(old.end..len, old.start + new_len);
        buf.truncate(len - (old.len() - new_len));
    }
}

/// Encodes a sequence appended in order (rebuilding nodes, buckets, tables).
pub(crate) struct Builder<const S: usize> {
    bytes: Vec<u8>,
    count: usize,
    prev: [Prefix; S],
}

impl<const S: usize> Builder<S> {
    pub(crate) fn new() -> Self {
        Builder {
            bytes: Vec::new(),
            count: 0,
            prev: [Prefix::EMPTY; S],
        }
    }

    pub(crate) fn push(&mut self, entry: &[u8]) {
        let lane = &mut self.prev[self.count % S];
        let coding = Coding::of(lane.as_slice(), entry);
        let start = self.bytes.len();
        self.bytes.resize(start + coding.len(entry), 0);
        coding.write(&mut self.bytes[start..], entry);
        lane.set(entry);
        self.count += 1;
    }

    /// Pushes `entry` if the bytes stay within `limit`; false otherwise.
    pub(crate) fn push_within(&mut self, entry: &[u8], limit: usize) -> bool {
        let coding = Coding::of(self.prev[self.count % S].as_slice(), entry);
        let start = self.bytes.len();
        if start + coding.len(entry) > limit {
            return false;
        }
        self.bytes.resize(start + coding.len(entry), 0);
        coding.write(&mut self.bytes[start..], entry);
        self.prev[self.count % S].set(entry);
        self.count += 1;
        true
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }

    pub(crate) fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// The entries so far as an exactly sized buffer; empties the builder
    /// for reuse.
    pub(crate) fn take_boxed(&mut self) -> Box<[u8]> {
        let boxed = Box::from(&self.bytes[..]);
        self.bytes.clear();
        self.count = 0;
        self.prev = [Prefix::EMPTY; S];
        boxed
    }

    #[cfg(test)]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// [`splice`] on an exactly sized buffer (the buckets of a large hash).
pub(crate) fn splice_boxed<const S: usize>(
    buf: &mut Box<[u8]>,
    at: &Position<S>,
    remove: usize,
    insert: &[&[u8]],
) {
    let mut bytes = Vec::from(std::mem::take(buf));
    splice(&mut bytes, at, remove, insert, Growth::Exact);
    *buf = bytes.into_boxed_slice();
}

/// An owned packed sequence that tracks its entry count and keeps its
/// buffer's capacity at an allocator size class.
#[derive(Clone, Default)]
pub(crate) struct Packed<const S: usize> {
    bytes: Vec<u8>,
    len: usize,
}

impl<const S: usize> Packed<S> {
    pub(crate) const fn new() -> Self {
        Packed {
            bytes: Vec::new(),
            len: 0,
        }
    }

    /// Takes a builder's entries, trimming the buffer to its size class.
    pub(crate) fn from_builder(builder: Builder<S>) -> Self {
        let mut packed = Packed {
            bytes: builder.bytes,
            len: builder.count,
        };
        packed.shrink_to_fit();
        packed
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Bytes allocated for the buffer, allocator rounding included.
    pub(crate) fn heap_bytes(&self) -> usize {
        vec_bytes(&self.bytes)
    }

    pub(crate) fn cursor(&self) -> Cursor<'_, S> {
        Cursor::new(&self.bytes)
    }

    /// The position before entry `index` (`len()` for the end).
    pub(crate) fn position(&self, index: usize) -> Option<Position<S>> {
        let mut cursor = self.cursor();
        (cursor.skip(index) == index).then(|| cursor.into_position())
    }

    pub(crate) fn get(&self, index: usize) -> Option<Elem<'_>> {
        let mut cursor = self.cursor();
        cursor.skip(index);
        cursor.next_elem()
    }

    /// See [`splice`]; `at` must come from a cursor over this sequence.
    pub(crate) fn splice(&mut self, at: &Position<S>, remove: usize, insert: &[&[u8]]) {
        splice(&mut self.bytes, at, remove, insert, Growth::SizeClass);
        self.len = self.len + insert.len() - remove;
        self.trim();
    }

    /// Gives back the buffer's second half once it is unused.
    fn trim(&mut self) {
        if malloc_size(self.bytes.len()) * 2 <= vec_bytes(&self.bytes) {
            self.shrink_to_fit();
        }
    }

    pub(crate) fn insert(&mut self, index: usize, entry: &[u8]) -> bool {
        self.position(index)
            .map(|at| self.splice(&at, 0, &[entry]))
            .is_some()
    }

    /// Removes `count` entries from `index`; false (and no change) if there
    /// are not that many.
    pub(crate) fn remove(&mut self, index: usize, count: usize) -> bool {
        let fits = index.checked_add(count).is_some_and(|end| end <= self.len);
        if fits && let Some(at) = self.position(index) {
            self.splice(&at, count, &[]);
        }
        fits
    }

    /// Trims the buffer to the size class of its length.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to(malloc_size(self.bytes.len()));
    }
}

/// The ends of a list run get their own paths: one move of the bytes behind
/// and two small writes, where [`splice`]'s generality would cost as much
/// again on the hottest operations.
impl Packed<1> {
    /// The first entry's header; it is always stored whole.
    fn first(&self) -> Option<Header> {
        (!self.bytes.is_empty()).then(|| {
            let h = read_header(&self.bytes, 0);
            debug_assert_eq!(h.shared, 0, "the first entry is stored whole");
            h
        })
    }

    /// Inserts `entry` as the new first entry.
    pub(crate) fn push_front(&mut self, entry: &[u8]) {
        let head = Coding::of(&[], entry);
        let head_len = head.len(entry);
        let mut buf = itoa::Buffer::new();
        match self.first() {
            // A long first entry is never coded, so it stays as it is.
            Some(h) if h.int || h.suffix.len() <= MAX_CODED => {
                let old = Prefix::of(stored(&self.bytes, &h, &mut buf));
                let old = old.as_slice();
                let recoded = Coding::of(entry, old);
                let len = head_len + recoded.len(old);
                resize_gap(&mut self.bytes, 0..h.suffix.end, len, Growth::SizeClass);
                recoded.write(&mut self.bytes[head_len..], old);
            }
            _ => resize_gap(&mut self.bytes, 0..0, head_len, Growth::SizeClass),
        }
        head.write(&mut self.bytes, entry);
        self.len += 1;
    }

    /// Removes the first entry, handing its bytes to `f` first.
    pub(crate) fn pop_front_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let first = self.first()?;
        let mut buf = itoa::Buffer::new();
        let content = stored(&self.bytes, &first, &mut buf);
        let result = f(content);
        let end = first.suffix.end;
        let next = (end < self.bytes.len()).then(|| read_header(&self.bytes, end));
        match next {
            // The second entry becomes first and must be stored whole.
            Some(h) if h.shared > 0 => {
                let mut whole = Prefix::of(&content[..h.shared]);
                whole.extend(&self.bytes[h.suffix.clone()]);
                let whole = whole.as_slice();
                let coding = Coding::of(&[], whole);
                let len = coding.len(whole);
                resize_gap(&mut self.bytes, 0..h.suffix.end, len, Growth::SizeClass);
                coding.write(&mut self.bytes, whole);
            }
            _ => resize_gap(&mut self.bytes, 0..end, 0, Growth::SizeClass),
        }
        self.len -= 1;
        self.trim();
        Some(result)
    }
}

impl<const S: usize> fmt::Debug for Packed<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut cursor = self.cursor();
        while let Some(entry) = cursor.next_entry() {
            list.entry(&entry.escape_ascii().to_string());
        }
        list.finish()
    }
}
