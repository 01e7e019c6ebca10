//! `IntTable`: the large set whose members are all integers (OBJECT
//! ENCODING says `hashtable`, as for any large Redis set).
//!
//! Redis keeps such a set as a dict of decimal strings, about 57 bytes per
//! member. Here each member is one slot of an open-addressing [`Table`],
//! stored frame-of-reference: its offset from a base, in 4 bytes while the
//! members span less than 2^32 (`Narrow`), else 8 (`Wide`). At the usual
//! load of 0.4 to 0.8 that is 5 to 10 bytes per member.
//!
//! Members hash by value ([`hash_int`]), not by code, so re-basing rewrites
//! codes in place without moving a slot, and widening keeps every slot where
//! it was: probing and SCAN cursors are unaffected. A narrow table re-bases
//! (centring the window on its members) when a member falls outside the
//! window; each re-base halves the window's spare room, so after at most 32
//! it widens instead. A wide table's base is a pseudo-random non-member,
//! re-drawn in the (unlikely, and not client-predictable) case that the
//! base itself is added.

use rand::Rng;

use crate::keyspace::types::table::{Slot, Table, hash_int};

/// A frame-of-reference code: a member's offset from the base, never 0.
pub(crate) trait Code: Slot {
    const MAX: u64;
    fn from_offset(offset: u64) -> Self;
    fn offset(self) -> u64;
}

impl Code for u32 {
    const MAX: u64 = u32::MAX as u64;
    fn from_offset(offset: u64) -> Self {
        offset as u32
    }
    fn offset(self) -> u64 {
        u64::from(self)
    }
}

impl Code for u64 {
    const MAX: u64 = u64::MAX;
    fn from_offset(offset: u64) -> Self {
        offset
    }
    fn offset(self) -> u64 {
        self
    }
}

fn decode<W: Code>(base: i64, code: W) -> i64 {
    base.wrapping_add(code.offset() as i64)
}

/// Hashes of slots, for probing and resizing.
fn home<W: Code>(base: i64) -> impl Fn(W) -> u64 {
    move |code| hash_int(decode(base, code))
}

#[derive(Clone, Debug)]
pub(crate) struct ForTable<W> {
    base: i64,
    table: Table<W>,
}

impl<W: Code> ForTable<W> {
    fn code(&self, v: i64) -> Option<W> {
        let offset = (v as u64).wrapping_sub(self.base as u64);
        (offset != 0 && offset <= W::MAX).then(|| W::from_offset(offset))
    }

    fn find(&self, v: i64) -> Option<usize> {
        let code = self.code(v)?;
        self.table.find(hash_int(v), |c| c == code)
    }

    /// Adds `v`, or Err if its offset does not fit the code.
    fn insert(&mut self, v: i64) -> Result<bool, ()> {
        let code = self.code(v).ok_or(())?;
        if self.table.find(hash_int(v), |c| c == code).is_some() {
            return Ok(false);
        }
        self.table.insert(hash_int(v), code, home(self.base));
        Ok(true)
    }

    fn remove_at(&mut self, index: usize) -> i64 {
        decode(self.base, self.table.remove_at(index, home(self.base)))
    }

    fn value_at(&self, index: usize) -> i64 {
        decode(self.base, self.table.get(index))
    }

    fn values(&self) -> impl Iterator<Item = i64> + '_ {
        self.table.iter().map(|(_, &c)| decode(self.base, c))
    }

    /// Moves the base; every member must fit the code relative to it.
    fn rebase(&mut self, base: i64) {
        let old = self.base;
        self.table
            .rewrite(|c| W::from_offset((decode(old, c) as u64).wrapping_sub(base as u64)));
        self.base = base;
    }

    fn map_slots<U: Slot>(&self, mut f: impl FnMut(i64) -> U) -> Table<U> {
        self.table.map_into(|c| f(decode(self.base, c)))
    }
}

/// A base putting every value in `min..=max` at offsets 1..=u32::MAX,
/// with equal room below and above; None if the span is too wide.
fn centred_base(min: i64, max: i64) -> Option<i64> {
    let room = i128::from(u32::MAX) - 1 - (i128::from(max) - i128::from(min));
    // Wrapping to i64 is fine: codes are offsets modulo 2^64.
    (room >= 0).then(|| (i128::from(min) - 1 - room / 2) as i64)
}

/// A pseudo-random base for which `is_member` is false.
fn fresh_base(seed: i64, is_member: impl Fn(i64) -> bool) -> i64 {
    (0..)
        .map(|i: i64| hash_int(seed.wrapping_add(i)) as i64)
        .find(|&b| !is_member(b))
        .unwrap_or(seed)
}

#[derive(Clone, Debug)]
pub(crate) enum IntTable {
    Narrow(ForTable<u32>),
    Wide(ForTable<u64>),
}

/// Runs the same generic code on either width.
macro_rules! with_table {
    ($self:expr, $t:ident => $body:expr) => {
        match $self {
            IntTable::Narrow($t) => $body,
            IntTable::Wide($t) => $body,
        }
    };
}

impl IntTable {
    /// A table holding `members` (distinct), sized for `capacity_for`
    /// members.
    pub(crate) fn from_members(members: &[i64], capacity_for: usize) -> Self {
        let (min, max) = (members.iter().min(), members.iter().max());
        let (min, max) = (min.copied().unwrap_or(0), max.copied().unwrap_or(0));
        let mut table = match centred_base(min, max) {
            Some(base) => IntTable::Narrow(ForTable {
                base,
                table: Table::with_capacity_for(capacity_for.max(members.len())),
            }),
            None => IntTable::Wide(ForTable {
                base: fresh_base(min, |b| members.contains(&b)),
                table: Table::with_capacity_for(capacity_for.max(members.len())),
            }),
        };
        for &v in members {
            table.insert(v);
        }
        table
    }

    pub(crate) fn len(&self) -> usize {
        with_table!(self, t => t.table.len())
    }

    pub(crate) fn capacity(&self) -> usize {
        with_table!(self, t => t.table.capacity())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        with_table!(self, t => t.table.heap_bytes())
    }

    pub(crate) fn contains(&self, v: i64) -> bool {
        with_table!(self, t => t.find(v).is_some())
    }

    /// Adds `v`; false if it was already a member.
    pub(crate) fn insert(&mut self, v: i64) -> bool {
        let fitted = with_table!(&mut *self, t => t.insert(v));
        match fitted {
            Ok(added) => added,
            Err(()) => {
                self.make_room_for(v);
                with_table!(self, t => t.insert(v).unwrap_or(false))
            }
        }
    }

    /// Re-bases or widens so that `v` fits the code.
    fn make_room_for(&mut self, v: i64) {
        match self {
            IntTable::Narrow(t) => {
                let (min, max) = t
                    .values()
                    .fold((v, v), |(lo, hi), x| (lo.min(x), hi.max(x)));
                match centred_base(min, max) {
                    Some(base) => t.rebase(base),
                    None => {
                        let base = fresh_base(v, |b| b == v || t.find(b).is_some());
                        let table = t.map_slots(|x| (x as u64).wrapping_sub(base as u64));
                        *self = IntTable::Wide(ForTable { base, table });
                    }
                }
            }
            IntTable::Wide(t) => {
                let base = fresh_base(v, |b| b == v || t.find(b).is_some());
                t.rebase(base);
            }
        }
    }

    pub(crate) fn remove(&mut self, v: i64) -> bool {
        with_table!(self, t => match t.find(v) {
            Some(index) => {
                t.remove_at(index);
                true
            }
            None => false,
        })
    }

    pub(crate) fn is_occupied(&self, index: usize) -> bool {
        with_table!(self, t => t.table.is_occupied(index))
    }

    pub(crate) fn value_at(&self, index: usize) -> i64 {
        with_table!(self, t => t.value_at(index))
    }

    pub(crate) fn remove_at(&mut self, index: usize) -> i64 {
        with_table!(self, t => t.remove_at(index))
    }

    pub(crate) fn random_index<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        with_table!(self, t => t.table.random_index(rng))
    }

    pub(crate) fn reserve_for(&mut self, len: usize) {
        with_table!(self, t => t.table.reserve_for(len, home(t.base)))
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> IntIter<'_> {
        IntIter {
            table: self,
            index: 0,
        }
    }

    pub(crate) fn scan(&self, cursor: u64, mut f: impl FnMut(i64)) -> u64 {
        with_table!(self, t => t.table.scan(cursor, home(t.base), |c| f(decode(t.base, c))))
    }

    /// The members as slots of another table, at the same indexes (see
    /// [`Table::map_into`]).
    pub(crate) fn map_slots<U: Slot>(&self, f: impl FnMut(i64) -> U) -> Table<U> {
        with_table!(self, t => t.map_slots(f))
    }
}

/// Members in slot order.
#[cfg(test)]
pub(crate) struct IntIter<'a> {
    table: &'a IntTable,
    index: usize,
}

#[cfg(test)]
impl Iterator for IntIter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        while self.index < self.table.capacity() {
            let index = self.index;
            self.index += 1;
            if self.table.is_occupied(index) {
                return Some(self.table.value_at(index));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn is_narrow(t: &IntTable) -> bool {
        matches!(t, IntTable::Narrow(_))
    }

    #[test]
    fn clustered_members_take_four_bytes_per_slot() {
        let members: Vec<i64> = (0..100_000).map(|j| 300_000 + j).collect();
        let t = IntTable::from_members(&members, 0);
        assert!(is_narrow(&t));
        assert_eq!(t.capacity(), 131_072);
        assert_eq!(t.heap_bytes(), 4 * 131_072);
        assert!(members.iter().all(|&v| t.contains(v)));
        assert!(!t.contains(299_999) && !t.contains(400_000));
    }

    #[test]
    fn rebases_then_widens_when_members_spread() {
        let mut t = IntTable::from_members(&[10, 20, 30], 0);
        assert!(t.insert(-4_000_000_000), "far below: re-base");
        assert!(is_narrow(&t));
        assert!(t.insert(100_000_000), "still within 2^32");
        assert!(is_narrow(&t));
        assert!(t.insert(i64::MAX), "too wide: widen");
        assert!(!is_narrow(&t));
        assert!(t.insert(i64::MIN));
        let expect: HashSet<i64> = [10, 20, 30, -4_000_000_000, 100_000_000, i64::MAX, i64::MIN]
            .into_iter()
            .collect();
        assert_eq!(t.iter().collect::<HashSet<_>>(), expect);
        assert!(!t.insert(20));
    }

    #[test]
    fn adding_the_wide_base_itself_redraws_it() {
        let mut t = IntTable::from_members(&[i64::MIN, i64::MAX], 0);
        let IntTable::Wide(w) = &t else {
            panic!("span needs 8 bytes")
        };
        let base = w.base;
        assert!(!t.contains(base));
        assert!(t.insert(base));
        assert!(t.contains(base) && t.contains(i64::MIN) && t.contains(i64::MAX));
        assert!(t.remove(base));
        assert!(!t.contains(base));
    }

    proptest! {
        #[test]
        fn behaves_like_a_hashset(
            ops in proptest::collection::vec(
                (0u8..3, prop_oneof![
                    0i64..2000,
                    any::<i64>(),
                    (-3i64..3).prop_map(|k| k.wrapping_mul(1 << 31)),
                    Just(i64::MIN),
                    Just(i64::MAX),
                ]),
                0..400,
            )
        ) {
            let mut t = IntTable::from_members(&[], 0);
            let mut model = HashSet::new();
            for (op, v) in ops {
                match op {
                    0 | 1 => prop_assert_eq!(t.insert(v), model.insert(v)),
                    _ => prop_assert_eq!(t.remove(v), model.remove(&v)),
                }
                prop_assert_eq!(t.contains(v), model.contains(&v));
                prop_assert_eq!(t.len(), model.len());
            }
            prop_assert_eq!(t.iter().collect::<HashSet<_>>(), model);
        }
    }
}
