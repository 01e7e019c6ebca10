//! `Hash`: the hash type's representation.
//!
//! A hash starts small: its pairs in one front-coded packed run (field,
//! value, field, value, ...; fields coded against the previous field and
//! values against the previous value), in insertion order, reported as
//! `listpack`. `f41 v10041` after `f40 v10040` costs 4 bytes, so the
//! benchmark's 100-field hashes take 4.8 bytes a pair with their boxed
//! `Hash`, against Redis's 13.7. Lookups scan the run without assembling
//! fields, as Redis scans its listpack.
//!
//! As in Redis, it converts for good to the large form (`hashtable`,
//! [`PairTable`]: 19.4 bytes a pair against Redis's 61) once it holds
//! more than `hash-max-listpack-entries` pairs or a field or value longer
//! than `hash-max-listpack-value` bytes, including ahead of a command that
//! will add more pairs than that in one go ([`Hash::prepare_insert`]).
//!
//! Randomness (HRANDFIELD) comes from a caller-supplied `Rng`, so tests are
//! deterministic.

use std::mem;

use rand::{Rng, RngExt};

use super::Limits;
use super::hash_table::PairTable;
use super::mem::malloc_size;
use super::packed::{Elem, Packed};

/// Redis's `LISTPACK_MAX_SAFETY_SIZE`: a listpack never grows past 1 GiB.
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// A hash of binary-safe fields to binary-safe values.
#[derive(Clone)]
pub struct Hash(Repr);

#[derive(Clone)]
enum Repr {
    Small(Packed<2>),
    Large(Box<PairTable>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    pub const fn new() -> Hash {
        Hash(Repr::Small(Packed::new()))
    }

    /// Number of pairs (HLEN).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Small(pairs) => pairs.len() / 2,
            Repr::Large(table) => table.len(),
        }
    }

    /// An empty hash is deleted by the keyspace.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's name: `listpack` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match &self.0 {
            Repr::Small(_) => "listpack",
            Repr::Large(_) => "hashtable",
        }
    }

    /// Heap bytes owned beyond the `Hash` itself, allocator rounding included.
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Small(pairs) => pairs.heap_bytes(),
            Repr::Large(table) => malloc_size(mem::size_of::<PairTable>()) + table.heap_bytes(),
        }
    }

    /// The value of `field` (HGET): borrowed, or assembled in place when
    /// front coded.
    pub fn get(&self, field: &[u8]) -> Option<Elem<'_>> {
        match &self.0 {
            Repr::Small(pairs) => {
                let mut cursor = pairs.cursor();
                if !cursor.find(field) {
                    return None;
                }
                cursor.advance();
                cursor.next_elem()
            }
            Repr::Large(table) => table.get(field),
        }
    }

    /// HEXISTS.
    pub fn contains(&self, field: &[u8]) -> bool {
        match &self.0 {
            Repr::Small(pairs) => pairs.cursor().find(field),
            Repr::Large(table) => table.contains(field),
        }
    }

    /// Length of the value of `field` (HSTRLEN).
    pub fn value_len(&self, field: &[u8]) -> Option<usize> {
        self.get(field).map(|v| v.len())
    }

    /// What Redis decides before HSET/HMSET/HSETNX add pairs: `args` are the
    /// command's field and value arguments. More pairs than
    /// `hash-max-listpack-entries` (duplicates counted), any argument longer
    /// than `hash-max-listpack-value`, or a total that would take the
    /// listpack past 1 GiB, and a small hash converts now.
    pub fn prepare_insert(&mut self, args: &[&[u8]], limits: &Limits) {
        let Repr::Small(pairs) = &self.0 else {
            return;
        };
        let too_many = args.len() / 2 > limits.hash_max_listpack_entries;
        let too_long = args
            .iter()
            .any(|a| a.len() > limits.hash_max_listpack_value);
        let total = args
            .iter()
            .map(|a| a.len())
            .fold(pairs.byte_len(), usize::saturating_add);
        if too_many || too_long || total > LISTPACK_MAX_SAFETY_SIZE {
            self.convert(args.len() / 2);
        }
    }

    /// HSET of one pair; true if the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        self.insert(field, value, true, limits)
    }

    /// HSETNX: sets `field` only if it is absent; true if it was set.
    pub fn set_if_absent(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        self.insert(field, value, false, limits)
    }

    fn insert(&mut self, field: &[u8], value: &[u8], replace: bool, limits: &Limits) -> bool {
        let value_limit = limits.hash_max_listpack_value;
        if matches!(self.0, Repr::Small(_))
            && (field.len() > value_limit || value.len() > value_limit)
        {
            self.convert(1);
        }
        let pairs = match &mut self.0 {
            Repr::Large(table) => return table.insert(field, value, replace),
            Repr::Small(pairs) => pairs,
        };
        let mut cursor = pairs.cursor();
        let found = cursor.find(field);
        if found {
            if replace {
                cursor.advance();
                let at = cursor.into_position();
                pairs.splice(&at, 1, &[value]);
            }
            return false;
        }
        let end = cursor.into_position();
        pairs.splice(&end, 0, &[field, value]);
        if self.len() > limits.hash_max_listpack_entries {
            self.convert(0);
        }
        true
    }

    /// HDEL of one field; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Small(pairs) => {
                let mut cursor = pairs.cursor();
                if !cursor.find(field) {
                    return false;
                }
                let at = cursor.into_position();
                pairs.splice(&at, 2, &[]);
                true
            }
            Repr::Large(table) => table.remove(field),
        }
    }

    /// Moves the pairs into the large form, sized for `more` pairs to come.
    fn convert(&mut self, more: usize) {
        let Repr::Small(pairs) = &self.0 else {
            return;
        };
        let mut table = PairTable::with_capacity(pairs.len() / 2 + more);
        let mut cursor = pairs.cursor();
        while let Some([field, value]) = cursor.next_group() {
            table.insert(field, value, true);
        }
        self.0 = Repr::Large(Box::new(table));
    }

    /// Calls `f(field, value)` for every pair (HGETALL, HKEYS, HVALS): in
    /// insertion order while small, in table order once large; the same order
    /// every time while the hash is unchanged.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        match &self.0 {
            Repr::Small(pairs) => {
                let mut cursor = pairs.cursor();
                while let Some([field, value]) = cursor.next_group() {
                    f(field, value);
                }
            }
            Repr::Large(table) => table.for_each(f),
        }
    }

    /// One HSCAN step from `cursor` (0 to start): calls `f` for about `count`
    /// pairs and returns the cursor to continue from, 0 when done. Every pair
    /// present for the whole scan is returned at least once. A small hash
    /// returns everything at once, as Redis does for a listpack.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.0 {
            Repr::Small(_) => {
                self.for_each(&mut f);
                0
            }
            Repr::Large(table) => table.scan(cursor, count, f),
        }
    }

    /// A random pair (HRANDFIELD without a count).
    pub fn random_pair<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(Elem<'_>, Elem<'_>)> {
        match &self.0 {
            Repr::Small(pairs) => {
                if pairs.is_empty() {
                    return None;
                }
                let k = rng.random_range(0..pairs.len() / 2);
                let mut cursor = pairs.cursor();
                cursor.skip(2 * k);
                Some((cursor.next_elem()?, cursor.next_elem()?))
            }
            Repr::Large(table) => table.random_pair(rng),
        }
    }

    /// HRANDFIELD with a count: `count >= 0` gives `min(count, len)` distinct
    /// pairs (in storage order, as Redis's are not shuffled either), a
    /// negative count gives `|count|` pairs that may repeat, in random order.
    /// Nothing is allocated in proportion to `|count|` beyond `len`.
    pub fn random_pairs<R: Rng + ?Sized>(
        &self,
        count: i64,
        rng: &mut R,
        mut f: impl FnMut(&[u8], &[u8]),
    ) {
        let len = self.len();
        if len == 0 {
            return;
        }
        if count < 0 {
            return self.random_repeated(count.unsigned_abs(), rng, f);
        }
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count >= len {
            return self.for_each(f);
        }
        if let Repr::Large(table) = &self.0
            && count.saturating_mul(3) <= len
        {
            return table.sample_distinct(count, rng, f);
        }
        // Floyd's algorithm picks `count` distinct indexes; one pass emits them.
        let mut picked = vec![false; len];
        for j in len - count..len {
            let t = rng.random_range(0..=j);
            let slot = if picked[t] { j } else { t };
            picked[slot] = true;
        }
        let mut i = 0;
        self.for_each(|field, value| {
            if picked[i] {
                f(field, value);
            }
            i += 1;
        });
    }

    fn random_repeated<R: Rng + ?Sized>(
        &self,
        count: u64,
        rng: &mut R,
        mut f: impl FnMut(&[u8], &[u8]),
    ) {
        match &self.0 {
            Repr::Large(table) => {
                for _ in 0..count {
                    if let Some((field, value)) = table.random_pair(rng) {
                        f(&field, &value);
                    }
                }
            }
            Repr::Small(pairs) => {
                // Decode once; a small hash is at most a listpack's worth.
                let mut bytes = Vec::with_capacity(pairs.byte_len());
                let mut ends = Vec::with_capacity(pairs.len());
                let mut cursor = pairs.cursor();
                while let Some(entry) = cursor.next_entry() {
                    bytes.extend_from_slice(entry);
                    ends.push(bytes.len());
                }
                let entry = |i: usize| &bytes[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
                for _ in 0..count {
                    let k = rng.random_range(0..ends.len() / 2);
                    f(entry(2 * k), entry(2 * k + 1));
                }
            }
        }
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        self.for_each(|field, value| {
            map.entry(
                &field.escape_ascii().to_string(),
                &value.escape_ascii().to_string(),
            );
        });
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use std::collections::HashSet;

    fn limits(entries: usize, value: usize) -> Limits {
        Limits {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value: value,
            ..Limits::default()
        }
    }

    /// The model: pairs in insertion order (the small form's order), and
    /// whether Redis would have converted by now.
    #[derive(Default, Debug)]
    struct Model {
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
        large: bool,
    }

    impl Model {
        fn position(&self, field: &[u8]) -> Option<usize> {
            self.pairs.iter().position(|(f, _)| f == field)
        }

        fn set(&mut self, field: &[u8], value: &[u8], replace: bool, l: &Limits) -> bool {
            if field.len() > l.hash_max_listpack_value || value.len() > l.hash_max_listpack_value {
                self.large = true;
            }
            match self.position(field) {
                Some(i) => {
                    if replace {
                        self.pairs[i].1 = value.to_vec();
                    }
                    false
                }
                None => {
                    self.pairs.push((field.to_vec(), value.to_vec()));
                    self.large |= self.pairs.len() > l.hash_max_listpack_entries;
                    true
                }
            }
        }
    }

    fn check(hash: &Hash, model: &Model) {
        assert_eq!(hash.len(), model.pairs.len());
        assert_eq!(
            hash.encoding_name(),
            if model.large { "hashtable" } else { "listpack" }
        );
        let mut pairs = Vec::new();
        hash.for_each(|f, v| pairs.push((f.to_vec(), v.to_vec())));
        if model.large {
            pairs.sort();
            let mut expect = model.pairs.clone();
            expect.sort();
            assert_eq!(pairs, expect);
        } else {
            assert_eq!(pairs, model.pairs, "a small hash keeps insertion order");
        }
        for (f, v) in &model.pairs {
            assert_eq!(hash.get(f).as_deref(), Some(&v[..]));
            assert_eq!(hash.value_len(f), Some(v.len()));
            assert!(hash.contains(f));
        }
        assert!(
            hash.heap_bytes()
                >= model
                    .pairs
                    .iter()
                    .map(|(f, v)| f.len() + v.len())
                    .sum::<usize>()
                    / 32
        );
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            6 => (0u32..30).prop_map(|i| format!("f{i}").into_bytes()),
            2 => proptest::collection::vec(prop_oneof![Just(0u8), Just(b'f'), any::<u8>()], 0..6),
            1 => (0usize..14).prop_map(|n| vec![b'x'; n]),
            1 => any::<i64>().prop_map(|i| i.to_string().into_bytes()),
            1 => (60usize..80).prop_map(|n| vec![b'y'; n]),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(Vec<u8>, Vec<u8>),
        SetIfAbsent(Vec<u8>, Vec<u8>),
        Remove(Vec<u8>),
        Prepare(Vec<Vec<u8>>),
        Get(Vec<u8>),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            6 => (bytes(), bytes()).prop_map(|(f, v)| Op::Set(f, v)),
            2 => (bytes(), bytes()).prop_map(|(f, v)| Op::SetIfAbsent(f, v)),
            3 => bytes().prop_map(Op::Remove),
            1 => proptest::collection::vec(bytes(), 0..12).prop_map(Op::Prepare),
            2 => bytes().prop_map(Op::Get),
        ];
        proptest::collection::vec(op, 1..120)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn operations_match_a_model(entries in 0usize..10, value in 0usize..12, ops in ops()) {
            let l = limits(entries, value);
            let mut hash = Hash::new();
            let mut model = Model::default();
            for op in ops {
                match op {
                    Op::Set(f, v) => prop_assert_eq!(hash.set(&f, &v, &l), model.set(&f, &v, true, &l)),
                    Op::SetIfAbsent(f, v) => {
                        prop_assert_eq!(hash.set_if_absent(&f, &v, &l), model.set(&f, &v, false, &l))
                    }
                    Op::Remove(f) => {
                        let at = model.position(&f);
                        if let Some(i) = at {
                            model.pairs.remove(i);
                        }
                        prop_assert_eq!(hash.remove(&f), at.is_some());
                    }
                    Op::Prepare(args) => {
                        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                        hash.prepare_insert(&refs, &l);
                        model.large |= args.len() / 2 > entries || args.iter().any(|a| a.len() > value);
                    }
                    Op::Get(f) => {
                        let want = model.position(&f).map(|i| model.pairs[i].1.clone());
                        prop_assert_eq!(hash.get(&f).map(|v| v.to_vec()), want);
                    }
                }
                check(&hash, &model);
            }
            let mut scanned = HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = hash.scan(cursor, 3, |f, _| { scanned.insert(f.to_vec()); });
                if cursor == 0 {
                    break;
                }
            }
            prop_assert_eq!(scanned.len(), model.pairs.len());
        }

        #[test]
        fn random_pairs_follow_hrandfield_counts(n in 0usize..300, count in -400i64..400, seed in any::<u64>()) {
            let l = Limits::default();
            let mut hash = Hash::new();
            for i in 0..n {
                hash.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), &l);
            }
            let mut rng = SmallRng::seed_from_u64(seed);
            let mut got = Vec::new();
            hash.random_pairs(count, &mut rng, |f, v| got.push((f.to_vec(), v.to_vec())));
            for (f, v) in &got {
                prop_assert_eq!(&f[1..], &v[1..]);
                let stored = hash.get(f).map(|e| e.to_vec());
                prop_assert_eq!(stored.as_ref(), Some(v));
            }
            if count >= 0 {
                prop_assert_eq!(got.len(), (count as usize).min(n));
                let distinct: HashSet<_> = got.iter().collect();
                prop_assert_eq!(distinct.len(), got.len());
            } else {
                prop_assert_eq!(got.len(), if n == 0 { 0 } else { count.unsigned_abs() as usize });
            }
            prop_assert_eq!(hash.random_pair(&mut rng).is_some(), n > 0);
        }
    }

    #[test]
    fn conversion_thresholds_follow_redis() {
        let l = Limits {
            hash_max_listpack_entries: 128,
            ..Limits::default()
        };
        let mut hash = Hash::new();
        for i in 0..128 {
            assert!(hash.set(format!("f{i}").as_bytes(), b"v", &l));
        }
        assert_eq!(hash.encoding_name(), "listpack");
        assert!(hash.set(b"f128", b"v", &l));
        assert_eq!(hash.encoding_name(), "hashtable");
        for i in 0..129 {
            assert!(hash.remove(format!("f{i}").as_bytes()));
        }
        assert!(hash.is_empty());
        assert_eq!(hash.encoding_name(), "hashtable", "never converts back");

        let mut hash = Hash::new();
        assert!(hash.set(b"a", &[b'x'; 64], &l));
        assert_eq!(hash.encoding_name(), "listpack");
        assert!(!hash.set(b"a", &[b'x'; 65], &l));
        assert_eq!(hash.encoding_name(), "hashtable");
        let mut hash = Hash::new();
        assert!(!hash.set_if_absent(b"a", b"1", &l) || hash.len() == 1);
        assert!(!hash.set_if_absent(&[b'k'; 65], b"1", &l) || hash.encoding_name() == "hashtable");

        // 129 pairs in one HSET convert even if they are all one field.
        let mut hash = Hash::new();
        let args: Vec<&[u8]> = std::iter::repeat_n(&b"f"[..], 258).collect();
        hash.prepare_insert(&args, &l);
        assert_eq!(hash.encoding_name(), "hashtable");
        let mut hash = Hash::new();
        hash.prepare_insert(&args[..256], &l);
        assert_eq!(hash.encoding_name(), "listpack");
    }

    #[test]
    fn binary_fields_and_values_round_trip() {
        let l = limits(128, usize::MAX);
        let big = vec![0u8; 65_536];
        let mut small = Hash::new();
        let mut large = Hash::new();
        large.prepare_insert(&[&[0u8; 200][..]], &limits(128, 64));
        assert_eq!(large.encoding_name(), "hashtable");
        for hash in [&mut small, &mut large] {
            assert!(hash.set(b"", b"", &l));
            assert!(hash.set(b"\0", &big, &l));
            assert!(hash.set(b"\0\0", b"\0\xff", &l));
            assert!(hash.set(&big, b"big field", &l));
            assert_eq!(hash.get(b"").as_deref(), Some(&b""[..]));
            assert_eq!(hash.get(b"\0").as_deref(), Some(&big[..]));
            assert_eq!(hash.get(b"\0\0").as_deref(), Some(&b"\0\xff"[..]));
            assert_eq!(hash.get(&big).as_deref(), Some(&b"big field"[..]));
            assert_eq!(hash.value_len(b"\0"), Some(65_536));
            assert!(hash.get(b"\0\0\0").is_none());
            assert!(hash.remove(&big));
            assert!(hash.heap_bytes() > 65_536);
            assert_eq!(hash.len(), 3);
        }
    }

    #[test]
    fn scan_of_a_large_hash_survives_growth() {
        let l = Limits {
            hash_max_listpack_entries: 128,
            ..Limits::default()
        };
        let mut hash = Hash::new();
        for i in 0..200 {
            hash.set(format!("s{i}").as_bytes(), b"v", &l);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut next = 0;
        loop {
            cursor = hash.scan(cursor, 10, |f, _| {
                seen.insert(f.to_vec());
            });
            if cursor == 0 {
                break;
            }
            for _ in 0..100 {
                hash.set(format!("new{next}").as_bytes(), b"v", &l);
                next += 1;
            }
        }
        assert!(next > 1000, "the table grew during the scan");
        assert!((0..200).all(|i| seen.contains(format!("s{i}").as_bytes())));
    }
}
