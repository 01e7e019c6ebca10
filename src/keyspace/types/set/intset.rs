//! `IntSet`: the small integer set (Redis's `intset`), as a sorted
//! frame-of-reference array.
//!
//! One exact-size allocation: a width byte (1, 2, 4 or 8), the base as an
//! 8-byte little-endian integer, then each member's offset from the base in
//! that width, ascending. The base is at most every member (the smallest
//! member when it was last re-based), so 100 members spread over a range of
//! 256 cost 9 + 100 bytes, where Redis's intset would take 8 + 200 (int16)
//! or more. Lookups are binary searches; an insert below the base or beyond
//! the width rewrites the array (at most `set-max-intset-entries` long).
//! Iteration is ascending, as SMEMBERS shows for Redis's intsets.

use crate::keyspace::types::codec::splice_exact;
use crate::keyspace::types::mem::malloc_size;

const HEADER: usize = 9;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IntSet {
    /// Empty, or header plus offsets (see the module docs).
    buf: Box<[u8]>,
}

/// Narrowest width whose range holds `offset`.
fn width_for(offset: u64) -> usize {
    match offset {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xffff_ffff => 4,
        _ => 8,
    }
}

fn put_offset(out: &mut Vec<u8>, width: usize, offset: u64) {
    out.extend_from_slice(&offset.to_le_bytes()[..width]);
}

impl IntSet {
    /// An intset of `members` (any order, duplicates allowed).
    pub(crate) fn from_members(mut members: Vec<i64>) -> Self {
        members.sort_unstable();
        members.dedup();
        let mut set = IntSet::default();
        if let (Some(&min), Some(&max)) = (members.first(), members.last()) {
            let width = width_for((max as u64).wrapping_sub(min as u64));
            set.rebuild(min, width, &members);
        }
        set
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        malloc_size(self.buf.len())
    }

    fn width(&self) -> usize {
        usize::from(self.buf[0])
    }

    fn base(&self) -> i64 {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&self.buf[1..HEADER]);
        i64::from_le_bytes(bytes)
    }

    pub(crate) fn len(&self) -> usize {
        match self.buf.len() {
            0 => 0,
            n => (n - HEADER) / self.width(),
        }
    }

    fn offset_at(&self, index: usize, width: usize) -> u64 {
        let at = HEADER + index * width;
        let mut bytes = [0; 8];
        bytes[..width].copy_from_slice(&self.buf[at..at + width]);
        u64::from_le_bytes(bytes)
    }

    /// The member at `index` (ascending order).
    pub(crate) fn get(&self, index: usize) -> i64 {
        self.base()
            .wrapping_add(self.offset_at(index, self.width()) as i64)
    }

    pub(crate) fn min(&self) -> Option<i64> {
        (self.len() > 0).then(|| self.get(0))
    }

    pub(crate) fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).map(|last| self.get(last))
    }

    /// Where `v` is (Ok) or would go (Err); `v` must not be below the base.
    fn search(&self, offset: u64) -> Result<usize, usize> {
        let width = self.width();
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.offset_at(mid, width).cmp(&offset) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// `v`'s offset from the base, if `v` is not below it.
    fn offset_of(&self, v: i64) -> Option<u64> {
        let base = self.base();
        (v >= base).then(|| (v as u64).wrapping_sub(base as u64))
    }

    pub(crate) fn contains(&self, v: i64) -> bool {
        !self.buf.is_empty()
            && self
                .offset_of(v)
                .is_some_and(|offset| self.search(offset).is_ok())
    }

    /// Adds `v`; false if it was already a member.
    pub(crate) fn insert(&mut self, v: i64) -> bool {
        if self.buf.is_empty() {
            self.rebuild(v, 1, &[v]);
            return true;
        }
        let Some(offset) = self.offset_of(v) else {
            // Below the base: `v` becomes the base and the first member.
            let max = self.max().unwrap_or(v);
            let width = width_for((max as u64).wrapping_sub(v as u64));
            let members: Vec<i64> = std::iter::once(v).chain(self.iter()).collect();
            self.rebuild(v, width, &members);
            return true;
        };
        let width = self.width();
        let at = match self.search(offset) {
            Ok(_) => return false,
            Err(at) => at,
        };
        if width_for(offset) > width {
            // Past the widest offset, so `v` is the new maximum.
            let members: Vec<i64> = self.iter().chain([v]).collect();
            self.rebuild(self.base(), width_for(offset), &members);
            return true;
        }
        let encoded = offset.to_le_bytes();
        splice_exact(&mut self.buf, HEADER + at * width, 0, &encoded[..width]);
        true
    }

    /// Replaces the contents with `members` (ascending, none below `base`).
    fn rebuild(&mut self, base: i64, width: usize, members: &[i64]) {
        let mut buf = Vec::with_capacity(HEADER + members.len() * width);
        buf.push(width as u8);
        buf.extend_from_slice(&base.to_le_bytes());
        for &v in members {
            put_offset(&mut buf, width, (v as u64).wrapping_sub(base as u64));
        }
        self.buf = buf.into_boxed_slice();
    }

    /// Removes `v`; false if it was not a member.
    pub(crate) fn remove(&mut self, v: i64) -> bool {
        let found = (!self.buf.is_empty())
            .then(|| self.offset_of(v))
            .flatten()
            .and_then(|offset| self.search(offset).ok());
        match found {
            Some(index) => {
                self.remove_at(index);
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove_at(&mut self, index: usize) {
        if self.len() == 1 {
            self.buf = Box::default();
        } else {
            let width = self.width();
            splice_exact(&mut self.buf, HEADER + index * width, width, &[]);
        }
    }

    /// Keeps the members for which `keep` holds, in one rewrite.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(i64) -> bool) {
        if self.buf.is_empty() {
            return;
        }
        let kept: Vec<i64> = self.iter().filter(|&v| keep(v)).collect();
        if kept.is_empty() {
            self.buf = Box::default();
        } else if kept.len() < self.len() {
            self.rebuild(self.base(), self.width(), &kept);
        }
    }

    /// Members in ascending order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        let (base, width) = if self.buf.is_empty() {
            (0, 1)
        } else {
            (self.base(), self.width())
        };
        (0..self.len()).map(move |i| base.wrapping_add(self.offset_at(i, width) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_dense_run_costs_one_byte_per_member() {
        let mut s = IntSet::default();
        assert_eq!(s.heap_bytes(), 0);
        for v in 1000..1100 {
            assert!(s.insert(v));
        }
        assert!(!s.insert(1050));
        assert_eq!(s.heap_bytes(), malloc_size(HEADER + 100));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            (1000..1100).collect::<Vec<_>>()
        );
        assert_eq!((s.min(), s.max()), (Some(1000), Some(1099)));
    }

    #[test]
    fn extremes_widen_to_eight_bytes() {
        let mut s = IntSet::default();
        for v in [0, i64::MAX, i64::MIN, -1, 1] {
            assert!(s.insert(v));
        }
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, -1, 0, 1, i64::MAX]);
        assert!(s.contains(i64::MIN) && s.contains(i64::MAX));
        assert!(!s.contains(2));
        assert!(s.remove(i64::MIN));
        assert!(!s.contains(i64::MIN));
        assert!(s.contains(-1));
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(
            ops in proptest::collection::vec(
                (any::<bool>(), prop_oneof![
                    -300i64..300,
                    any::<i64>(),
                    (0i64..4).prop_map(|k| [i64::MIN, i64::MAX, -65_536, 70_000][k as usize]),
                ]),
                0..200,
            )
        ) {
            let mut s = IntSet::default();
            let mut model = BTreeSet::new();
            for (add, v) in ops {
                if add {
                    prop_assert_eq!(s.insert(v), model.insert(v));
                } else {
                    prop_assert_eq!(s.remove(v), model.remove(&v));
                }
                prop_assert_eq!(s.len(), model.len());
                prop_assert_eq!(s.contains(v), model.contains(&v));
            }
            prop_assert_eq!(s.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            let rebuilt = IntSet::from_members(s.iter().chain(s.iter()).collect::<Vec<_>>().into_iter().rev().collect());
            prop_assert_eq!(rebuilt.iter().collect::<Vec<_>>(), s.iter().collect::<Vec<_>>());
            let len = s.len();
            s.retain(|v| v % 2 == 0);
            model.retain(|v| v % 2 == 0);
            prop_assert!(s.len() <= len);
            prop_assert_eq!(s.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(s.heap_bytes(), if model.is_empty() { 0 } else { malloc_size(HEADER + s.len() * s.width()) });
        }
    }
}
