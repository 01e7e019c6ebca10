//! `Set` against a model of Redis 7.2's behaviour: the members (a
//! `BTreeSet`), the insertion order a listpack keeps, and the encoding
//! Redis would report after each step.

use super::*;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::collections::{BTreeSet, HashSet};

fn limits(intset: usize, entries: usize, value: usize) -> Limits {
    Limits {
        set_max_intset_entries: intset,
        set_max_listpack_entries: entries,
        set_max_listpack_value: value,
        ..Limits::default()
    }
}

fn bytes(m: Member<'_>) -> Vec<u8> {
    m.to_vec()
}

fn members(set: &Set) -> Vec<Vec<u8>> {
    set.iter().map(bytes).collect()
}

/// What Redis 7.2 would hold and report.
#[derive(Debug)]
struct Model {
    encoding: &'static str,
    /// Members in the order the encoding iterates them (ascending for an
    /// intset, insertion order for a listpack; unordered for a hashtable).
    order: Vec<Vec<u8>>,
    limits: Limits,
}

impl Model {
    fn new(limits: Limits) -> Self {
        Model {
            encoding: "intset",
            order: Vec::new(),
            limits,
        }
    }

    fn contains(&self, m: &[u8]) -> bool {
        self.order.iter().any(|x| x == m)
    }

    fn add(&mut self, m: &[u8]) -> bool {
        if self.contains(m) {
            return false;
        }
        let l = &self.limits;
        let int = parse_i64(m);
        self.encoding = match (self.encoding, int) {
            ("intset", Some(_)) if self.order.len() + 1 > l.set_max_intset_entries => "hashtable",
            ("intset", Some(_)) => "intset",
            ("intset", None) => {
                let widest = self.order.iter().map(Vec::len).max().unwrap_or(0);
                if self.order.len() < l.set_max_listpack_entries
                    && m.len() <= l.set_max_listpack_value
                    && widest <= l.set_max_listpack_value
                {
                    "listpack"
                } else {
                    "hashtable"
                }
            }
            ("listpack", _)
                if self.order.len() < l.set_max_listpack_entries
                    && m.len() <= l.set_max_listpack_value =>
            {
                "listpack"
            }
            _ => "hashtable",
        };
        self.order.push(m.to_vec());
        if self.encoding == "intset" {
            self.order.sort_by_key(|x| parse_i64(x));
        }
        true
    }

    fn remove(&mut self, m: &[u8]) -> bool {
        let before = self.order.len();
        self.order.retain(|x| x != m);
        before != self.order.len()
    }

    fn check(&self, set: &Set) -> Result<(), TestCaseError> {
        prop_assert_eq!(set.encoding_name(), self.encoding);
        prop_assert_eq!(set.len(), self.order.len());
        let mine = members(set);
        if self.encoding == "hashtable" {
            let mine: BTreeSet<_> = mine.into_iter().collect();
            let theirs: BTreeSet<_> = self.order.iter().cloned().collect();
            prop_assert_eq!(mine, theirs);
        } else {
            prop_assert_eq!(&mine, &self.order);
        }
        Ok(())
    }
}

/// Members that exercise every encoding: small and huge integers,
/// non-canonical integer spellings, short and long strings, binary bytes.
fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0i64..40).prop_map(|v| v.to_string().into_bytes()),
        1 => any::<i64>().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::sample::select(vec!["-0", "007", "+1", " 1", "1.0", "", "9223372036854775808"])
            .prop_map(|s| s.as_bytes().to_vec()),
        2 => (0u32..30).prop_map(|i| format!("m{i}").into_bytes()),
        1 => (0u32..30).prop_map(|i| format!("a-longer-member:{i}").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..10),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn follows_redis_encodings_and_contents(
        (intset, entries, value) in (0usize..12, 0usize..10, 1usize..20),
        ops in proptest::collection::vec((0u8..4, member()), 0..120),
    ) {
        let limits = limits(intset, entries, value);
        let mut set = Set::new_intset();
        let mut model = Model::new(limits);
        for (op, m) in ops {
            match op {
                0 | 1 => prop_assert_eq!(set.add(&m, &limits), model.add(&m)),
                2 => prop_assert_eq!(set.remove(&m), model.remove(&m)),
                _ => prop_assert_eq!(set.contains(&m), model.contains(&m)),
            }
            model.check(&set)?;
        }
    }

    #[test]
    fn members_from_other_sets_behave_like_their_bytes(
        ops in proptest::collection::vec((any::<bool>(), -20i64..20), 0..200),
        intset in 0usize..30,
    ) {
        let limits = limits(intset, 8, 16);
        let mut a = Set::new_intset();
        let mut b = Set::new_listpack();
        for (add, v) in ops {
            let text = v.to_string();
            if add {
                prop_assert_eq!(a.add_member(Member::Int(v), &limits), b.add(text.as_bytes(), &limits));
            } else {
                prop_assert_eq!(a.remove_member(Member::Int(v)), b.remove(text.as_bytes()));
            }
            prop_assert_eq!(a.contains_member(Member::Int(v)), b.contains_member(Member::Bytes(text.as_bytes())));
        }
        let a: BTreeSet<_> = members(&a).into_iter().collect();
        let b: BTreeSet<_> = members(&b).into_iter().collect();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn random_draws_stay_within_the_set(
        contents in proptest::collection::btree_set(member(), 0..40),
        count in prop_oneof![0usize..50, Just(usize::MAX), Just(1 << 62)],
        seed in any::<u64>(),
        (intset, entries) in (0usize..20, 0usize..20),
    ) {
        let limits = limits(intset, entries, 64);
        let mut set = Set::new_intset();
        for m in &contents {
            set.add(m, &limits);
        }
        let mut rng = SmallRng::seed_from_u64(seed);
        let distinct: Vec<_> = set.random_distinct(count, &mut rng).map(bytes).collect();
        prop_assert_eq!(distinct.len(), count.min(contents.len()));
        prop_assert_eq!(distinct.iter().collect::<HashSet<_>>().len(), distinct.len());
        prop_assert!(distinct.iter().all(|m| contents.contains(m)));
        let repeats: Vec<_> = set.random_members(count.min(100), &mut rng).map(bytes).collect();
        prop_assert_eq!(repeats.len(), if contents.is_empty() { 0 } else { count.min(100) });
        prop_assert!(repeats.iter().all(|m| contents.contains(m)));
        prop_assert_eq!(set.random_member(&mut rng).is_none(), contents.is_empty());

        let encoding = set.encoding_name();
        let mut popped = Vec::new();
        let n = set.pop_many(count, &mut rng, &limits, |m| popped.push(bytes(m)));
        prop_assert_eq!(n, count.min(contents.len()));
        prop_assert_eq!(popped.len(), n);
        let left: BTreeSet<_> = members(&set).into_iter().collect();
        prop_assert_eq!(left.len(), contents.len() - n);
        prop_assert_eq!(set.len(), left.len());
        let mut all: BTreeSet<_> = popped.into_iter().collect();
        prop_assert_eq!(all.len(), n, "popped members are distinct");
        all.extend(left.iter().cloned());
        prop_assert_eq!(&all, &contents);
        if encoding != "hashtable" {
            prop_assert_eq!(set.encoding_name(), encoding, "small sets keep their encoding");
        }
        for m in &left {
            prop_assert!(set.contains(m));
        }
        if let Some(m) = set.pop_random(&mut rng, bytes) {
            prop_assert!(left.contains(&m) && !set.contains(&m));
        }
    }
}

#[test]
fn intset_converts_to_hashtable_past_its_limit() {
    let l = Limits::default();
    let mut set = Set::new_intset();
    for v in 0..512 {
        set.add(v.to_string().as_bytes(), &l);
    }
    assert_eq!(set.encoding_name(), "intset");
    set.add(b"512", &l);
    assert_eq!(set.encoding_name(), "hashtable");
    assert!((0..=512).all(|v| set.contains(v.to_string().as_bytes())));
    set.add(b"not a number", &l);
    assert_eq!(set.encoding_name(), "hashtable");
    assert_eq!(set.len(), 514);
    assert!((0..=512).all(|v| set.contains(v.to_string().as_bytes())));
}

#[test]
fn intset_with_wide_members_skips_listpack() {
    let l = limits(512, 128, 5);
    let mut set = Set::new_intset();
    set.add(b"123456", &l);
    set.add(b"a", &l);
    assert_eq!(set.encoding_name(), "hashtable", "123456 is longer than 5");
    let mut set = Set::new_intset();
    set.add(b"-1234", &l);
    set.add(b"a", &l);
    assert_eq!(set.encoding_name(), "listpack", "-1234 is 5 long");
    assert_eq!(members(&set), [b"-1234".to_vec(), b"a".to_vec()]);
}

#[test]
fn size_hints_pick_the_encoding_like_set_type_create() {
    let l = Limits::default();
    assert_eq!(Set::with_hint(b"1", 512, &l).encoding_name(), "intset");
    assert_eq!(Set::with_hint(b"1", 513, &l).encoding_name(), "hashtable");
    assert_eq!(
        Set::with_hint(b"1", 100, &limits(50, 128, 64)).encoding_name(),
        "listpack"
    );
    assert_eq!(Set::with_hint(b"x", 128, &l).encoding_name(), "listpack");
    assert_eq!(Set::with_hint(b"x", 129, &l).encoding_name(), "hashtable");
    assert_eq!(
        Set::with_hint(b"1", 129, &limits(0, 128, 64)).encoding_name(),
        "hashtable"
    );
    let mut set = Set::with_hint(b"1", 1000, &l);
    assert!(set.add(b"1", &l) && set.add(b"x", &l));
    assert_eq!(set.encoding_name(), "hashtable");

    let mut set = Set::new_intset();
    set.add(b"1", &l);
    set.reserve_hint(512, &l);
    assert_eq!(set.encoding_name(), "intset");
    set.reserve_hint(513, &l);
    assert_eq!(set.encoding_name(), "hashtable", "SADD with 513 arguments");
    let mut set = Set::new_listpack();
    set.add(b"a", &l);
    set.reserve_hint(129, &l);
    assert_eq!(set.encoding_name(), "hashtable");
    assert!(set.contains(b"a"));
}

#[test]
fn huge_size_hints_do_not_allocate_up_front() {
    let l = Limits::default();
    for first in [&b"1"[..], b"x"] {
        let mut set = Set::with_hint(first, usize::MAX, &l);
        assert!(set.heap_bytes() < 1 << 30);
        set.reserve_hint(usize::MAX, &l);
        assert!(set.heap_bytes() < 1 << 30);
        assert!(set.add(first, &l));
        assert!(set.contains(first));
    }
}

#[test]
fn all_integer_sets_convert_back_to_intset_on_request() {
    let l = Limits::default();
    let mut set = Set::new_listpack();
    for m in [&b"3"[..], b"1", b"2"] {
        set.add(m, &l);
    }
    assert!(set.convert_to_intset_if_all_integers(&l));
    assert_eq!(set.encoding_name(), "intset");
    assert_eq!(members(&set), [b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    set.add(b"x", &l);
    assert!(!set.convert_to_intset_if_all_integers(&l));
    assert_eq!(set.encoding_name(), "listpack");
}

#[test]
fn popping_most_of_a_hashtable_set_leaves_a_listpack() {
    let l = Limits::default();
    let mut rng = SmallRng::seed_from_u64(1);
    for first in ["0", "x"] {
        let mut set = Set::new_intset();
        set.add(first.as_bytes(), &l);
        for v in 1..1000 {
            set.add(v.to_string().as_bytes(), &l);
        }
        assert_eq!(set.encoding_name(), "hashtable");
        let mut popped = HashSet::new();
        assert_eq!(
            set.pop_many(990, &mut rng, &l, |m| assert!(popped.insert(bytes(m)))),
            990
        );
        assert_eq!(set.encoding_name(), "listpack");
        assert_eq!(set.len(), 10);
        assert!(set.iter().all(|m| !popped.contains(&bytes(m))));
    }
}

#[test]
fn huge_counts_allocate_nothing_extra() {
    let l = Limits::default();
    let mut rng = SmallRng::seed_from_u64(2);
    let mut set = Set::new_intset();
    for m in ["1", "2", "3"] {
        set.add(m.as_bytes(), &l);
    }
    assert_eq!(set.random_distinct(1 << 62, &mut rng).count(), 3);
    assert_eq!(set.random_members(usize::MAX, &mut rng).take(5).count(), 5);
    let mut n = 0;
    assert_eq!(set.pop_many(1 << 62, &mut rng, &l, |_| n += 1), 3);
    assert_eq!((n, set.len()), (3, 0));
    assert_eq!(set.pop_many(1 << 62, &mut rng, &l, |_| n += 1), 0);
    assert!(set.pop_random(&mut rng, |_| ()).is_none());
}

#[test]
fn distinct_draws_from_a_large_set_are_uniform_enough() {
    let l = Limits::default();
    let mut rng = SmallRng::seed_from_u64(3);
    let mut set = Set::new_intset();
    for v in 0..1000 {
        set.add(v.to_string().as_bytes(), &l);
    }
    let mut hits = vec![0u32; 1000];
    for _ in 0..2000 {
        for m in set.random_distinct(10, &mut rng) {
            let Member::Int(v) = m else {
                panic!("integer table")
            };
            hits[v as usize] += 1;
        }
    }
    // Each member is expected 20 times; none should be absent or dominant.
    assert!(hits.iter().all(|&h| (2..80).contains(&h)), "{hits:?}");
    let big: Vec<_> = set.random_distinct(900, &mut rng).collect();
    assert_eq!(big.iter().collect::<HashSet<_>>().len(), 900);
}

/// Runs a full SSCAN, calling `between` after each step.
fn full_scan(set: &mut Set, mut between: impl FnMut(&mut Set)) -> HashSet<Vec<u8>> {
    let mut seen = HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = set.scan(cursor, |m| {
            seen.insert(bytes(m));
        });
        if cursor == 0 {
            return seen;
        }
        between(set);
    }
}

#[test]
fn scan_of_a_small_set_returns_everything_at_once() {
    let l = Limits::default();
    let mut set = Set::new_intset();
    set.add(b"1", &l);
    set.add(b"a", &l);
    let mut seen = Vec::new();
    assert_eq!(set.scan(0, |m| seen.push(bytes(m))), 0);
    assert_eq!(seen, [b"1".to_vec(), b"a".to_vec()]);
}

#[test]
fn scan_survives_growth_and_the_switch_to_string_members() {
    let l = Limits::default();
    let mut set = Set::new_intset();
    for v in 0..2000 {
        set.add(v.to_string().as_bytes(), &l);
    }
    let mut next = 0;
    let mut steps = 0;
    let seen = full_scan(&mut set, |set| {
        steps += 1;
        if steps == 100 {
            set.add(b"now with strings", &l);
        }
        // Growing for ever would outrun the cursor, as in Redis.
        while next < 20_000 && next < steps * 40 {
            next += 1;
            set.add(format!("extra:{next}").as_bytes(), &l);
        }
    });
    assert!(steps > 100, "the conversion happened mid-scan");
    for v in 0..2000 {
        assert!(seen.contains(v.to_string().as_bytes()), "missed {v}");
    }
}

#[test]
fn scan_survives_integer_table_rebase_and_widening() {
    let l = Limits::default();
    let mut set = Set::new_intset();
    for v in 0..1000 {
        set.add(v.to_string().as_bytes(), &l);
    }
    let mut step = 0i64;
    let seen = full_scan(&mut set, |set| {
        step += 1;
        let far = match step {
            1 => -3_000_000_000,
            2 => 3_000_000_000,
            _ => i64::MAX - step,
        };
        set.add(far.to_string().as_bytes(), &l);
    });
    for v in 0..1000 {
        assert!(seen.contains(v.to_string().as_bytes()), "missed {v}");
    }
}

#[test]
fn empty_and_binary_members() {
    let l = Limits::default();
    let mut set = Set::new_intset();
    assert!(set.add(b"", &l));
    assert!(set.add(b"\0\xff\r\n", &l));
    assert!(!set.add(b"", &l));
    assert_eq!(set.encoding_name(), "listpack");
    assert!(set.contains(b"") && set.contains(b"\0\xff\r\n"));
    for i in 0..200 {
        set.add(format!("{i}\0").as_bytes(), &l);
    }
    assert_eq!(set.encoding_name(), "hashtable");
    assert!(set.contains(b"") && set.contains(b"\0\xff\r\n") && set.contains(b"7\0"));
    assert!(set.remove(b""));
    assert!(!set.contains(b""));
}

#[test]
fn heap_bytes_counts_capacity() {
    let l = Limits::default();
    let mut set = Set::new_intset();
    assert_eq!(set.heap_bytes(), 0);
    for v in 0..100 {
        set.add(v.to_string().as_bytes(), &l);
    }
    assert_eq!(set.heap_bytes(), malloc_size(9 + 100));
    for v in 100..1000 {
        set.add(v.to_string().as_bytes(), &l);
    }
    assert_eq!(
        set.heap_bytes(),
        malloc_size(size_of::<IntTable>()) + malloc_size(2048 * 4)
    );
}
