//! `Listpack`: the small set with string members (Redis 7.2's `listpack`
//! set encoding).
//!
//! One exact-size allocation of `varint length, bytes` entries in insertion
//! order (the order Redis's listpack sets show in SMEMBERS; a removal closes
//! the gap). `member:123` costs 11 bytes, where a Redis listpack entry takes
//! 12. Lookups are linear scans that skip entries of another length without
//! reading them, as fits at most `set-max-listpack-entries` members.

use crate::keyspace::types::codec::{get_varint, put_varint, splice_exact, varint_len};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listpack {
    buf: Box<[u8]>,
    /// Kept so `len` is O(1); limits bound it far below `u32::MAX`.
    count: u32,
}

/// An entry: where it starts and ends in the buffer, and its member.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) member: &'a [u8],
}

impl Listpack {
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.count as usize
    }

    /// Entries in order.
    pub(crate) fn entries(&self) -> Entries<'_> {
        Entries {
            buf: &self.buf,
            pos: 0,
            left: self.len(),
        }
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.entries().map(|e| e.member)
    }

    pub(crate) fn find(&self, member: &[u8]) -> Option<Entry<'_>> {
        let mut pos = 0;
        while pos < self.buf.len() {
            let (len, start) = get_varint(&self.buf, pos);
            let end = start + len as usize;
            if len as usize == member.len() && &self.buf[start..end] == member {
                return Some(Entry {
                    start: pos,
                    end,
                    member: &self.buf[start..end],
                });
            }
            pos = end;
        }
        None
    }

    pub(crate) fn contains(&self, member: &[u8]) -> bool {
        self.find(member).is_some()
    }

    /// Appends a member the caller knows is absent.
    pub(crate) fn push(&mut self, member: &[u8]) {
        let mut entry = Vec::with_capacity(varint_len(member.len() as u64) + member.len());
        put_varint(&mut entry, member.len() as u64);
        entry.extend_from_slice(member);
        let end = self.buf.len();
        splice_exact(&mut self.buf, end, 0, &entry);
        self.count += 1;
    }

    /// Removes `member`; false if it was not there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        let Some(entry) = self.find(member) else {
            return false;
        };
        let (start, end) = (entry.start, entry.end);
        self.remove_entry(start, end);
        true
    }

    /// Removes the entry spanning `start..end` (from an [`Entry`]).
    pub(crate) fn remove_entry(&mut self, start: usize, end: usize) {
        splice_exact(&mut self.buf, start, end - start, &[]);
        self.count -= 1;
    }

    /// The `index`th entry (linear).
    pub(crate) fn nth_entry(&self, index: usize) -> Option<Entry<'_>> {
        self.entries().nth(index)
    }

    /// The `index`th member (linear).
    pub(crate) fn nth(&self, index: usize) -> Option<&[u8]> {
        self.nth_entry(index).map(|e| e.member)
    }

    /// Where each entry starts, for repeated random access.
    pub(crate) fn offsets(&self) -> Vec<usize> {
        self.entries().map(|e| e.start).collect()
    }

    /// The member of the entry starting at `start` (from [`Self::offsets`]).
    pub(crate) fn member_at(&self, start: usize) -> &[u8] {
        let (len, from) = get_varint(&self.buf, start);
        &self.buf[from..from + len as usize]
    }

    /// Keeps the members for which `keep` holds, in one rewrite.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let mut kept = Vec::with_capacity(self.buf.len());
        let mut count = 0;
        for entry in self.entries() {
            if keep(entry.member) {
                kept.extend_from_slice(&self.buf[entry.start..entry.end]);
                count += 1;
            }
        }
        if count != self.count {
            self.buf = kept.into_boxed_slice();
            self.count = count;
        }
    }
}

/// Iterator over a listpack's entries.
pub(crate) struct Entries<'a> {
    buf: &'a [u8],
    pos: usize,
    left: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.left == 0 {
            return None;
        }
        let (len, start) = get_varint(self.buf, self.pos);
        let end = start + len as usize;
        let entry = Entry {
            start: self.pos,
            end,
            member: &self.buf[start..end],
        };
        self.pos = end;
        self.left -= 1;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Entries<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_insertion_order_and_costs_length_plus_one() {
        let mut lp = Listpack::default();
        for m in [&b"member:1"[..], b"", b"\0\xff", b"member:2"] {
            lp.push(m);
        }
        assert_eq!(lp.heap_bytes(), 9 + 1 + 3 + 9);
        assert!(lp.remove(b""));
        assert!(!lp.remove(b""));
        assert_eq!(
            lp.iter().collect::<Vec<_>>(),
            [&b"member:1"[..], b"\0\xff", b"member:2"]
        );
        assert_eq!(lp.nth(2), Some(&b"member:2"[..]));
        assert_eq!(lp.nth(3), None);
        let offsets = lp.offsets();
        assert_eq!(lp.member_at(offsets[1]), b"\0\xff");
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
                if add && !present {
                    lp.push(&m);
                    model.push(m);
                } else if !add {
                    prop_assert_eq!(lp.remove(&m), present);
                    model.retain(|x| x != &m);
                }
                prop_assert_eq!(lp.len(), model.len());
            }
            prop_assert_eq!(lp.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), model.clone());
            lp.retain(|m| m.len() != 1);
            model.retain(|m| m.len() != 1);
            prop_assert_eq!(lp.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), model.clone());
            let size: usize = model.iter().map(|m| m.len() + 1).sum();
            prop_assert_eq!(lp.heap_bytes(), size);
        }
    }
}
