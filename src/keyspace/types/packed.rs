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
//! [varint suffix length - 14]  if the low nibble is 14
//! suffix bytes
//! ```
//!
//! and its content is the first `shared` bytes of its predecessor followed by
//! the suffix. `shared` is always the longest common prefix with the
//! predecessor, except that entries longer than [`MAX_CODED`] bytes are never
//! coded (`shared` is 0). A canonical decimal integer whose text would cost
//! more is stored instead as the header `n << 4 | 15` and the `n` low bytes
//! of its zigzag form. Which coding an entry gets depends only on it and its
//! predecessor, so the encoding is canonical: the bytes are a function of
//! the entries alone, whatever sequence of edits produced them.
//!
//! # Cost per entry
//!
//! One header byte plus the unshared suffix: `item41` after `item40` costs 2
//! bytes, `f41`/`v10041` after `f40`/`v10040` cost 2 + 2. An uncoded entry
//! costs 1 + len below 14 bytes and 2 + len below 142; listpack's cost is
//! 2 + len below 64 (encoding byte and back length). Numbers near their
//! predecessor stay text (a byte or two); others cost 1 + their binary size,
//! never more than in a listpack (9 bytes for a random 64-bit number against
//! 10). Reading one formats it (it is then assembled, not borrowed).
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
//! [`edit::splice`] replaces a run of entries at a [`Position`] reached by a
//! cursor, re-encoding only the first entry of each lane after the run (the
//! only ones whose predecessor changed), with one move of the bytes behind.

use std::fmt;
use std::ops::{Deref, Range};

use crate::util::num::parse_i64;

/// Entries up to this long may share a prefix with their predecessor; longer
/// ones are stored whole so that reading them never copies.
pub(crate) const MAX_CODED: usize = 64;

/// Shared-length nibble meaning "a varint with the rest follows".
const SHARED_ESCAPE: usize = 15;
/// Suffix-length nibble meaning "a varint with the rest follows".
const SUFFIX_ESCAPE: usize = 14;
/// Suffix-length nibble of an integer entry (its byte count in the other).
const INT_NIBBLE: usize = 15;

/// A lane's `at` when its content is in its scratch buffer.
const IN_SCRATCH: usize = usize::MAX;

/// Suffixes up to this long are copied as one fixed-size block (reading and
/// writing past their end), which is much cheaper than a `memcpy` call.
const COPY_BLOCK: usize = 16;

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

/// Encoded size of a text entry sharing `shared` bytes and storing `suffix`
/// more.
fn text_len(shared: usize, suffix: usize) -> usize {
    let extra = |n: usize, escape: usize| {
        if n >= escape {
            varint_len(n - escape)
        } else {
            0
        }
    };
    1 + extra(shared, SHARED_ESCAPE) + extra(suffix, SUFFIX_ESCAPE) + suffix
}

/// How an entry is stored after a given predecessor.
#[derive(Clone, Copy)]
enum Coding {
    /// `shared` bytes of the predecessor, then the rest of the text.
    Text { shared: usize },
    /// A canonical decimal integer as the `bytes` low bytes (little-endian)
    /// of its zigzag form. Front coding cannot shrink random numbers, and
    /// their text is twice their binary size: 21 bytes against 9 for a
    /// 19-digit number, where a listpack takes 10.
    Int { zigzag: u64, bytes: usize },
}

impl Coding {
    /// The smaller coding of `entry` after `pred`; text on a tie, so a
    /// sequence still has exactly one encoding.
    fn of(pred: &[u8], entry: &[u8]) -> Coding {
        let shared = shared_with(pred, entry);
        let text = Coding::Text { shared };
        // Under 2 bytes the text is never longer than an integer entry.
        if !(2..=20).contains(&entry.len()) {
            return text;
        }
        let Some(v) = parse_i64(entry) else {
            return text;
        };
        let zigzag = ((v << 1) ^ (v >> 63)) as u64;
        let bytes = (8 - zigzag.leading_zeros() as usize / 8).max(1);
        let int = Coding::Int { zigzag, bytes };
        if int.len(entry) < text.len(entry) {
            int
        } else {
            text
        }
    }

    fn len(self, entry: &[u8]) -> usize {
        match self {
            Coding::Text { shared } => text_len(shared, entry.len() - shared),
            Coding::Int { bytes, .. } => 1 + bytes,
        }
    }

    /// Writes `entry` so coded; returns the length.
    fn write(self, out: &mut [u8], entry: &[u8]) -> usize {
        match self {
            Coding::Text { shared } => {
                let suffix = &entry[shared..];
                out[0] = (shared.min(SHARED_ESCAPE) << 4 | suffix.len().min(SUFFIX_ESCAPE)) as u8;
                let mut n = 1;
                for (v, escape) in [(shared, SHARED_ESCAPE), (suffix.len(), SUFFIX_ESCAPE)] {
                    if v >= escape {
                        n += put_varint(&mut out[n..], v - escape);
                    }
                }
                out[n..n + suffix.len()].copy_from_slice(suffix);
                n + suffix.len()
            }
            Coding::Int { zigzag, bytes } => {
                out[0] = (bytes << 4 | INT_NIBBLE) as u8;
                out[1..1 + bytes].copy_from_slice(&zigzag.to_le_bytes()[..bytes]);
                1 + bytes
            }
        }
    }
}

/// A decoded entry header.
struct Header {
    shared: usize,
    /// Where the suffix (an integer entry's bytes) lies in the buffer; its
    /// end is where the next entry starts.
    suffix: Range<usize>,
    int: bool,
}

#[inline(always)]
fn read_header(bytes: &[u8], mut pos: usize) -> Header {
    let h = usize::from(bytes[pos]);
    pos += 1;
    let mut shared = h >> 4;
    let mut suffix = h & 0xf;
    if suffix == INT_NIBBLE {
        return Header {
            shared: 0,
            suffix: pos..pos + shared,
            int: true,
        };
    }
    if shared == SHARED_ESCAPE {
        shared += get_varint(bytes, &mut pos);
    }
    if suffix == SUFFIX_ESCAPE {
        suffix += get_varint(bytes, &mut pos);
    }
    Header {
        shared,
        suffix: pos..pos + suffix,
        int: false,
    }
}

/// The stored part of the entry `h` describes: its suffix, or an integer
/// entry's text (formatted into `buf`).
fn stored<'a>(bytes: &'a [u8], h: &Header, buf: &'a mut itoa::Buffer) -> &'a [u8] {
    let stored = &bytes[h.suffix.clone()];
    if !h.int {
        return stored;
    }
    let mut le = [0u8; 8];
    le[..stored.len()].copy_from_slice(stored);
    let zigzag = u64::from_le_bytes(le);
    let v = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
    buf.format(v).as_bytes()
}

/// The latest decoded entry of one lane.
#[derive(Clone)]
struct Lane {
    /// Offset of the content in the buffer, or `IN_SCRATCH`.
    at: usize,
    len: usize,
    /// Room for a `COPY_BLOCK` copy starting at any coded length.
    scratch: [u8; MAX_CODED + COPY_BLOCK],
}

impl Lane {
    /// A lane before its first entry: an empty predecessor shares nothing.
    const EMPTY: Lane = Lane {
        at: 0,
        len: 0,
        scratch: [0; MAX_CODED + COPY_BLOCK],
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
            let mut buf = [0; MAX_CODED];
            buf[..self.len].copy_from_slice(&self.scratch[..self.len]);
            Elem(Repr::Inline {
                len: self.len as u8,
                buf,
            })
        } else {
            Elem(Repr::Borrowed(&bytes[self.at..self.at + self.len]))
        }
    }

    /// Moves the lane on to the entry `h` describes.
    #[inline(always)]
    fn apply(&mut self, bytes: &[u8], h: &Header) {
        let suffix = &bytes[h.suffix.clone()];
        if h.shared == 0 {
            if h.int {
                let mut buf = itoa::Buffer::new();
                let text = stored(bytes, h, &mut buf);
                self.scratch[..text.len()].copy_from_slice(text);
                self.at = IN_SCRATCH;
                self.len = text.len();
            } else {
                self.at = h.suffix.start;
                self.len = suffix.len();
            }
            return;
        }
        if self.at != IN_SCRATCH {
            self.scratch[..h.shared].copy_from_slice(&bytes[self.at..self.at + h.shared]);
            self.at = IN_SCRATCH;
        }
        self.len = h.shared + suffix.len();
        let block = h.suffix.start..h.suffix.start + COPY_BLOCK;
        if suffix.len() <= COPY_BLOCK && block.end <= bytes.len() {
            // The bytes past the suffix land past `len`, where nothing reads.
            self.scratch[h.shared..h.shared + COPY_BLOCK].copy_from_slice(&bytes[block]);
        } else {
            self.scratch[h.shared..self.len].copy_from_slice(suffix);
        }
    }
}

/// A place between two entries, with what coding the next ones needs: the
/// content of the `S` entries before it (one per lane). Offsets, not
/// borrows, so it outlives the cursor and can be handed to [`edit::splice`].
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
        self.step(&h);
        true
    }

    /// Moves on over the next entry, whose header is `h`.
    #[inline(always)]
    fn step(&mut self, h: &Header) {
        self.at.lanes[self.at.index % S].apply(self.bytes, h);
        self.at.pos = h.suffix.end;
        self.at.index += 1;
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

    /// Where the entry decoded last lies in the buffer, if it is stored
    /// whole there (`None` for a front-coded one, assembled in scratch).
    pub(crate) fn last_span(&self) -> Option<Range<usize>> {
        let lane = &self.at.lanes[(self.at.index + S - 1) % S];
        (lane.at != IN_SCRATCH).then(|| lane.at..lane.at + lane.len)
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
                let mut buf = itoa::Buffer::new();
                let suffix = stored(self.bytes, &h, &mut buf);
                matched = h.shared + common_prefix(suffix, &key[h.shared..]);
                if matched == key.len() && h.shared + suffix.len() == key.len() {
                    return true;
                }
            }
            self.step(&h);
            for _ in 1..S {
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

mod edit;

pub(crate) use edit::{Builder, Packed, splice_boxed};

#[cfg(test)]
mod tests;
