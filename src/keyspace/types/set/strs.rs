//! `StrTable`: the large set with string members (`hashtable`).
//!
//! An open-addressing [`Table`] of [`MemberRef`] words: members of up to 7
//! bytes live in their slot, longer ones in the set's [`Arena`]. Per member
//! that is one 8-byte slot (about 10 to 20 bytes at the table's load) plus,
//! for long members, length + 1 arena bytes: `member:123456` costs about 27
//! bytes where Redis's dict entry, sds string and bucket take about 60.
//! Probes compare whole words for short members and a 16-bit hash tag
//! before touching the arena for long ones.

use rand::Rng;

use crate::keyspace::types::member::{Arena, MemberRef, Probe};
use crate::keyspace::types::set::ints::IntTable;
use crate::keyspace::types::table::{Table, hash_member};

#[derive(Clone, Debug, Default)]
pub(crate) struct StrTable {
    table: Table<MemberRef>,
    arena: Arena,
}

impl StrTable {
    pub(crate) fn with_capacity_for(len: usize) -> Self {
        StrTable {
            table: Table::with_capacity_for(len),
            arena: Arena::default(),
        }
    }

    /// The members of an integer table, spelled in decimal, in the same
    /// slots (their hashes are equal, see [`hash_member`]), so a SCAN in
    /// progress carries on.
    pub(crate) fn from_ints(ints: &IntTable) -> Self {
        let mut arena = Arena::default();
        let table = ints.map_slots(|v| {
            let mut buf = itoa::Buffer::new();
            let text = buf.format(v).as_bytes();
            arena.store(text, hash_member(text))
        });
        StrTable { table, arena }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.table.heap_bytes() + self.arena.heap_bytes()
    }

    fn find(&self, probe: &Probe<'_>) -> Option<usize> {
        self.table
            .find(probe.hash(), |r| self.arena.matches(r, probe))
    }

    pub(crate) fn contains(&self, member: &[u8]) -> bool {
        self.find(&Probe::new(member, hash_member(member)))
            .is_some()
    }

    /// Adds `member`; false if it was already there.
    pub(crate) fn insert(&mut self, member: &[u8]) -> bool {
        let probe = Probe::new(member, hash_member(member));
        if self.find(&probe).is_some() {
            return false;
        }
        let r = self.arena.store(member, probe.hash());
        let arena = &self.arena;
        self.table
            .insert(probe.hash(), r, |r| hash_member(arena.get(&r)));
        true
    }

    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        match self.find(&Probe::new(member, hash_member(member))) {
            Some(index) => {
                self.remove_at(index);
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove_at(&mut self, index: usize) {
        let arena = &self.arena;
        let r = self.table.remove_at(index, |r| hash_member(arena.get(&r)));
        self.arena.release(r);
        if self.arena.wants_compaction(self.table.capacity()) {
            let mut compaction = self.arena.start_compaction();
            self.table.rewrite(|r| compaction.relocate(r));
            self.arena.finish(compaction);
        }
    }

    pub(crate) fn reserve_for(&mut self, len: usize) {
        let arena = &self.arena;
        self.table.reserve_for(len, |r| hash_member(arena.get(&r)));
    }

    pub(crate) fn is_occupied(&self, index: usize) -> bool {
        self.table.is_occupied(index)
    }

    pub(crate) fn member_at(&self, index: usize) -> &[u8] {
        self.arena.get(self.table.slot(index))
    }

    pub(crate) fn random_index<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        self.table.random_index(rng)
    }

    /// Members in slot order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.table.iter().map(|(_, r)| self.arena.get(r))
    }

    pub(crate) fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        let arena = &self.arena;
        self.table
            .scan(cursor, |r| hash_member(arena.get(&r)), |r| f(arena.get(&r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn integer_table_converts_in_place() {
        let members: Vec<i64> = (0..5000).map(|i| i * 7 - 9000).collect();
        let ints = IntTable::from_members(&members, 0);
        let strs = StrTable::from_ints(&ints);
        assert_eq!(strs.capacity(), ints.capacity());
        assert_eq!(strs.len(), members.len());
        for i in 0..ints.capacity() {
            assert_eq!(strs.is_occupied(i), ints.is_occupied(i));
            if ints.is_occupied(i) {
                assert_eq!(strs.member_at(i), ints.value_at(i).to_string().as_bytes());
            }
        }
        for v in &members {
            assert!(strs.contains(v.to_string().as_bytes()));
        }
    }

    proptest! {
        #[test]
        fn behaves_like_a_hashset(
            ops in proptest::collection::vec(
                (0u8..3, prop_oneof![
                    (0u32..300).prop_map(|i| format!("m{i}").into_bytes()),
                    (0u32..300).prop_map(|i| format!("a-long-member:{i}").into_bytes()),
                    proptest::collection::vec(any::<u8>(), 0..12),
                ]),
                0..600,
            )
        ) {
            let mut t = StrTable::default();
            let mut model = HashSet::new();
            for (op, m) in ops {
                match op {
                    0 | 1 => prop_assert_eq!(t.insert(&m), model.insert(m.clone())),
                    _ => prop_assert_eq!(t.remove(&m), model.remove(&m)),
                }
                prop_assert_eq!(t.contains(&m), model.contains(&m));
                prop_assert_eq!(t.len(), model.len());
            }
            prop_assert_eq!(t.iter().map(<[u8]>::to_vec).collect::<HashSet<_>>(), model);
        }
    }

    #[test]
    fn churn_of_long_members_compacts_the_arena() {
        let mut t = StrTable::default();
        let member = |i: usize| format!("a-rather-long-member-name:{i:08}").into_bytes();
        for round in 0..20 {
            for i in 0..2000 {
                t.insert(&member(round * 2000 + i));
            }
            for i in 0..2000 {
                assert!(t.remove(&member(round * 2000 + i)));
            }
        }
        t.insert(b"x");
        assert_eq!(t.len(), 1);
        assert!(
            t.heap_bytes() < 64 * 1024,
            "garbage was reclaimed: {}",
            t.heap_bytes()
        );
    }
}
