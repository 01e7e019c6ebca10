//! `Listpack`: the small sorted set (Redis's `listpack` encoding), entries
//! in (score, member) order in one exact-size buffer.
//!
//! Entry: `varint(member length << 4 | score code)`, the member bytes, the
//! score, then a back-length (the entry's size as a back-varint) so the
//! buffer can be walked from either end. A score that is a decimal with at
//! most 6 fractional digits and under 2^53 when scaled (`42`, `-0.5`,
//! `123.4536`) is stored as the varint of `|score| * 10^digits`, which
//! divides back to the same double bit for bit; the code says the digits
//! (0 to 6, or 7 to 13 for a negative score). Anything else (including
//! -0.0 and the infinities) is its 8 raw bytes under code 15.
//!
//! So `m42` with score `123.4536` takes 1 + 3 + 3 + 1 = 8 bytes where
//! Redis's listpack takes about 16 (member and score as two entries, the
//! score as text). Every operation is a linear walk, as Redis's are on this
//! encoding, bounded by `zset-max-listpack-entries`.

use crate::keyspace::types::codec::{
    get_back_varint, get_varint, put_back_varint, put_varint, splice_exact, splice_with, varint_len,
};

use super::before;
use crate::keyspace::types::mem::malloc_size;

const RAW_SCORE: u64 = 15;
/// Codes from this one on are negative decimals.
const NEGATIVE: u64 = 7;
const POW10: [f64; NEGATIVE as usize] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
/// Integers below this magnitude convert to f64 exactly.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// The decimal form of `score`: (code, scaled magnitude), if one
/// reproduces it exactly.
fn decimal_score(score: f64) -> Option<(u64, u64)> {
    let sign = if score.is_sign_negative() {
        NEGATIVE
    } else {
        0
    };
    for (digits, &scale) in POW10.iter().enumerate() {
        let scaled = score.abs() * scale;
        if scaled >= EXACT_INT || scaled.is_nan() {
            return None;
        }
        let m = scaled.round() as u64;
        if decode_decimal(sign + digits as u64, m).to_bits() == score.to_bits() {
            return Some((sign + digits as u64, m));
        }
    }
    None
}

fn decode_decimal(code: u64, m: u64) -> f64 {
    let v = m as f64 / POW10[(code % NEGATIVE) as usize];
    if code >= NEGATIVE { -v } else { v }
}

/// An entry's encoding: its header, the scaled decimal score if any, and
/// its size.
struct Encoded {
    header: u64,
    decimal: Option<u64>,
    body_len: usize,
}

impl Encoded {
    fn new(member: &[u8], score: f64) -> Self {
        let decimal = decimal_score(score);
        let header = (member.len() as u64) << 4 | decimal.map_or(RAW_SCORE, |(code, _)| code);
        let score_len = decimal.map_or(8, |(_, m)| varint_len(m));
        Encoded {
            header,
            decimal: decimal.map(|(_, m)| m),
            body_len: varint_len(header) + member.len() + score_len,
        }
    }

    fn len(&self) -> usize {
        self.body_len + varint_len(self.body_len as u64)
    }

    fn write(&self, out: &mut Vec<u8>, member: &[u8], score: f64) {
        put_varint(out, self.header);
        out.extend_from_slice(member);
        match self.decimal {
            Some(m) => put_varint(out, m),
            None => out.extend_from_slice(&score.to_le_bytes()),
        }
        put_back_varint(out, self.body_len as u64);
    }
}

fn put_entry(out: &mut Vec<u8>, member: &[u8], score: f64) {
    Encoded::new(member, score).write(out, member, score);
}

/// One decoded entry and where it lies in the buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) member: &'a [u8],
    pub(crate) score: f64,
}

/// An entry's member and where its score's bytes and the entry end,
/// without decoding the score.
struct Layout<'a> {
    member: &'a [u8],
    code: u64,
    score_at: usize,
    end: usize,
}

fn layout_at(buf: &[u8], start: usize) -> Layout<'_> {
    let (header, at) = get_varint(buf, start);
    let score_at = at + (header >> 4) as usize;
    let code = header & 0xf;
    let body_end = if code == RAW_SCORE {
        score_at + 8
    } else {
        score_at
            + buf[score_at..]
                .iter()
                .position(|&b| b < 0x80)
                .map_or(0, |i| i + 1)
    };
    Layout {
        member: &buf[at..score_at],
        code,
        score_at,
        end: body_end + varint_len((body_end - start) as u64),
    }
}

fn entry_at(buf: &[u8], start: usize) -> Entry<'_> {
    let layout = layout_at(buf, start);
    let score = match layout.code {
        RAW_SCORE => {
            let mut raw = [0; 8];
            raw.copy_from_slice(&buf[layout.score_at..layout.score_at + 8]);
            f64::from_le_bytes(raw)
        }
        code => decode_decimal(code, get_varint(buf, layout.score_at).0),
    };
    Entry {
        start,
        end: layout.end,
        member: layout.member,
        score,
    }
}

fn entry_before(buf: &[u8], end: usize) -> Entry<'_> {
    let (body, body_end) = get_back_varint(buf, end);
    entry_at(buf, body_end - body as usize)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listpack {
    buf: Box<[u8]>,
    /// Limits bound the length far below `u32::MAX`.
    count: u32,
}

impl Listpack {
    pub(crate) fn len(&self) -> usize {
        self.count as usize
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        malloc_size(self.buf.len())
    }

    pub(crate) fn iter(&self) -> Iter<'_> {
        self.iter_ranks(0, self.len(), false)
    }

    /// Entries with ranks `lo..hi`, ascending or descending.
    pub(crate) fn iter_ranks(&self, lo: usize, hi: usize, reverse: bool) -> Iter<'_> {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        Iter {
            buf: &self.buf,
            pos: self.offset_of_rank(if reverse { hi } else { lo }),
            left: hi - lo,
            reverse,
        }
    }

    /// Byte offset where the entry of `rank` starts (the buffer's end for
    /// `len`), walking from the nearer end.
    fn offset_of_rank(&self, rank: usize) -> usize {
        if rank <= self.len() / 2 {
            let mut pos = 0;
            for _ in 0..rank {
                pos = entry_at(&self.buf, pos).end;
            }
            pos
        } else {
            let mut pos = self.buf.len();
            for _ in rank..self.len() {
                pos = entry_before(&self.buf, pos).start;
            }
            pos
        }
    }

    pub(crate) fn entry(&self, rank: usize) -> Option<Entry<'_>> {
        (rank < self.len()).then(|| entry_at(&self.buf, self.offset_of_rank(rank)))
    }

    /// The entry holding `member`, with its rank.
    pub(crate) fn find(&self, member: &[u8]) -> Option<(usize, Entry<'_>)> {
        // Scores are skipped, not decoded, until the member matches.
        let mut pos = 0;
        let mut rank = 0;
        while pos < self.buf.len() {
            let layout = layout_at(&self.buf, pos);
            if layout.member == member {
                return Some((rank, entry_at(&self.buf, pos)));
            }
            pos = layout.end;
            rank += 1;
        }
        None
    }

    fn iter_entries(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        let mut pos = 0;
        std::iter::from_fn(move || {
            (pos < self.buf.len()).then(|| {
                let e = entry_at(&self.buf, pos);
                pos = e.end;
                e
            })
        })
    }

    /// Inserts a member the caller knows is absent, in order.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) {
        let at = self
            .iter_entries()
            .find(|e| !before(e.score, e.member, score, member))
            .map_or(self.buf.len(), |e| e.start);
        let entry = Encoded::new(member, score);
        splice_with(&mut self.buf, at, 0, entry.len(), |out| {
            entry.write(out, member, score)
        });
        self.count += 1;
    }

    /// Gives the entry spanning `old_start..old_end`, which holds `member`,
    /// the score `score` and moves it to its new place, in one rewrite.
    pub(crate) fn rescore(&mut self, old_start: usize, old_end: usize, member: &[u8], score: f64) {
        let at = self
            .iter_entries()
            .filter(|e| e.start != old_start)
            .find(|e| !before(e.score, e.member, score, member))
            .map_or(self.buf.len(), |e| e.start);
        let entry = Encoded::new(member, score);
        let old = std::mem::take(&mut self.buf);
        let mut new = Vec::with_capacity(old.len() - (old_end - old_start) + entry.len());
        // `at` is another entry's start or the end, so outside the old entry.
        if at <= old_start {
            new.extend_from_slice(&old[..at]);
            entry.write(&mut new, member, score);
            new.extend_from_slice(&old[at..old_start]);
            new.extend_from_slice(&old[old_end..]);
        } else {
            new.extend_from_slice(&old[..old_start]);
            new.extend_from_slice(&old[old_end..at]);
            entry.write(&mut new, member, score);
            new.extend_from_slice(&old[at..]);
        }
        self.buf = new.into_boxed_slice();
    }

    /// A listpack of entries given in order.
    pub(crate) fn from_sorted<'a>(entries: impl IntoIterator<Item = (&'a [u8], f64)>) -> Self {
        let mut buf = Vec::new();
        let mut count = 0;
        for (member, score) in entries {
            put_entry(&mut buf, member, score);
            count += 1;
        }
        Listpack {
            buf: buf.into_boxed_slice(),
            count,
        }
    }

    pub(crate) fn remove_entry(&mut self, entry_start: usize, entry_end: usize) {
        splice_exact(&mut self.buf, entry_start, entry_end - entry_start, &[]);
        self.count -= 1;
    }

    /// Removes ranks `lo..hi` in one rewrite.
    pub(crate) fn remove_ranks(&mut self, lo: usize, hi: usize) {
        let hi = hi.min(self.len());
        if lo >= hi {
            return;
        }
        let start = self.offset_of_rank(lo);
        let end = self.offset_of_rank(hi);
        splice_exact(&mut self.buf, start, end - start, &[]);
        self.count -= (hi - lo) as u32;
    }

    /// The ranks `lo..hi` of a range walked from the front: `lo` counts the
    /// leading entries `below_min`, `hi` stops at the first entry after that
    /// is `above_max` (Redis's listpack range walk).
    pub(crate) fn span(
        &self,
        below_min: impl Fn(f64, &[u8]) -> bool,
        above_max: impl Fn(f64, &[u8]) -> bool,
    ) -> (usize, usize) {
        let mut entries = self.iter_entries();
        let mut lo = 0;
        for e in entries.by_ref() {
            if !below_min(e.score, e.member) {
                if above_max(e.score, e.member) {
                    return (lo, lo);
                }
                let inside = entries
                    .take_while(|e| !above_max(e.score, e.member))
                    .count();
                return (lo, lo + 1 + inside);
            }
            lo += 1;
        }
        (lo, lo)
    }
}

/// Iterator over a rank range of a listpack, yielding (member, score).
pub(crate) struct Iter<'a> {
    buf: &'a [u8],
    /// Forward: where the next entry starts; reverse: where it ends.
    pos: usize,
    left: usize,
    reverse: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let e = if self.reverse {
            let e = entry_before(self.buf, self.pos);
            self.pos = e.start;
            e
        } else {
            let e = entry_at(self.buf, self.pos);
            self.pos = e.end;
            e
        };
        Some((e.member, e.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::types::zset::cmp_score;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    fn cmp_entries(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
        cmp_score(a.0, b.0).then_with(|| a.1.cmp(b.1))
    }

    fn score() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-1000i64..1000).prop_map(|v| v as f64),
            (-100_000i64..100_000).prop_map(|v| (v as f64 / 97.0 * 1e4).round() / 1e4),
            any::<f64>().prop_filter("not NaN", |v| !v.is_nan()),
            prop::sample::select(vec![
                0.0,
                -0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MIN_POSITIVE,
                5e-324,
                f64::MAX,
                0.1,
                1e15,
                -9_007_199_254_740_993.0,
            ]),
        ]
    }

    proptest! {
        #[test]
        fn scores_round_trip_bit_for_bit(s in score()) {
            let mut buf = Vec::new();
            put_entry(&mut buf, b"m", s);
            let e = entry_at(&buf, 0);
            prop_assert_eq!(e.score.to_bits(), s.to_bits());
            prop_assert_eq!((e.start, e.end), (0, buf.len()));
            let back = entry_before(&buf, buf.len());
            prop_assert_eq!(back.start, 0);
        }

        #[test]
        fn stays_sorted_like_a_sorted_vec(
            ops in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec(0u8..3, 0..3), score()),
                0..80,
            )
        ) {
            let mut lp = Listpack::default();
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            for (add, member, s) in ops {
                let found = lp.find(&member).map(|(rank, e)| (rank, e.start, e.end));
                let at = model.iter().position(|(_, m)| *m == member);
                prop_assert_eq!(found.map(|f| f.0), at);
                match (found, add) {
                    (Some((_, start, end)), true) => lp.rescore(start, end, &member, s),
                    (Some((_, start, end)), false) => lp.remove_entry(start, end),
                    (None, true) => lp.insert(&member, s),
                    (None, false) => {}
                }
                if let Some(at) = at {
                    model.remove(at);
                }
                if add {
                    model.push((s, member));
                    model.sort_by(|a, b| cmp_entries((a.0, &a.1), (b.0, &b.1)));
                }
                prop_assert_eq!(lp.len(), model.len());
            }
            let forward: Vec<_> = lp.iter().map(|(m, s)| (s.to_bits(), m.to_vec())).collect();
            let expect: Vec<_> = model.iter().map(|(s, m)| (s.to_bits(), m.clone())).collect();
            prop_assert_eq!(&forward, &expect);
            let mut backward: Vec<_> = lp.iter_ranks(0, lp.len(), true).map(|(m, s)| (s.to_bits(), m.to_vec())).collect();
            backward.reverse();
            prop_assert_eq!(&backward, &expect);
            for rank in 0..=lp.len() {
                prop_assert_eq!(lp.entry(rank).map(|e| e.member.to_vec()), model.get(rank).map(|e| e.1.clone()));
                let tail: Vec<_> = lp.iter_ranks(rank, lp.len(), false).map(|(m, _)| m.to_vec()).collect();
                prop_assert_eq!(tail.len(), lp.len() - rank);
            }
            let mid = lp.len() / 2;
            lp.remove_ranks(mid / 2, mid);
            model.drain(mid / 2..mid);
            let after: Vec<_> = lp.iter().map(|(m, _)| m.to_vec()).collect();
            prop_assert_eq!(after, model.iter().map(|e| e.1.clone()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn benchmark_shaped_entries_take_eight_bytes() {
        let mut buf = Vec::new();
        put_entry(&mut buf, b"m42", "123.4536".parse().unwrap());
        assert_eq!(buf.len(), 8);
        buf.clear();
        put_entry(&mut buf, b"m42", 7.0);
        assert_eq!(buf.len(), 6);
        buf.clear();
        put_entry(&mut buf, b"m42", -2.5);
        assert_eq!(buf.len(), 6);
        buf.clear();
        put_entry(&mut buf, b"m42", -0.0);
        assert_eq!(buf.len(), 6, "-0.0 is a negative zero-digit decimal");
        assert!(entry_at(&buf, 0).score.is_sign_negative());
        buf.clear();
        put_entry(&mut buf, b"m42", 0.1 + 0.2);
        assert_eq!(buf.len(), 1 + 3 + 8 + 1, "not a short decimal: raw bits");
    }

    #[test]
    fn span_walks_like_redis() {
        let mut lp = Listpack::default();
        for (m, s) in [("a", 1.0), ("b", 2.0), ("c", 2.0), ("d", 3.0)] {
            lp.insert(m.as_bytes(), s);
        }
        assert_eq!(lp.span(|s, _| s < 2.0, |s, _| s > 2.0), (1, 3));
        assert_eq!(lp.span(|s, _| s < 9.0, |s, _| s > 9.0), (4, 4));
        assert_eq!(lp.span(|s, _| s < 0.0, |s, _| s > 0.5), (0, 0));
        assert_eq!(lp.span(|_, _| false, |_, _| false), (0, 4));
    }
}
