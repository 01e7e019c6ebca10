//! `Packed`: a sequence of byte strings in one contiguous buffer, front coded.
//! It is the building block of the compact list and hash encodings (list
//! nodes, small hashes, the buckets of large hashes).
//!
//! # Format
//!
//! Entries follow each other with no index and no terminator. Entry `i` is
//! coded against its *predecessor* `i - S`, where the stride `S` interleaves
//! independent lanes: a list uses `S = 1`; a hash stores field, value, field,
//! value with `S = 2`, so fields are coded against the previous field and
//! values against the previous value. An entry is
//!
//! ```text
//! header: shared (high nibble) | suffix length (low nibble)
//! [varint shared - 15]         if the high nibble is 15
//! [varint suffix length - 15]  if the low nibble is 15
//! suffix bytes
//! ```
//!
//! and its content is the first `shared` bytes of its predecessor followed by
//! the suffix. `shared` is always the longest common prefix with the
//! predecessor, except that entries longer than [`MAX_CODED`] bytes are never
//! coded (`shared` is 0). The encoding is therefore canonical: the bytes are
//! a function of the entries alone, whatever sequence of edits produced them.
//!
//! # Cost per entry
//!
//! One header byte plus the unshared suffix: `item41` after `item40` costs 2
//! bytes, `f41`/`v10041` after `f40`/`v10040` cost 2 + 2. An uncoded entry
//! costs 1 + len below 15 bytes and 2 + len below 143; listpack's cost is
//! 2 + len below 64 (encoding byte and back length). There is no integer
//! tag: front coding already shrinks runs of nearby numbers to a byte or two,
//! and keeping every entry as its text lets readers borrow the bytes instead
//! of formatting them.
//!
//! # Reading
//!
//! Decoding is sequential. A [`Cursor`] keeps, per lane, where the current
//! entry's bytes are: in the buffer (uncoded entries are borrowed, however
//! long) or assembled in a `MAX_CODED`-byte scratch (coded entries are never
//! longer), so reading never allocates. Looking a key up in lane 0
//! ([`Cursor::find`]) does not even assemble keys: it tracks how much of the
//! wanted key the current entry matches and decides from each header and
//! suffix alone.
//!
//! # Editing
//!
//! [`splice`] replaces a run of entries at a [`Position`] reached by a
//! cursor, re-encoding only the first entry of each lane after the run (the
//! only ones whose predecessor changed), with one move of the bytes behind.

use std::fmt;
use std::ops::{Deref, Range};

use super::mem::{malloc_size, vec_bytes};

/// Entries up to this long may share a prefix with their predecessor; longer
/// ones are stored whole so that reading them never copies.
pub(crate) const MAX_CODED: usize = 64;

/// Nibble value meaning "a varint with the rest follows".
const NIBBLE_ESCAPE: usize = 15;

/// A lane's `at` when its content is in its scratch buffer.
const IN_SCRATCH: usize = usize::MAX;

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn put_varint(out: &mut [u8], mut v: usize) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        out[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    out[n] = v as u8;
    n + 1
}

#[inline]
fn get_varint(bytes: &[u8], pos: &mut usize) -> usize {
    let mut v = 0usize;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        v |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// Length of the common prefix of `a` and `b`.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// How many bytes of `pred` the entry `entry` shares when coded after it.
#[inline]
fn shared_with(pred: &[u8], entry: &[u8]) -> usize {
    if entry.len() > MAX_CODED {
        0
    } else {
        common_prefix(pred, entry)
    }
}

/// Encoded size of an entry sharing `shared` bytes and storing `suffix` more.
fn encoded_len(shared: usize, suffix: usize) -> usize {
    let extra = |n: usize| {
        if n >= NIBBLE_ESCAPE {
            varint_len(n - NIBBLE_ESCAPE)
        } else {
            0
        }
    };
    1 + extra(shared) + extra(suffix) + suffix
}

/// Writes `entry` coded with `shared` bytes of prefix; returns the length.
fn write_entry(out: &mut [u8], shared: usize, entry: &[u8]) -> usize {
    let suffix = &entry[shared..];
    out[0] = (shared.min(NIBBLE_ESCAPE) << 4 | suffix.len().min(NIBBLE_ESCAPE)) as u8;
    let mut n = 1;
    for v in [shared, suffix.len()] {
        if v >= NIBBLE_ESCAPE {
            n += put_varint(&mut out[n..], v - NIBBLE_ESCAPE);
        }
    }
    out[n..n + suffix.len()].copy_from_slice(suffix);
    n + suffix.len()
}

/// A decoded entry header.
struct Header {
    shared: usize,
    /// Where the suffix lies in the buffer; its end is where the next entry starts.
    suffix: Range<usize>,
}

#[inline]
fn read_header(bytes: &[u8], mut pos: usize) -> Header {
    let h = usize::from(bytes[pos]);
    pos += 1;
    let mut shared = h >> 4;
    let mut suffix = h & 0xf;
    if shared == NIBBLE_ESCAPE {
        shared += get_varint(bytes, &mut pos);
    }
    if suffix == NIBBLE_ESCAPE {
        suffix += get_varint(bytes, &mut pos);
    }
    Header {
        shared,
        suffix: pos..pos + suffix,
    }
}

/// The latest decoded entry of one lane.
#[derive(Clone)]
struct Lane {
    /// Offset of the content in the buffer, or `IN_SCRATCH`.
    at: usize,
    len: usize,
    scratch: [u8; MAX_CODED],
}

impl Lane {
    /// A lane before its first entry: an empty predecessor shares nothing.
    const EMPTY: Lane = Lane {
        at: 0,
        len: 0,
        scratch: [0; MAX_CODED],
    };

    fn content<'a>(&'a self, bytes: &'a [u8]) -> &'a [u8] {
        if self.at == IN_SCRATCH {
            &self.scratch[..self.len]
        } else {
            &bytes[self.at..self.at + self.len]
        }
    }

    fn elem<'a>(&self, bytes: &'a [u8]) -> Elem<'a> {
        if self.at == IN_SCRATCH {
            Elem(Repr::Inline {
                len: self.len as u8,
                buf: self.scratch,
            })
        } else {
            Elem(Repr::Borrowed(&bytes[self.at..self.at + self.len]))
        }
    }

    /// Moves the lane on to the entry `h` describes.
    #[inline]
    fn apply(&mut self, bytes: &[u8], h: &Header) {
        let suffix = &bytes[h.suffix.clone()];
        if h.shared == 0 {
            self.at = h.suffix.start;
            self.len = suffix.len();
            return;
        }
        if self.at != IN_SCRATCH {
            self.scratch[..h.shared].copy_from_slice(&bytes[self.at..self.at + h.shared]);
            self.at = IN_SCRATCH;
        }
        self.len = h.shared + suffix.len();
        self.scratch[h.shared..self.len].copy_from_slice(suffix);
    }
}

/// A place between two entries, with what coding the next ones needs: the
/// content of the `S` entries before it (one per lane). Offsets, not
/// borrows, so it outlives the cursor and can be handed to [`splice`].
#[derive(Clone)]
pub(crate) struct Position<const S: usize> {
    /// Byte offset of the next entry.
    pos: usize,
    /// Index of the next entry.
    index: usize,
    lanes: [Lane; S],
}

impl<const S: usize> Position<S> {
    pub(crate) const START: Self = Position {
        pos: 0,
        index: 0,
        lanes: [Lane::EMPTY; S],
    };
}

/// Sequential decoder over a packed buffer (a lending iterator: each entry
/// borrows the cursor until the next step).
pub(crate) struct Cursor<'a, const S: usize> {
    bytes: &'a [u8],
    at: Position<S>,
}

impl<'a, const S: usize> Cursor<'a, S> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self::resume(bytes, Position::START)
    }

    /// A cursor at `at`, which must come from a cursor over these same bytes.
    pub(crate) fn resume(bytes: &'a [u8], at: Position<S>) -> Self {
        Cursor { bytes, at }
    }

    pub(crate) fn position(&self) -> &Position<S> {
        &self.at
    }

    pub(crate) fn into_position(self) -> Position<S> {
        self.at
    }

    /// Index of the next entry.
    #[cfg(test)]
    pub(crate) fn index(&self) -> usize {
        self.at.index
    }

    pub(crate) fn at_end(&self) -> bool {
        self.at.pos >= self.bytes.len()
    }

    /// Decodes the next entry; false at the end.
    #[inline]
    pub(crate) fn advance(&mut self) -> bool {
        if self.at_end() {
            return false;
        }
        let h = read_header(self.bytes, self.at.pos);
        self.at.lanes[self.at.index % S].apply(self.bytes, &h);
        self.at.pos = h.suffix.end;
        self.at.index += 1;
        true
    }

    /// Steps over up to `n` entries; returns how many there were.
    pub(crate) fn skip(&mut self, n: usize) -> usize {
        (0..n).take_while(|_| self.advance()).count()
    }

    /// The next entry's content.
    #[inline]
    pub(crate) fn next_entry(&mut self) -> Option<&[u8]> {
        self.advance().then(|| self.last())
    }

    /// The next entry, borrowed from the buffer where it is stored whole.
    pub(crate) fn next_elem(&mut self) -> Option<Elem<'a>> {
        self.advance()
            .then(|| self.at.lanes[(self.at.index - 1) % S].elem(self.bytes))
    }

    /// Content of the entry decoded last (empty before the first).
    pub(crate) fn last(&self) -> &[u8] {
        let lane = (self.at.index + S - 1) % S;
        self.at.lanes[lane].content(self.bytes)
    }

    /// The next group of `S` entries (a hash's field and value).
    pub(crate) fn next_group(&mut self) -> Option<[&[u8]; S]> {
        for _ in 0..S {
            if !self.advance() {
                return None;
            }
        }
        Some(std::array::from_fn(|j| {
            self.at.lanes[j].content(self.bytes)
        }))
    }

    /// Moves to the next group of `S` entries whose lane-0 entry is `key`,
    /// stopping before it; at the end if there is none (false).
    ///
    /// Keys are not assembled: `matched` is how much of `key` the current
    /// lane-0 entry agrees with, and the next entry, which shares `shared`
    /// bytes with the current one, can only be `key` if `shared <= matched`.
    pub(crate) fn find(&mut self, key: &[u8]) -> bool {
        debug_assert_eq!(self.at.index % S, 0, "find starts at a group");
        let mut matched = common_prefix(self.at.lanes[0].content(self.bytes), key);
        while !self.at_end() {
            let h = read_header(self.bytes, self.at.pos);
            if h.shared <= matched {
                let suffix = &self.bytes[h.suffix.clone()];
                matched = h.shared + common_prefix(suffix, &key[h.shared..]);
                if matched == key.len() && h.shared + suffix.len() == key.len() {
                    return true;
                }
            }
            for _ in 0..S {
                self.advance();
            }
        }
        false
    }
}

/// An entry's bytes as read out of a packed buffer: borrowed where the entry
/// is stored whole, assembled in place (at most [`MAX_CODED`] bytes) where
/// it is front coded. Dereferences to `[u8]`.
#[derive(Clone, Copy)]
pub struct Elem<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Borrowed(&'a [u8]),
    Inline { len: u8, buf: [u8; MAX_CODED] },
}

impl Deref for Elem<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Repr::Borrowed(b) => b,
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
        }
    }
}

impl fmt::Debug for Elem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.escape_ascii())
    }
}

impl PartialEq<[u8]> for Elem<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

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
    let shared = |k: usize| shared_with(pred(k), piece(k));
    for (old, pieces) in segments[..count].iter().rev().cloned() {
        let new_len = pieces
            .clone()
            .map(|k| encoded_len(shared(k), piece(k).len() - shared(k)))
            .sum();
        resize_gap(buf, old.clone(), new_len, growth);
        let mut w = old.start;
        for k in pieces {
            w += write_entry(&mut buf[w..], shared(k), piece(k));
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
        let shared = shared_with(lane.as_slice(), entry);
        let start = self.bytes.len();
        self.bytes
            .resize(start + encoded_len(shared, entry.len() - shared), 0);
        write_entry(&mut self.bytes[start..], shared, entry);
        lane.set(entry);
        self.count += 1;
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

    #[cfg(test)]
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

    /// Removes the first entry, handing its bytes to `f` first.
    pub(crate) fn pop_front_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let result = f(self.cursor().next_entry()?);
        self.splice(&Position::START, 1, &[]);
        Some(result)
    }

    /// Trims the buffer to the size class of its length.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to(malloc_size(self.bytes.len()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn decode<const S: usize>(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut cursor = Cursor::<S>::new(bytes);
        let mut out = Vec::new();
        while let Some(e) = cursor.next_entry() {
            out.push(e.to_vec());
        }
        out
    }

    fn build<const S: usize>(entries: &[Vec<u8>]) -> Builder<S> {
        let mut b = Builder::new();
        for e in entries {
            b.push(e);
        }
        b
    }

    /// Checks a packed sequence against its model, including that its bytes
    /// are exactly what building the model from scratch gives.
    fn check<const S: usize>(packed: &Packed<S>, model: &[Vec<u8>]) {
        assert_eq!(packed.len(), model.len());
        assert_eq!(decode::<S>(packed.bytes()), model);
        assert_eq!(packed.bytes(), build::<S>(model).bytes(), "canonical");
        assert!(packed.heap_bytes() >= packed.byte_len());
    }

    #[test]
    fn front_coding_costs_a_header_and_the_new_suffix() {
        let entries: Vec<Vec<u8>> = (40..50).map(|i| format!("item{i}").into_bytes()).collect();
        let b = build::<1>(&entries);
        // 1 + 6 for the first, then 1 + 1 each.
        assert_eq!(b.byte_len(), 7 + 9 * 2);
        let pairs: Vec<Vec<u8>> = (40..50)
            .flat_map(|j| [format!("f{j}"), format!("v{}", 10_000 + j)])
            .map(String::into_bytes)
            .collect();
        let b = build::<2>(&pairs);
        assert_eq!(b.byte_len(), (1 + 3) + (1 + 6) + 9 * (2 + 2));
        assert_eq!(decode::<2>(b.bytes()), pairs);
    }

    #[test]
    fn long_prefixes_and_suffixes_use_varints() {
        let long_a = [b"x".repeat(40), b"a".repeat(20)].concat();
        let long_b = [b"x".repeat(40), b"b".repeat(20)].concat();
        let entries = vec![
            long_a,
            long_b,
            b"y".repeat(MAX_CODED + 1),
            b"y".repeat(70_000),
        ];
        let b = build::<1>(&entries);
        assert_eq!(decode::<1>(b.bytes()), entries);
        // The 40 shared bytes cost a varint, not 40 bytes.
        assert_eq!(b.byte_len(), (2 + 60) + (3 + 20) + (2 + 65) + (4 + 70_000));
    }

    #[test]
    fn binary_entries_round_trip_through_edits() {
        let big: Vec<u8> = (0..65_536u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut model: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            b"\0\xff\r\n".to_vec(),
            big.clone(),
            [&big[..10], b"tail"].concat(),
            vec![],
        ];
        let mut p = Packed::<1>::new();
        for (i, e) in model.iter().enumerate() {
            assert!(p.insert(i, e));
        }
        check(&p, &model);
        assert_eq!(&*p.get(4).unwrap(), &big[..]);
        assert!(
            matches!(p.get(4).unwrap().0, Repr::Borrowed(_)),
            "long entries are borrowed"
        );
        let at = p.position(4).unwrap();
        p.splice(&at, 1, &[b"", &big[1..]]);
        model.splice(4..5, [vec![], big[1..].to_vec()]);
        check(&p, &model);
        while !model.is_empty() {
            let first = p.pop_front_with(|e| e.to_vec()).unwrap();
            assert_eq!(first, model.remove(0));
            check(&p, &model);
        }
        assert_eq!(p.pop_front_with(|_| ()), None);
        assert_eq!(p.heap_bytes(), 0, "an emptied sequence frees its buffer");
    }

    #[test]
    fn out_of_range_edits_change_nothing() {
        let mut p = Packed::<1>::new();
        assert!(!p.insert(1, b"x"));
        assert!(p.insert(0, b"x"));
        assert!(!p.remove(0, 2));
        assert!(!p.remove(usize::MAX, 2));
        assert!(p.position(2).is_none());
        assert!(p.get(1).is_none());
        check(&p, &[b"x".to_vec()]);
    }

    #[test]
    fn find_matches_whole_keys_only() {
        let pairs: Vec<Vec<u8>> = [
            "", "e", "a", "1", "ab", "2", "abc", "3", "abd", "4", "b", "5", "abc\0", "6",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let b = build::<2>(&pairs);
        for (i, pair) in pairs.chunks(2).enumerate() {
            let mut cursor = Cursor::<2>::new(b.bytes());
            assert!(cursor.find(&pair[0]), "{:?}", pair[0]);
            assert_eq!(cursor.index(), 2 * i);
            cursor.advance();
            assert_eq!(cursor.next_entry().unwrap(), &pair[1][..]);
        }
        for missing in ["ab\0", "abcd", "c", "a\0", "abe", "bb"] {
            let mut cursor = Cursor::<2>::new(b.bytes());
            assert!(!cursor.find(missing.as_bytes()), "{missing}");
            assert!(cursor.at_end());
            assert_eq!(cursor.index(), pairs.len());
        }
    }

    fn entry() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0u8)], 0..6),
            3 => (0u32..300).prop_map(|i| format!("item{i}").into_bytes()),
            1 => proptest::collection::vec(any::<u8>(), 0..40),
            1 => (MAX_CODED - 3..MAX_CODED + 3, 0u8..3).prop_map(|(n, b)| vec![b; n]),
            1 => (0usize..300).prop_map(|n| (0..n).map(|i| (i % 5) as u8).collect()),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(Index, Vec<Vec<u8>>),
        Remove(Index, usize),
        Replace(Index, Vec<u8>),
        PopFront,
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            4 => (any::<Index>(), proptest::collection::vec(entry(), 1..4)).prop_map(|(i, e)| Op::Insert(i, e)),
            2 => (any::<Index>(), 1usize..4).prop_map(|(i, n)| Op::Remove(i, n)),
            2 => (any::<Index>(), entry()).prop_map(|(i, e)| Op::Replace(i, e)),
            1 => Just(Op::PopFront),
        ];
        proptest::collection::vec(op, 1..60)
    }

    /// Applies `op` to both; `S` groups keep lanes aligned (a hash's pairs).
    fn apply<const S: usize>(p: &mut Packed<S>, model: &mut Vec<Vec<u8>>, op: Op) {
        let groups = model.len() / S;
        match op {
            Op::Insert(i, mut entries) => {
                entries.resize(S * entries.len().div_ceil(S), b"pad".to_vec());
                let at = S * i.index(groups + 1);
                let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
                p.splice(&p.position(at).unwrap(), 0, &refs);
                model.splice(at..at, entries);
            }
            Op::Remove(i, n) if groups > 0 => {
                let at = S * i.index(groups);
                let n = S * n.min(groups - at / S);
                assert!(p.remove(at, n));
                model.drain(at..at + n);
            }
            Op::Replace(i, e) if !model.is_empty() => {
                let at = i.index(model.len());
                p.splice(&p.position(at).unwrap(), 1, &[&e]);
                model[at] = e;
            }
            Op::PopFront if S == 1 => {
                let popped = p.pop_front_with(|e| e.to_vec());
                assert_eq!(popped, (!model.is_empty()).then(|| model.remove(0)));
            }
            _ => {}
        }
    }

    proptest! {
        #[test]
        fn list_edits_match_a_vec(ops in ops()) {
            let mut p = Packed::<1>::new();
            let mut model = Vec::new();
            for op in ops {
                apply(&mut p, &mut model, op);
                check(&p, &model);
            }
            for (i, e) in model.iter().enumerate() {
                prop_assert_eq!(&*p.get(i).unwrap(), &e[..]);
            }
        }

        #[test]
        fn pair_edits_match_a_vec_and_find_agrees(ops in ops(), probe in entry()) {
            let mut p = Packed::<2>::new();
            let mut model = Vec::new();
            for op in ops {
                apply(&mut p, &mut model, op);
                check(&p, &model);
            }
            for key in model.iter().step_by(2).chain([&probe]) {
                let first = model.chunks(2).position(|pair| &pair[0] == key);
                let mut cursor = p.cursor();
                let found = cursor.find(key);
                prop_assert_eq!(found.then(|| cursor.index() / 2), first);
            }
            let mut cursor = p.cursor();
            for pair in model.chunks(2) {
                let group = cursor.next_group().unwrap();
                prop_assert_eq!(&group[..], pair);
            }
            prop_assert!(cursor.next_group().is_none());
        }
    }
}
