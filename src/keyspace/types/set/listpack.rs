//! `Listpack`: the small set with string members (Redis 7.2's `listpack`
//! set encoding), as a front-coded [`Packed`] sequence.
//!
//! Members are kept in insertion order (the order Redis's listpack sets
//! show in SMEMBERS; a removal closes the gap), each coded against the one
//! before it: `member:1042` after `member:1041` costs 2 bytes, an unrelated
//! 10-byte member 11, where a Redis listpack entry takes 12. Lookups are
//! linear scans that do not assemble members ([`Cursor::find`]), as fits
//! at most `set-max-listpack-entries` members.

use crate::keyspace::types::packed::{Builder, Cursor, Elem, Packed};

#[derive(Clone, Debug, Default)]
pub(crate) struct Listpack(Packed<1>);

impl Listpack {
    /// A listpack of `members` (distinct), in that order.
    pub(crate) fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut builder = Builder::new();
        for m in members {
            builder.push(m);
        }
        Listpack(Packed::from_builder(builder))
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.0.heap_bytes()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn iter(&self) -> Members<'_> {
        Members(self.0.cursor())
    }

    pub(crate) fn contains(&self, member: &[u8]) -> bool {
        self.0.cursor().find(member)
    }

    /// Appends `member` unless it is there already (one walk either way).
    pub(crate) fn insert(&mut self, member: &[u8]) -> bool {
        let mut cursor = self.0.cursor();
        if cursor.find(member) {
            return false;
        }
        let end = cursor.into_position();
        self.0.splice(&end, 0, &[member]);
        true
    }

    /// Removes `member`; false if it was not there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        let mut cursor = self.0.cursor();
        if !cursor.find(member) {
            return false;
        }
        let at = cursor.into_position();
        self.0.splice(&at, 1, &[]);
        true
    }

    pub(crate) fn get(&self, index: usize) -> Option<Elem<'_>> {
        self.0.get(index)
    }

    pub(crate) fn remove_at(&mut self, index: usize) {
        self.0.remove(index, 1);
    }

    /// Keeps the members for which `keep` holds, in one rewrite.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(Elem<'_>) -> bool) {
        let mut builder = Builder::new();
        for m in self.iter() {
            if keep(m) {
                builder.push(&m);
            }
        }
        if builder.count() != self.len() {
            *self = Listpack(Packed::from_builder(builder));
        }
    }
}

/// The members in order.
pub(crate) struct Members<'a>(Cursor<'a, 1>);

impl<'a> Iterator for Members<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        self.0.next_elem()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn members(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|m| m.to_vec()).collect()
    }

    #[test]
    fn keeps_insertion_order_and_front_codes_neighbours() {
        let mut lp = Listpack::default();
        for i in 0..100 {
            assert!(lp.insert(format!("member:{}", 1000 + i).as_bytes()));
        }
        assert!(!lp.insert(b"member:1050"));
        assert!(lp.heap_bytes() < 100 * 4, "{}", lp.heap_bytes());
        assert!(lp.remove(b"member:1000"));
        assert!(!lp.remove(b"member:1000"));
        assert_eq!(members(&lp)[0], b"member:1001");
        assert_eq!(
            lp.get(98).map(|m| m.to_vec()),
            Some(b"member:1099".to_vec())
        );
        assert!(lp.get(99).is_none());
        lp.remove_at(0);
        assert_eq!(members(&lp)[0], b"member:1002");
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec_without_duplicates(
            ops in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec(0u8..4, 0..3)),
                0..100,
            )
        ) {
            let mut lp = Listpack::default();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for (add, m) in ops {
                let present = model.contains(&m);
                prop_assert_eq!(lp.contains(&m), present);
                if add {
                    prop_assert_eq!(lp.insert(&m), !present);
                    if !present {
                        model.push(m);
                    }
                } else {
                    prop_assert_eq!(lp.remove(&m), present);
                    model.retain(|x| x != &m);
                }
                prop_assert_eq!(lp.len(), model.len());
            }
            prop_assert_eq!(members(&lp), model.clone());
            lp.retain(|m| m.len() != 1);
            model.retain(|m| m.len() != 1);
            prop_assert_eq!(members(&lp), model.clone());
            let rebuilt = Listpack::from_members(model.iter().map(Vec::as_slice));
            prop_assert_eq!(members(&rebuilt), model);
        }
    }
}
