//! `ZSet`: the sorted-set type's value, in Redis 7.2's two encodings and
//! their conversion rules, with every query the Z* commands need.
//!
//! | encoding   | representation                                 | bytes per member |
//! |------------|------------------------------------------------|------------------|
//! | `listpack` | [`Listpack`]: sorted packed entries            | member + 3 to 5 for a short decimal score (`123.4536`), member + 10 otherwise |
//! | `skiplist` | [`Large`]: entry slab + counted B+tree + hash index | about 32 to 40, + length + 1 for members over 7 bytes |
//!
//! Redis 7.2 takes about 27 bytes per member in a listpack and 106 in a
//! skiplist (node, dict entry, sds). The large form's design is argued in
//! `zset/large.rs`: each member is stored once (inline in its 16-byte
//! entry or in an arena); the B+tree (ordering, ranks) and the hash index
//! (member -> entry) hold 4- and 8-byte ids, not pointers or copies.
//!
//! Order: by score (never NaN; -0.0 equals 0.0, and keeps its sign), then
//! by member bytes. Conversion: a listpack whose new member would make it
//! longer than `zset-max-listpack-entries` or that gets a member longer
//! than `zset-max-listpack-value` becomes a skiplist, never back, except on
//! request ([`ZSet::shrink_to_listpack_if_fits`], as Redis's
//! `zsetConvertToListpackIfNeeded` for ZRANGESTORE and ZUNIONSTORE). New
//! sets with a size hint start in the encoding Redis's `zsetTypeCreate`
//! picks ([`ZSet::with_hint`]); hints must count members that exist.
//!
//! Complexity: on a skiplist, lookups by member are O(1), by rank, score
//! or lex bound O(log n), a range of m entries O(log n + m); on a listpack
//! everything is a linear walk, as in Redis. Lex ranges assume equal
//! scores, as Redis documents; with mixed scores they are well defined
//! (ranks between two binary searches) but may differ from Redis's.

mod large;
mod listpack;
#[cfg(test)]
mod tests;
mod tree;

use std::cmp::Ordering;
use std::fmt;

use rand::{Rng, RngExt};

use self::large::Large;
use self::listpack::Listpack;
use super::Limits;
use super::mem::malloc_size;
use super::sample::{Distinct, Draws, Repeated};
use crate::util::num::parse_f64_range_bound;

/// Score order: numeric, with -0.0 equal to 0.0 (NaN is never stored).
pub(crate) fn cmp_score(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// Whether `(score_a, member_a)` sorts strictly before `(score_b, member_b)`.
pub(crate) fn before(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> bool {
    match cmp_score(score_a, score_b) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => member_a < member_b,
    }
}

/// Why [`ZSet::insert`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZSetError {
    /// A skiplist-encoded sorted set holds at most 2^32 - 2 members.
    Full,
    /// NaN has no place in the order (callers reject it first, as Redis
    /// does; this keeps a slip from corrupting the set).
    NotANumber,
}

impl fmt::Display for ZSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ZSetError::Full => "sorted set is full",
            ZSetError::NotANumber => "score is not a number (NaN)",
        })
    }
}

impl std::error::Error for ZSetError {}

/// One end of a score range: `5`, `(5`, `-inf`, `+inf`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

impl ScoreBound {
    pub fn inclusive(value: f64) -> Self {
        ScoreBound {
            value,
            exclusive: false,
        }
    }

    pub fn exclusive(value: f64) -> Self {
        ScoreBound {
            value,
            exclusive: true,
        }
    }

    /// Parses a ZRANGEBYSCORE-style bound as Redis's `zslParseRange` does
    /// (a leading `(` makes it exclusive); None for NaN or junk.
    pub fn parse(arg: &[u8]) -> Option<Self> {
        match arg.strip_prefix(b"(") {
            Some(rest) => parse_f64_range_bound(rest).map(ScoreBound::exclusive),
            None => parse_f64_range_bound(arg).map(ScoreBound::inclusive),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: ScoreBound,
    pub max: ScoreBound,
}

impl ScoreRange {
    pub fn new(min: ScoreBound, max: ScoreBound) -> Self {
        ScoreRange { min, max }
    }

    fn below_min(&self, score: f64) -> bool {
        if self.min.exclusive {
            score <= self.min.value
        } else {
            score < self.min.value
        }
    }

    fn above_max(&self, score: f64) -> bool {
        if self.max.exclusive {
            score >= self.max.value
        } else {
            score > self.max.value
        }
    }

    /// A range no score can fall in (Redis answers these at once).
    pub fn is_empty(&self) -> bool {
        self.min.value > self.max.value
            || (self.min.value == self.max.value && (self.min.exclusive || self.max.exclusive))
    }
}

/// One end of a lex range: `-`, `+`, `[member`, `(member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexBound<'a> {
    NegInf,
    PosInf,
    Inclusive(&'a [u8]),
    Exclusive(&'a [u8]),
}

impl<'a> LexBound<'a> {
    /// Parses a ZRANGEBYLEX bound; None if it does not start with one of
    /// `-`, `+` (alone), `[` or `(`.
    pub fn parse(arg: &'a [u8]) -> Option<Self> {
        match arg {
            b"-" => Some(LexBound::NegInf),
            b"+" => Some(LexBound::PosInf),
            [b'[', rest @ ..] => Some(LexBound::Inclusive(rest)),
            [b'(', rest @ ..] => Some(LexBound::Exclusive(rest)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexRange<'a> {
    pub min: LexBound<'a>,
    pub max: LexBound<'a>,
}

impl<'a> LexRange<'a> {
    pub fn new(min: LexBound<'a>, max: LexBound<'a>) -> Self {
        LexRange { min, max }
    }

    fn below_min(&self, member: &[u8]) -> bool {
        match self.min {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(m) => member < m,
            LexBound::Exclusive(m) => member <= m,
        }
    }

    fn above_max(&self, member: &[u8]) -> bool {
        match self.max {
            LexBound::PosInf => false,
            LexBound::NegInf => true,
            LexBound::Inclusive(m) => member > m,
            LexBound::Exclusive(m) => member >= m,
        }
    }

    /// A range no member can fall in.
    pub fn is_empty(&self) -> bool {
        let exclusive = |b: &LexBound<'_>| matches!(b, LexBound::Exclusive(_));
        match (self.min, self.max) {
            (LexBound::PosInf, _) | (_, LexBound::NegInf) => true,
            (
                LexBound::Inclusive(a) | LexBound::Exclusive(a),
                LexBound::Inclusive(b) | LexBound::Exclusive(b),
            ) => a > b || (a == b && (exclusive(&self.min) || exclusive(&self.max))),
            _ => false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Listpack(Listpack),
    Skiplist(Box<Large>),
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

/// `zset-max-listpack-entries`, capped so a listpack's count fits its u32.
fn max_listpack_entries(limits: &Limits) -> usize {
    limits.zset_max_listpack_entries.min(u32::MAX as usize)
}

/// Turns an offset/limit into a rank window within `lo..hi`, counted from
/// the low end (forward) or the high end (reverse).
fn window(
    lo: usize,
    hi: usize,
    reverse: bool,
    offset: usize,
    limit: Option<usize>,
) -> (usize, usize) {
    let available = hi.saturating_sub(lo).saturating_sub(offset);
    let take = limit.map_or(available, |l| l.min(available));
    if reverse {
        let top = hi.saturating_sub(offset).max(lo);
        (top - take, top)
    } else {
        let bottom = (lo + offset).min(hi);
        (bottom, bottom + take)
    }
}

impl ZSet {
    /// An empty listpack.
    pub fn new() -> Self {
        ZSet {
            repr: Repr::Listpack(Listpack::default()),
        }
    }

    /// An empty set in the encoding Redis's `zsetTypeCreate` picks for
    /// about `size_hint` members, the longest `value_len_hint` bytes.
    pub fn with_hint(size_hint: usize, value_len_hint: usize, limits: &Limits) -> Self {
        if size_hint <= limits.zset_max_listpack_entries
            && value_len_hint <= limits.zset_max_listpack_value
        {
            ZSet::new()
        } else {
            ZSet {
                repr: Repr::Skiplist(Box::new(Large::with_capacity_for(size_hint))),
            }
        }
    }

    /// Redis's `zsetTypeMaybeConvert`: a listpack about to get `size_hint`
    /// members (ZADD's count) that would outgrow it converts now.
    pub fn reserve_hint(&mut self, size_hint: usize, limits: &Limits) {
        if let Repr::Listpack(_) = self.repr
            && size_hint > limits.zset_max_listpack_entries
        {
            self.convert_to_skiplist(size_hint);
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded`: a skiplist small enough for
    /// the listpack limits becomes a listpack.
    pub fn shrink_to_listpack_if_fits(&mut self, limits: &Limits) {
        if let Repr::Skiplist(large) = &self.repr
            && large.len() <= max_listpack_entries(limits)
            && large
                .iter_ranks(0, large.len(), false)
                .all(|(m, _)| m.len() <= limits.zset_max_listpack_value)
        {
            let lp = Listpack::from_sorted(large.iter_ranks(0, large.len(), false));
            self.repr = Repr::Listpack(lp);
        }
    }

    fn convert_to_skiplist(&mut self, capacity_for: usize) {
        if let Repr::Listpack(lp) = &self.repr {
            let large = Large::from_sorted(lp.iter(), capacity_for);
            self.repr = Repr::Skiplist(Box::new(large));
        }
    }

    /// What OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Skiplist(_) => "skiplist",
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(lp) => lp.len(),
            Repr::Skiplist(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated on the heap (not `size_of::<ZSet>()`).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Listpack(lp) => lp.heap_bytes(),
            Repr::Skiplist(l) => malloc_size(size_of::<Large>()) + l.heap_bytes(),
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Listpack(lp) => lp.find(member).map(|(_, e)| e.score),
            Repr::Skiplist(l) => l.score(member),
        }
    }

    /// Sets `member`'s score (adding it if new, converting the encoding as
    /// Redis does); returns the previous score. An unchanged score (by
    /// `==`, so 0.0 over -0.0) leaves the entry as it was.
    pub fn insert(
        &mut self,
        member: &[u8],
        score: f64,
        limits: &Limits,
    ) -> Result<Option<f64>, ZSetError> {
        if score.is_nan() {
            return Err(ZSetError::NotANumber);
        }
        let lp = match &mut self.repr {
            Repr::Skiplist(l) => return l.insert(member, score),
            Repr::Listpack(lp) => lp,
        };
        if let Some((_, e)) = lp.find(member) {
            let old = e.score;
            if old != score {
                let (start, end) = (e.start, e.end);
                lp.rescore(start, end, member, score);
            }
            return Ok(Some(old));
        }
        if lp.len() < max_listpack_entries(limits) && member.len() <= limits.zset_max_listpack_value
        {
            lp.insert(member, score);
            return Ok(None);
        }
        let capacity_for = lp.len() + 1;
        self.convert_to_skiplist(capacity_for);
        self.insert(member, score, limits)
    }

    /// Removes `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Listpack(lp) => {
                let (_, e) = lp.find(member)?;
                let (score, start, end) = (e.score, e.start, e.end);
                lp.remove_entry(start, end);
                Some(score)
            }
            Repr::Skiplist(l) => l.remove(member),
        }
    }

    /// `member`'s 0-based rank (from the highest score if `reverse`) and
    /// score (ZRANK, ZREVRANK ... WITHSCORE).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<(usize, f64)> {
        let (rank, score) = match &self.repr {
            Repr::Listpack(lp) => lp.find(member).map(|(rank, e)| (rank, e.score))?,
            Repr::Skiplist(l) => l.rank(member)?,
        };
        Some((if reverse { self.len() - 1 - rank } else { rank }, score))
    }

    /// The entries with ranks `lo..hi` (ascending ranks), walked ascending
    /// or descending.
    fn iter_ranks(&self, lo: usize, hi: usize, reverse: bool) -> ZIter<'_> {
        ZIter(match &self.repr {
            Repr::Listpack(lp) => IterInner::Listpack(lp.iter_ranks(lo, hi, reverse)),
            Repr::Skiplist(l) => IterInner::Skiplist(l.iter_ranks(lo, hi, reverse)),
        })
    }

    /// Every entry, ascending.
    pub fn iter(&self) -> ZIter<'_> {
        self.iter_ranks(0, self.len(), false)
    }

    /// Ascending ranks for the rank range `start..=end` counted from the
    /// low end, or from the high end if `reverse`; clamped to the set.
    fn rank_span(&self, start: usize, end: usize, reverse: bool) -> (usize, usize) {
        let len = self.len();
        if start >= len || start > end {
            return (0, 0);
        }
        let end = end.min(len - 1);
        if reverse {
            (len - 1 - end, len - start)
        } else {
            (start, end + 1)
        }
    }

    /// ZRANGE by rank: `start..=end` (0-based, already resolved from
    /// negative indexes), from the highest score if `reverse`; the range is
    /// clamped to the set.
    pub fn range(&self, start: usize, end: usize, reverse: bool) -> ZIter<'_> {
        let (lo, hi) = self.rank_span(start, end, reverse);
        self.iter_ranks(lo, hi, reverse)
    }

    /// Ascending ranks of the entries within a score range: a linear walk
    /// on a listpack, as Redis's; two descents on a skiplist.
    fn score_span(&self, range: &ScoreRange) -> (usize, usize) {
        if range.is_empty() {
            return (0, 0);
        }
        let (below, above) = (|s| range.below_min(s), |s| range.above_max(s));
        match &self.repr {
            Repr::Listpack(lp) => lp.span(|s, _| below(s), |s, _| above(s)),
            Repr::Skiplist(l) => l.span_by_score(below, above),
        }
    }

    /// Ascending ranks of the entries within a lex range.
    fn lex_span(&self, range: &LexRange<'_>) -> (usize, usize) {
        if range.is_empty() {
            return (0, 0);
        }
        let (below, above) = (|m: &[u8]| range.below_min(m), |m: &[u8]| range.above_max(m));
        match &self.repr {
            Repr::Listpack(lp) => lp.span(|_, m| below(m), |_, m| above(m)),
            Repr::Skiplist(l) => l.span_by_member(below, above),
        }
    }

    /// ZRANGEBYSCORE / ZREVRANGEBYSCORE: entries within `range`, ascending
    /// (or descending), skipping `offset` and yielding at most `limit`.
    pub fn range_by_score(
        &self,
        range: &ScoreRange,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> ZIter<'_> {
        let (lo, hi) = self.score_span(range);
        let (lo, hi) = window(lo, hi, reverse, offset, limit);
        self.iter_ranks(lo, hi, reverse)
    }

    /// ZRANGEBYLEX / ZREVRANGEBYLEX, as [`Self::range_by_score`].
    pub fn range_by_lex(
        &self,
        range: &LexRange<'_>,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> ZIter<'_> {
        let (lo, hi) = self.lex_span(range);
        let (lo, hi) = window(lo, hi, reverse, offset, limit);
        self.iter_ranks(lo, hi, reverse)
    }

    /// ZCOUNT.
    pub fn count_by_score(&self, range: &ScoreRange) -> usize {
        let (lo, hi) = self.score_span(range);
        hi - lo
    }

    /// ZLEXCOUNT.
    pub fn count_by_lex(&self, range: &LexRange<'_>) -> usize {
        let (lo, hi) = self.lex_span(range);
        hi - lo
    }

    /// Removes ascending ranks `lo..hi`, handing each entry to `f` first,
    /// ascending or descending.
    fn remove_ranks(
        &mut self,
        lo: usize,
        hi: usize,
        reverse: bool,
        mut f: impl FnMut(&[u8], f64),
    ) -> usize {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        match &mut self.repr {
            Repr::Listpack(lp) => {
                lp.iter_ranks(lo, hi, reverse).for_each(|(m, s)| f(m, s));
                lp.remove_ranks(lo, hi);
            }
            Repr::Skiplist(l) => l.remove_ranks(lo, hi, reverse, f),
        }
        hi - lo
    }

    /// ZREMRANGEBYRANK with `start..=end` resolved as for [`Self::range`].
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let (lo, hi) = self.rank_span(start, end, false);
        self.remove_ranks(lo, hi, false, |_, _| {})
    }

    /// ZREMRANGEBYSCORE.
    pub fn remove_range_by_score(&mut self, range: &ScoreRange) -> usize {
        let (lo, hi) = self.score_span(range);
        self.remove_ranks(lo, hi, false, |_, _| {})
    }

    /// ZREMRANGEBYLEX.
    pub fn remove_range_by_lex(&mut self, range: &LexRange<'_>) -> usize {
        let (lo, hi) = self.lex_span(range);
        self.remove_ranks(lo, hi, false, |_, _| {})
    }

    /// ZPOPMIN / ZPOPMAX (and their blocking and ZMPOP forms): removes up
    /// to `count` lowest (or highest) entries, handing each to `f` first in
    /// that order; returns how many.
    pub fn pop(&mut self, count: usize, max: bool, f: impl FnMut(&[u8], f64)) -> usize {
        let len = self.len();
        let n = count.min(len);
        if max {
            self.remove_ranks(len - n, len, true, f)
        } else {
            self.remove_ranks(0, n, false, f)
        }
    }

    /// A uniformly chosen entry (ZRANDMEMBER), None if empty.
    pub fn random_member<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Listpack(lp) if lp.len() > 0 => lp
                .entry(rng.random_range(0..lp.len()))
                .map(|e| (e.member, e.score)),
            Repr::Listpack(_) => None,
            Repr::Skiplist(l) => l.slot_entry(l.random_slot(rng)?),
        }
    }

    /// `count` uniformly chosen entries, repeats allowed (ZRANDMEMBER with a
    /// negative count); lazy, so a huge count costs nothing until consumed.
    pub fn random_members<'a, R: Rng + ?Sized>(
        &'a self,
        count: usize,
        rng: &'a mut R,
    ) -> Repeated<'a, ZSet, R> {
        Repeated::new(self, count, rng)
    }

    /// `min(count, len)` distinct entries, each subset equally likely
    /// (ZRANDMEMBER with a positive count). A listpack's, and large
    /// requests from a skiplist, come in set order (ascending for a
    /// listpack), as Redis's in-order sampling does; others in the order
    /// drawn.
    pub fn random_distinct<'a, R: Rng + ?Sized>(
        &'a self,
        count: usize,
        rng: &'a mut R,
    ) -> Distinct<'a, ZSet, R> {
        Distinct::new(self, count, rng)
    }

    /// One ZSCAN step: calls `f` for some entries and returns the next
    /// cursor, 0 when done. A listpack hands out everything at once; a
    /// skiplist one home bucket of its index (about one entry) per step, so
    /// ZSCAN's COUNT is met by calling again with the returned cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Listpack(lp) => {
                lp.iter().for_each(|(m, s)| f(m, s));
                0
            }
            Repr::Skiplist(l) => l.scan(cursor, f),
        }
    }
}

impl<'a> Draws<'a> for ZSet {
    type Item = (&'a [u8], f64);
    type Walk = ZIter<'a>;

    fn len(&self) -> usize {
        ZSet::len(self)
    }

    fn walk(&'a self) -> Option<ZIter<'a>> {
        matches!(self.repr, Repr::Listpack(_)).then(|| self.iter())
    }

    /// The skiplist's index slots.
    fn slot_count(&self) -> usize {
        match &self.repr {
            Repr::Listpack(_) => 0,
            Repr::Skiplist(l) => l.slot_count(),
        }
    }

    fn slot(&'a self, index: usize) -> Option<(&'a [u8], f64)> {
        match &self.repr {
            Repr::Listpack(_) => None,
            Repr::Skiplist(l) => l.slot_entry(index),
        }
    }

    fn random_slot<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(_) => None,
            Repr::Skiplist(l) => l.random_slot(rng),
        }
    }
}

/// Iterator over entries, yielding (member, score).
pub struct ZIter<'a>(IterInner<'a>);

enum IterInner<'a> {
    Listpack(listpack::Iter<'a>),
    Skiplist(large::Iter<'a>),
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterInner::Listpack(it) => it.next(),
            IterInner::Skiplist(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterInner::Listpack(it) => it.size_hint(),
            IterInner::Skiplist(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for ZIter<'_> {}
