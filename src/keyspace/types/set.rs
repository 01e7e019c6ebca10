//! `Set`: the set type's value, in Redis 7.2's three encodings (the names
//! OBJECT ENCODING reports) and its conversion rules.
//!
//! | encoding    | representation                          | bytes per member |
//! |-------------|-----------------------------------------|------------------|
//! | `intset`    | [`IntSet`]: sorted frame-of-reference   | 1, 2, 4 or 8 (the members' spread), + 9 per set |
//! | `listpack`  | [`Listpack`]: front-coded entries       | 1 + the suffix not shared with the previous member (2 for `member:1042` after `member:1041`) |
//! | `hashtable` | [`IntTable`] if every member is an integer: 4-byte offsets from a base (8 if they spread past 2^32) in an open-addressing table | 5 to 10 (4/load) |
//! | `hashtable` | [`StrTable`] otherwise: 8-byte slots, members over 7 bytes in an arena | 10 to 20, + length + 1 if over 7 bytes |
//!
//! For comparison, Redis 7.2 takes about 5 bytes per member in an int32
//! intset, length + 2 in a listpack and about 57 in a hashtable.
//! `heap_bytes` counts allocations at mimalloc's size classes.
//!
//! Conversions follow Redis 7.2 (`t_set.c`): an intset takes canonical
//! integers (`string2ll` spelling) up to `set-max-intset-entries` (capped at
//! 2^30) and then becomes a hashtable; a non-integer turns it into a
//! listpack if the result fits the listpack limits (counting the decimal
//! length of its extreme members), else a hashtable; a listpack past
//! `set-max-listpack-entries` members or given a member longer than
//! `set-max-listpack-value` becomes a hashtable. Nothing converts back,
//! except through [`Set::convert_to_intset_if_all_integers`] and the
//! replacement set SPOP builds (as Redis does).
//!
//! Iteration order: ascending for an intset (SMEMBERS shows it), insertion
//! order for a listpack, slot order for a hashtable. SCAN on a small
//! encoding returns everything with cursor 0; on a hashtable it keeps
//! Redis's guarantee, also across the integer table's conversion to the
//! string table (same slots, same hashes).
//!
//! Size hints ([`Set::with_hint`], [`Set::reserve_hint`]) must count members
//! that exist (command arguments, source sets): a hashtable is pre-sized
//! from them.

mod ints;
mod intset;
mod listpack;
mod strs;
#[cfg(test)]
mod tests;

use rand::{Rng, RngExt};

use self::ints::IntTable;
use self::intset::IntSet;
use self::listpack::{Listpack, Members};
use self::strs::StrTable;
use super::Limits;
use super::mem::malloc_size;
use super::packed::Elem;
use super::sample::{Distinct, Draws, Repeated, Selection};
use crate::util::num::parse_i64;

/// A member as a set hands it out: an integer (from the integer
/// encodings), bytes borrowed from the set, or a listpack entry (assembled
/// on the stack when front coded). An integer stands for its decimal
/// spelling; equality and hashing go by the spelling.
#[derive(Debug, Clone, Copy)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    Packed(Elem<'a>),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes (an integer is formatted on the
    /// stack).
    pub fn with_bytes<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            Member::Int(v) => f(IntText::new(*v).as_ref()),
            Member::Bytes(b) => f(b),
            Member::Packed(e) => f(e),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }
}

impl PartialEq for Member<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Member::Int(a), Member::Int(b)) => a == b,
            _ => self.with_bytes(|a| other.with_bytes(|b| a == b)),
        }
    }
}

impl Eq for Member<'_> {}

impl std::hash::Hash for Member<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.with_bytes(|b| b.hash(state));
    }
}

/// An integer's decimal spelling, on the stack.
struct IntText {
    buf: [u8; 20],
    len: u8,
}

impl IntText {
    fn new(v: i64) -> Self {
        let mut itoa = itoa::Buffer::new();
        let text = itoa.format(v).as_bytes();
        let mut buf = [0; 20];
        buf[..text.len()].copy_from_slice(text);
        IntText {
            buf,
            len: text.len() as u8,
        }
    }
}

impl AsRef<[u8]> for IntText {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

#[derive(Clone, Debug)]
pub struct Set {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Intset(IntSet),
    Listpack(Listpack),
    Ints(Box<IntTable>),
    Strs(Box<StrTable>),
}

/// `set-max-intset-entries`, capped as Redis caps it.
fn max_intset_entries(limits: &Limits) -> usize {
    limits.set_max_intset_entries.min(1 << 30)
}

/// `set-max-listpack-entries`, capped so a listpack's count fits its u32.
fn max_listpack_entries(limits: &Limits) -> usize {
    limits.set_max_listpack_entries.min(u32::MAX as usize)
}

/// Decimal length of `v`, sign included (Redis's `sdigits10`).
fn decimal_len(v: i64) -> usize {
    usize::from(IntText::new(v).len)
}

impl Set {
    /// An empty intset (Redis's `createIntsetObject`).
    pub fn new_intset() -> Set {
        Set {
            repr: Repr::Intset(IntSet::default()),
        }
    }

    /// An empty listpack set (Redis's `createSetListpackObject`).
    pub fn new_listpack() -> Set {
        Set {
            repr: Repr::Listpack(Listpack::default()),
        }
    }

    /// An empty set in the encoding Redis's `setTypeCreate` picks for a set
    /// whose first member is `first` and that will get about `size_hint`
    /// members; `first` is not added.
    pub fn with_hint(first: &[u8], size_hint: usize, limits: &Limits) -> Set {
        let first_is_int = parse_i64(first).is_some();
        let repr = if first_is_int && size_hint <= limits.set_max_intset_entries {
            Repr::Intset(IntSet::default())
        } else if size_hint <= limits.set_max_listpack_entries {
            Repr::Listpack(Listpack::default())
        } else if first_is_int {
            Repr::Ints(Box::new(IntTable::from_members(&[], size_hint)))
        } else {
            Repr::Strs(Box::new(StrTable::with_capacity_for(size_hint)))
        };
        Set { repr }
    }

    /// What OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Listpack(_) => "listpack",
            Repr::Ints(_) | Repr::Strs(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(s) => s.len(),
            Repr::Listpack(s) => s.len(),
            Repr::Ints(t) => t.len(),
            Repr::Strs(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated on the heap for the members (not `size_of::<Set>()`).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Intset(s) => s.heap_bytes(),
            Repr::Listpack(s) => s.heap_bytes(),
            Repr::Ints(t) => malloc_size(size_of::<IntTable>()) + t.heap_bytes(),
            Repr::Strs(t) => malloc_size(size_of::<StrTable>()) + t.heap_bytes(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(s) => parse_i64(member).is_some_and(|v| s.contains(v)),
            Repr::Listpack(s) => s.contains(member),
            Repr::Ints(t) => parse_i64(member).is_some_and(|v| t.contains(v)),
            Repr::Strs(t) => t.contains(member),
        }
    }

    /// Like `contains`, for a member taken from another set.
    pub fn contains_member(&self, member: Member<'_>) -> bool {
        match (&self.repr, member) {
            (Repr::Intset(s), Member::Int(v)) => s.contains(v),
            (Repr::Ints(t), Member::Int(v)) => t.contains(v),
            _ => member.with_bytes(|b| self.contains(b)),
        }
    }

    /// Adds `member`, converting the encoding as Redis 7.2 does; false if it
    /// was already there.
    pub fn add(&mut self, member: &[u8], limits: &Limits) -> bool {
        match &mut self.repr {
            Repr::Intset(s) => match parse_i64(member) {
                Some(v) => self.add_int(v, limits),
                None => {
                    if Self::intset_fits_listpack(s, member, limits) {
                        let texts: Vec<IntText> = s.iter().map(IntText::new).collect();
                        let members = texts.iter().map(AsRef::as_ref);
                        let lp = Listpack::from_members(members.chain([member]));
                        self.repr = Repr::Listpack(lp);
                    } else {
                        let capacity_for = s.len() + 1;
                        self.convert_to_hashtable(capacity_for, Some(member));
                        self.add(member, limits);
                    }
                    true
                }
            },
            Repr::Listpack(s) => {
                if s.len() < max_listpack_entries(limits)
                    && member.len() <= limits.set_max_listpack_value
                {
                    return s.insert(member);
                }
                if s.contains(member) {
                    return false;
                }
                let capacity_for = s.len() + 1;
                self.convert_to_hashtable(capacity_for, Some(member));
                self.add(member, limits)
            }
            Repr::Ints(t) => match parse_i64(member) {
                Some(v) => t.insert(v),
                None => {
                    self.repr = Repr::Strs(Box::new(StrTable::from_ints(t)));
                    self.add(member, limits)
                }
            },
            Repr::Strs(t) => t.insert(member),
        }
    }

    /// Whether an intset plus the non-integer `member` fits a listpack.
    fn intset_fits_listpack(s: &IntSet, member: &[u8], limits: &Limits) -> bool {
        let widest = [s.min(), s.max()]
            .into_iter()
            .flatten()
            .map(decimal_len)
            .max()
            .unwrap_or(0);
        s.len() < max_listpack_entries(limits)
            && member.len() <= limits.set_max_listpack_value
            && widest <= limits.set_max_listpack_value
    }

    /// Like `add`, for a member taken from another set (SUNIONSTORE, SMOVE).
    pub fn add_member(&mut self, member: Member<'_>, limits: &Limits) -> bool {
        match (&self.repr, member) {
            (Repr::Intset(_) | Repr::Ints(_), Member::Int(v)) => self.add_int(v, limits),
            _ => member.with_bytes(|b| self.add(b, limits)),
        }
    }

    fn add_int(&mut self, v: i64, limits: &Limits) -> bool {
        match &mut self.repr {
            Repr::Intset(s) => {
                let added = s.insert(v);
                if added && s.len() > max_intset_entries(limits) {
                    let capacity_for = s.len();
                    self.convert_to_hashtable(capacity_for, None);
                }
                added
            }
            Repr::Ints(t) => t.insert(v),
            _ => self.add(IntText::new(v).as_ref(), limits),
        }
    }

    /// Converts a small encoding to a hashtable sized for `capacity_for`
    /// members: the integer table if every member (and `incoming`, if
    /// given) is an integer.
    fn convert_to_hashtable(&mut self, capacity_for: usize, incoming: Option<&[u8]>) {
        let incoming_is_int = incoming.is_none_or(|m| parse_i64(m).is_some());
        let repr = match &self.repr {
            Repr::Intset(s) if incoming_is_int => {
                let members: Vec<i64> = s.iter().collect();
                Repr::Ints(Box::new(IntTable::from_members(&members, capacity_for)))
            }
            Repr::Listpack(s) if incoming_is_int && s.iter().all(|m| parse_i64(&m).is_some()) => {
                let members: Vec<i64> = s.iter().filter_map(|m| parse_i64(&m)).collect();
                Repr::Ints(Box::new(IntTable::from_members(&members, capacity_for)))
            }
            Repr::Ints(_) | Repr::Strs(_) => return,
            _ => {
                let mut t = StrTable::with_capacity_for(capacity_for);
                for m in self.iter() {
                    m.with_bytes(|b| t.insert(b));
                }
                Repr::Strs(Box::new(t))
            }
        };
        self.repr = repr;
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(s) => parse_i64(member).is_some_and(|v| s.remove(v)),
            Repr::Listpack(s) => s.remove(member),
            Repr::Ints(t) => parse_i64(member).is_some_and(|v| t.remove(v)),
            Repr::Strs(t) => t.remove(member),
        }
    }

    /// Like `remove`, for a member taken from another set.
    pub fn remove_member(&mut self, member: Member<'_>) -> bool {
        match (&mut self.repr, member) {
            (Repr::Intset(s), Member::Int(v)) => s.remove(v),
            (Repr::Ints(t), Member::Int(v)) => t.remove(v),
            _ => member.with_bytes(|b| self.remove(b)),
        }
    }

    /// Redis's `setTypeMaybeConvert`: a small set about to get `size_hint`
    /// members (SADD's argument count) that would outgrow its encoding
    /// becomes a hashtable now, sized for them.
    pub fn reserve_hint(&mut self, size_hint: usize, limits: &Limits) {
        let outgrown = match &self.repr {
            Repr::Intset(_) => size_hint > limits.set_max_intset_entries,
            Repr::Listpack(_) => size_hint > limits.set_max_listpack_entries,
            Repr::Ints(_) | Repr::Strs(_) => false,
        };
        if outgrown {
            self.convert_to_hashtable(size_hint, None);
        }
        match &mut self.repr {
            Repr::Ints(t) => t.reserve_for(size_hint),
            Repr::Strs(t) => t.reserve_for(size_hint),
            _ => {}
        }
    }

    /// Redis's `maybeConvertToIntset` (SINTERSTORE of integer members):
    /// becomes an intset if every member is an integer and they fit; says
    /// whether the set is an intset now.
    pub fn convert_to_intset_if_all_integers(&mut self, limits: &Limits) -> bool {
        if let Repr::Intset(_) = self.repr {
            return true;
        }
        if self.len() > max_intset_entries(limits) {
            return false;
        }
        let members: Option<Vec<i64>> = self
            .iter()
            .map(|m| match m {
                Member::Int(v) => Some(v),
                _ => m.with_bytes(parse_i64),
            })
            .collect();
        match members {
            Some(members) => {
                self.repr = Repr::Intset(IntSet::from_members(members));
                true
            }
            None => false,
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        let inner = match &self.repr {
            Repr::Intset(s) => IterInner::Intset(s, 0),
            Repr::Listpack(s) => IterInner::Listpack(s.iter()),
            Repr::Ints(_) | Repr::Strs(_) => IterInner::Slots(self, 0),
        };
        Iter {
            inner,
            left: self.len(),
        }
    }

    fn remove_slot(&mut self, index: usize) {
        match &mut self.repr {
            Repr::Ints(t) => {
                t.remove_at(index);
            }
            Repr::Strs(t) => t.remove_at(index),
            _ => {}
        }
    }

    /// One SSCAN step: calls `f` for some members and returns the next
    /// cursor, 0 when done. Small encodings hand out everything at once; a
    /// hashtable hands out one home bucket (about one member) per step, so
    /// SSCAN's COUNT is met by calling again with the returned cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Member<'_>)) -> u64 {
        match &self.repr {
            Repr::Ints(t) => t.scan(cursor, |v| f(Member::Int(v))),
            Repr::Strs(t) => t.scan(cursor, |b| f(Member::Bytes(b))),
            _ => {
                self.iter().for_each(f);
                0
            }
        }
    }

    /// A uniformly chosen member (SRANDMEMBER), None if empty.
    pub fn random_member<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<Member<'_>> {
        if self.is_empty() {
            return None;
        }
        match &self.repr {
            Repr::Intset(s) => Some(Member::Int(s.get(rng.random_range(0..s.len())))),
            Repr::Listpack(s) => s.get(rng.random_range(0..s.len())).map(Member::Packed),
            _ => self.slot(self.random_slot(rng)?),
        }
    }

    /// `count` uniformly chosen members, repeats allowed (SRANDMEMBER with a
    /// negative count); lazy, so a huge count costs nothing until consumed.
    pub fn random_members<'a, R: Rng + ?Sized>(
        &'a self,
        count: usize,
        rng: &'a mut R,
    ) -> Repeated<'a, Set, R> {
        Repeated::new(self, count, rng)
    }

    /// `min(count, len)` distinct members, each subset equally likely
    /// (SRANDMEMBER with a positive count). A listpack's, and large requests
    /// from a hashtable, come in set order, as Redis's in-order sampling
    /// does; others in the order drawn.
    pub fn random_distinct<'a, R: Rng + ?Sized>(
        &'a self,
        count: usize,
        rng: &'a mut R,
    ) -> Distinct<'a, Set, R> {
        Distinct::new(self, count, rng)
    }

    /// Removes a uniformly chosen member (SPOP), handing it to `f` first.
    pub fn pop_random<R: Rng + ?Sized, T>(
        &mut self,
        rng: &mut R,
        f: impl FnOnce(Member<'_>) -> T,
    ) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        match &mut self.repr {
            Repr::Intset(s) => {
                let index = rng.random_range(0..s.len());
                let out = f(Member::Int(s.get(index)));
                s.remove_at(index);
                Some(out)
            }
            Repr::Listpack(s) => {
                let index = rng.random_range(0..s.len());
                let out = f(Member::Packed(s.get(index)?));
                s.remove_at(index);
                Some(out)
            }
            _ => {
                let index = self.random_slot(rng)?;
                let out = f(self.slot(index)?);
                self.remove_slot(index);
                Some(out)
            }
        }
    }

    /// SPOP with a count: removes `min(count, len)` distinct random members,
    /// handing each to `f` before it goes; returns how many. Follows Redis's
    /// strategies, including the one that shows: when most of a hashtable
    /// set is popped, the survivors move to a new set built from a
    /// listpack (so the set may come out as a listpack), as SPOP's
    /// "case 3" does. An emptied set must be deleted by the caller.
    pub fn pop_many<R: Rng + ?Sized>(
        &mut self,
        count: usize,
        rng: &mut R,
        limits: &Limits,
        mut f: impl FnMut(Member<'_>),
    ) -> usize {
        let size = self.len();
        let count = count.min(size);
        if count == 0 {
            return 0;
        }
        let mut selection = Selection::new(count, size);
        match &mut self.repr {
            Repr::Intset(s) => s.retain(|v| {
                let popped = selection.take(rng);
                if popped {
                    f(Member::Int(v));
                }
                !popped
            }),
            Repr::Listpack(s) => s.retain(|m| {
                let popped = selection.take(rng);
                if popped {
                    f(Member::Packed(m));
                }
                !popped
            }),
            _ if (size - count).saturating_mul(5) > count => {
                for _ in 0..count {
                    self.pop_random(rng, &mut f);
                }
            }
            _ => {
                let mut survivors = Set::new_listpack();
                for _ in 0..size - count {
                    let Some(index) = self.random_slot(rng) else {
                        break;
                    };
                    if let Some(m) = self.slot(index) {
                        survivors.add_member(m, limits);
                    }
                    self.remove_slot(index);
                }
                self.iter().for_each(&mut f);
                *self = survivors;
            }
        }
        count
    }
}

impl<'a> Draws<'a> for Set {
    type Item = Member<'a>;
    type Walk = Iter<'a>;

    fn len(&self) -> usize {
        Set::len(self)
    }

    fn walk(&'a self) -> Option<Iter<'a>> {
        matches!(self.repr, Repr::Listpack(_)).then(|| self.iter())
    }

    /// Intset positions, or hashtable slots.
    fn slot_count(&self) -> usize {
        match &self.repr {
            Repr::Intset(s) => s.len(),
            Repr::Listpack(_) => 0,
            Repr::Ints(t) => t.capacity(),
            Repr::Strs(t) => t.capacity(),
        }
    }

    fn slot(&'a self, index: usize) -> Option<Member<'a>> {
        match &self.repr {
            Repr::Intset(s) => (index < s.len()).then(|| Member::Int(s.get(index))),
            Repr::Listpack(_) => None,
            Repr::Ints(t) => t.is_occupied(index).then(|| Member::Int(t.value_at(index))),
            Repr::Strs(t) => t
                .is_occupied(index)
                .then(|| Member::Bytes(t.member_at(index))),
        }
    }

    fn random_slot<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        match &self.repr {
            Repr::Intset(s) => (s.len() > 0).then(|| rng.random_range(0..s.len())),
            Repr::Listpack(_) => None,
            Repr::Ints(t) => t.random_index(rng),
            Repr::Strs(t) => t.random_index(rng),
        }
    }
}

/// Iterator over a set's members; see [`Set::iter`] for the order.
pub struct Iter<'a> {
    inner: IterInner<'a>,
    left: usize,
}

enum IterInner<'a> {
    Intset(&'a IntSet, usize),
    Listpack(Members<'a>),
    /// A hashtable set and the next slot to look at.
    Slots(&'a Set, usize),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        if self.left == 0 {
            return None;
        }
        let member = match &mut self.inner {
            IterInner::Intset(s, next) => {
                *next += 1;
                Member::Int(s.get(*next - 1))
            }
            IterInner::Listpack(members) => Member::Packed(members.next()?),
            IterInner::Slots(set, next) => loop {
                let index = *next;
                *next += 1;
                if index >= set.slot_count() {
                    return None;
                }
                if let Some(m) = set.slot(index) {
                    break m;
                }
            },
        };
        self.left -= 1;
        Some(member)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}
