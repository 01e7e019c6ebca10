//! `PairTable`: the large form of a hash (OBJECT ENCODING `hashtable`), a
//! table of buckets that are each a small packed run of field/value pairs.
//!
//! # Why not a table of entries
//!
//! A chained entry per pair, as Redis (or [`Dict`](crate::keyspace::Dict))
//! has, costs a node header, a pointer and an allocation's rounding per
//! pair on top of the bytes: about 60 bytes a pair for short fields and
//! values. Here the fields and values of all pairs that hash to a bucket sit
//! in one exactly sized allocation, front coded ([`packed`](super::packed),
//! stride 2), and the table holds one 16-byte boxed slice per bucket at 2 to
//! 4 pairs a bucket. For `f0..f99999` with values `v<n>` that is about 11
//! bytes of data, 5 of slot and 3 of allocator rounding a pair.
//!
//! Lookups hash the field once (the keyspace's seeded hasher) and scan one
//! bucket, about 40 bytes, without assembling fields. Inserting reallocates
//! the bucket (mimalloc often grows it in place); a bucket holding long
//! values copies them when it grows, the price of not having a pointer per
//! value.
//!
//! # SCAN
//!
//! The bucket count is a power of two and buckets are addressed by the low
//! bits of the hash, so the reverse-binary cursor of Redis's `dictScan`
//! works: every pair present for a whole scan is returned at least once,
//! even if the table doubles or halves between calls. Resizing only ever
//! doubles or halves, which splits each bucket into two or merges two.

use std::collections::HashSet;
use std::mem;

use rand::{Rng, RngExt};

use super::mem::malloc_size;
use super::packed::{Builder, Cursor, Elem, splice_boxed};
use crate::keyspace::dict::hash_key;

/// Pairs per bucket above which the table doubles (then holds 2 a bucket).
const MAX_LOAD: usize = 4;
/// Fewer pairs than this per bucket and the table halves (then holds 1).
const MIN_LOAD_DIVISOR: usize = 2;
const MIN_BUCKETS: usize = 4;
/// Slots per bucket that random sampling draws from (see `random_position`).
const RANDOM_SLOTS: usize = 2 * MAX_LOAD;

#[derive(Clone, Default)]
pub(super) struct PairTable {
    /// Empty, or a power-of-two number of buckets; an empty bucket is an
    /// empty slice and owns no allocation.
    buckets: Box<[Box<[u8]>]>,
    len: usize,
    /// Sum of the buckets' allocation sizes, kept so `heap_bytes` is O(1).
    bucket_heap: usize,
}

impl PairTable {
    /// A table sized for `pairs` pairs.
    pub(super) fn with_capacity(pairs: usize) -> PairTable {
        let mut table = PairTable::default();
        let buckets = pairs
            .div_ceil(MAX_LOAD / 2)
            .next_power_of_two()
            .max(MIN_BUCKETS);
        table.buckets = vec![Box::default(); buckets].into_boxed_slice();
        table
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn heap_bytes(&self) -> usize {
        malloc_size(mem::size_of_val(&*self.buckets)) + self.bucket_heap
    }

    fn bucket_index(&self, field: &[u8]) -> usize {
        hash_key(field) as usize & (self.buckets.len() - 1)
    }

    /// The bucket that holds or would hold `field`.
    fn bucket(&self, field: &[u8]) -> &[u8] {
        if self.buckets.is_empty() {
            return &[];
        }
        &self.buckets[self.bucket_index(field)]
    }

    pub(super) fn get(&self, field: &[u8]) -> Option<Elem<'_>> {
        let mut cursor = Cursor::<2>::new(self.bucket(field));
        if !cursor.find(field) {
            return None;
        }
        cursor.advance();
        cursor.next_elem()
    }

    pub(super) fn contains(&self, field: &[u8]) -> bool {
        Cursor::<2>::new(self.bucket(field)).find(field)
    }

    /// Sets `field` to `value`; true if the field is new. With `replace`
    /// false an existing field is left as it is.
    pub(super) fn insert(&mut self, field: &[u8], value: &[u8], replace: bool) -> bool {
        if self.buckets.is_empty() {
            self.resize(MIN_BUCKETS);
        }
        let i = self.bucket_index(field);
        let mut cursor = Cursor::<2>::new(&self.buckets[i]);
        let found = cursor.find(field);
        if found && !replace {
            return false;
        }
        let (remove, insert): (usize, &[&[u8]]) = if found {
            cursor.advance();
            (1, &[value])
        } else {
            (0, &[field, value])
        };
        let at = cursor.into_position();
        self.edit_bucket(i, |bucket| splice_boxed(bucket, &at, remove, insert));
        if !found {
            self.len += 1;
            if self.len > MAX_LOAD * self.buckets.len() {
                self.resize(self.buckets.len() * 2);
            }
        }
        !found
    }

    pub(super) fn remove(&mut self, field: &[u8]) -> bool {
        if self.buckets.is_empty() {
            return false;
        }
        let i = self.bucket_index(field);
        let mut cursor = Cursor::<2>::new(&self.buckets[i]);
        if !cursor.find(field) {
            return false;
        }
        let at = cursor.into_position();
        self.edit_bucket(i, |bucket| splice_boxed(bucket, &at, 2, &[]));
        self.len -= 1;
        let buckets = self.buckets.len();
        if buckets > MIN_BUCKETS && self.len * MIN_LOAD_DIVISOR < buckets {
            self.resize(buckets / 2);
        }
        true
    }

    fn edit_bucket(&mut self, i: usize, f: impl FnOnce(&mut Box<[u8]>)) {
        let bucket = &mut self.buckets[i];
        let before = malloc_size(bucket.len());
        f(bucket);
        self.bucket_heap = self.bucket_heap - before + malloc_size(bucket.len());
    }

    /// Doubles or halves the bucket count: each old bucket splits into two,
    /// or two merge into one, keeping their pairs' relative order.
    fn resize(&mut self, new_len: usize) {
        let old = mem::take(&mut self.buckets);
        let mut buckets = vec![Box::<[u8]>::default(); new_len].into_boxed_slice();
        let mut builders = [Builder::<2>::new(), Builder::<2>::new()];
        if new_len > old.len() {
            let mask = new_len - 1;
            for (i, bucket) in old.iter().enumerate() {
                let mut cursor = Cursor::<2>::new(bucket);
                while let Some([field, value]) = cursor.next_group() {
                    let half = usize::from(hash_key(field) as usize & mask != i);
                    builders[half].push(field);
                    builders[half].push(value);
                }
                buckets[i] = builders[0].take_boxed();
                buckets[i + old.len()] = builders[1].take_boxed();
            }
        } else {
            for (j, slot) in buckets.iter_mut().enumerate() {
                for bucket in [&old[j], &old[j + new_len]] {
                    let mut cursor = Cursor::<2>::new(bucket);
                    while let Some([field, value]) = cursor.next_group() {
                        builders[0].push(field);
                        builders[0].push(value);
                    }
                }
                *slot = builders[0].take_boxed();
            }
        }
        self.bucket_heap = buckets.iter().map(|b| malloc_size(b.len())).sum();
        self.buckets = buckets;
    }

    /// Calls `f(field, value)` for every pair, in bucket order.
    pub(super) fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        for bucket in &self.buckets {
            let mut cursor = Cursor::<2>::new(bucket);
            while let Some([field, value]) = cursor.next_group() {
                f(field, value);
            }
        }
    }

    /// One HSCAN step: the pairs of whole buckets from `cursor` on, until
    /// about `count` are out or the scan is done (next cursor 0).
    pub(super) fn scan(
        &self,
        mut cursor: u64,
        count: usize,
        mut f: impl FnMut(&[u8], &[u8]),
    ) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let count = count.max(1);
        let mut emitted = 0;
        // As Redis, visit at most ten buckets per pair asked for.
        for _ in 0..count.saturating_mul(10) {
            let mut pairs = Cursor::<2>::new(&self.buckets[(cursor & mask) as usize]);
            while let Some([field, value]) = pairs.next_group() {
                f(field, value);
                emitted += 1;
            }
            // Setting the bits above the mask makes the increment of the
            // reversed cursor carry straight into the bucket bits.
            cursor = (cursor | !mask)
                .reverse_bits()
                .wrapping_add(1)
                .reverse_bits();
            if cursor == 0 || emitted >= count {
                break;
            }
        }
        cursor
    }

    /// Number of pairs in a bucket.
    fn pairs_in(bucket: &[u8]) -> usize {
        let mut cursor = Cursor::<2>::new(bucket);
        cursor.skip(usize::MAX) / 2
    }

    /// Pair `k` of bucket `b`.
    fn pair_at(&self, b: usize, k: usize) -> Option<(Elem<'_>, Elem<'_>)> {
        let mut cursor = Cursor::<2>::new(&self.buckets[b]);
        cursor.skip(2 * k);
        Some((cursor.next_elem()?, cursor.next_elem()?))
    }

    /// A random pair's position: a random bucket and a random one of
    /// `RANDOM_SLOTS` slots, retried until the slot holds a pair. That is
    /// uniform except that the pairs of a bucket holding more than
    /// `RANDOM_SLOTS` are picked a little less often (such buckets are about
    /// 2% of them at the highest load).
    fn random_position<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(usize, usize)> {
        if self.len == 0 {
            return None;
        }
        loop {
            let b = rng.random_range(0..self.buckets.len());
            let pairs = Self::pairs_in(&self.buckets[b]);
            if pairs == 0 {
                continue;
            }
            let k = rng.random_range(0..pairs.max(RANDOM_SLOTS));
            if k < pairs {
                return Some((b, k));
            }
        }
    }

    pub(super) fn random_pair<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(Elem<'_>, Elem<'_>)> {
        let (b, k) = self.random_position(rng)?;
        self.pair_at(b, k)
    }

    /// `count` distinct random pairs, `count` well below `len` (sampling
    /// with rejection of repeats).
    pub(super) fn sample_distinct<R: Rng + ?Sized>(
        &self,
        count: usize,
        rng: &mut R,
        mut f: impl FnMut(&[u8], &[u8]),
    ) {
        debug_assert!(count * 3 <= self.len);
        let mut seen = HashSet::with_capacity(count);
        while seen.len() < count {
            let Some(position) = self.random_position(rng) else {
                return;
            };
            if seen.insert(position)
                && let Some((field, value)) = self.pair_at(position.0, position.1)
            {
                f(&field, &value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;
    use std::collections::HashMap;

    fn field(i: usize) -> Vec<u8> {
        format!("f{i}").into_bytes()
    }

    fn check(table: &PairTable, model: &HashMap<Vec<u8>, Vec<u8>>) {
        assert_eq!(table.len(), model.len());
        let mut seen = HashMap::new();
        table.for_each(|f, v| {
            assert!(
                seen.insert(f.to_vec(), v.to_vec()).is_none(),
                "duplicate field"
            );
        });
        assert_eq!(&seen, model);
        let heap: usize = table.buckets.iter().map(|b| malloc_size(b.len())).sum();
        assert_eq!(table.bucket_heap, heap);
        let buckets = table.buckets.len();
        assert!(buckets == 0 || buckets.is_power_of_two());
        assert!(table.len <= MAX_LOAD * buckets);
        assert!(buckets <= MIN_BUCKETS || table.len * MIN_LOAD_DIVISOR >= buckets);
    }

    #[test]
    fn grows_and_shrinks_keeping_every_pair() {
        let mut table = PairTable::default();
        let mut model = HashMap::new();
        for i in 0..5000 {
            let v = format!("v{}", i * 7).into_bytes();
            assert!(table.insert(&field(i), &v, true));
            model.insert(field(i), v);
        }
        check(&table, &model);
        assert_eq!(table.buckets.len(), 2048);
        assert!(
            !table.insert(&field(3), b"new", false),
            "set-if-absent keeps it"
        );
        assert_eq!(&*table.get(&field(3)).unwrap(), b"v21");
        assert!(!table.insert(&field(3), b"new", true));
        model.insert(field(3), b"new".to_vec());
        for i in (10..5000).rev() {
            assert!(table.remove(&field(i)));
            assert!(!table.remove(&field(i)));
            model.remove(&field(i));
        }
        check(&table, &model);
        assert_eq!(
            table.buckets.len(),
            16,
            "halved while under half a pair a bucket"
        );
        for i in 0..10 {
            assert_eq!(
                table.get(&field(i)).as_deref(),
                model.get(&field(i)).map(Vec::as_slice)
            );
            assert!(table.contains(&field(i)));
        }
        assert!(table.get(b"f10").is_none());
    }

    /// Runs a whole HSCAN, calling `between` after each step.
    fn full_scan(
        table: &mut PairTable,
        count: usize,
        mut between: impl FnMut(&mut PairTable),
    ) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = table.scan(cursor, count, |f, _| seen.push(f.to_vec()));
            if cursor == 0 {
                return seen;
            }
            between(table);
        }
    }

    #[test]
    fn scan_returns_each_pair_once_when_nothing_changes() {
        let mut table = PairTable::default();
        for i in 0..3000 {
            table.insert(&field(i), b"v", true);
        }
        for count in [1, 10, 1000] {
            let mut seen = full_scan(&mut table, count, |_| {});
            seen.sort();
            let mut all: Vec<_> = (0..3000).map(field).collect();
            all.sort();
            assert_eq!(seen, all);
        }
    }

    #[test]
    fn scan_returns_stable_pairs_across_growth_and_shrinking() {
        let mut rng = SmallRng::seed_from_u64(11);
        for round in 0..20 {
            let mut table = PairTable::default();
            let stable: Vec<_> = (0..rng.random_range(1..400))
                .map(|i| format!("s{round}:{i}").into_bytes())
                .collect();
            for f in &stable {
                table.insert(f, b"x", true);
            }
            let mut churn = Vec::new();
            let mut n = 0;
            let seen: HashSet<_> = full_scan(&mut table, rng.random_range(1..20), |t| {
                if rng.random_bool(0.5) {
                    for _ in 0..rng.random_range(0..3000) {
                        let f = format!("c{n}").into_bytes();
                        n += 1;
                        t.insert(&f, b"y", true);
                        churn.push(f);
                    }
                } else {
                    let keep = rng.random_range(0..=churn.len());
                    for f in churn.drain(keep..) {
                        t.remove(&f);
                    }
                }
            })
            .into_iter()
            .collect();
            for f in &stable {
                assert!(seen.contains(f), "round {round}: missed {f:?}");
            }
        }
    }

    #[test]
    fn random_pairs_are_close_to_uniform() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut table = PairTable::default();
        for i in 0..50 {
            table.insert(&field(i), &field(i), true);
        }
        let mut hits = HashMap::new();
        for _ in 0..50_000 {
            let (f, v) = table.random_pair(&mut rng).unwrap();
            assert_eq!(&*f, &*v);
            *hits.entry(f.to_vec()).or_insert(0) += 1;
        }
        assert_eq!(hits.len(), 50);
        // 1000 expected each; a fair sampler stays well within 30%.
        assert!(hits.values().all(|&n| (700..1300).contains(&n)), "{hits:?}");
        let mut distinct = HashSet::new();
        table.sample_distinct(16, &mut rng, |f, _| assert!(distinct.insert(f.to_vec())));
        assert_eq!(distinct.len(), 16);
    }
}
