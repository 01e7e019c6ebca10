//! `ZSet` against a sorted `Vec` model, across the listpack/skiplist
//! conversion (small limits), with ties, infinities, -0.0, empty and binary
//! members.

use super::*;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::collections::{BTreeSet, HashSet};

fn limits(entries: usize, value: usize) -> Limits {
    Limits {
        zset_max_listpack_entries: entries,
        zset_max_listpack_value: value,
        ..Limits::default()
    }
}

type Pairs = Vec<(Vec<u8>, u64)>;

/// A member to look up, a score range, and an offset and limit to apply.
type Probe = (Vec<u8>, ScoreBound, ScoreBound, usize, Option<usize>);

/// Entries as (member, score bits), so -0.0 and 0.0 differ.
fn pairs<'a>(it: impl Iterator<Item = (&'a [u8], f64)>) -> Pairs {
    it.map(|(m, s)| (m.to_vec(), s.to_bits())).collect()
}

#[derive(Default, Debug)]
struct Model {
    /// Sorted by (score, member).
    entries: Vec<(f64, Vec<u8>)>,
}

impl Model {
    fn position(&self, member: &[u8]) -> Option<usize> {
        self.entries.iter().position(|(_, m)| m == member)
    }

    fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let old = self.position(member).map(|at| self.entries[at].0);
        if old.is_some_and(|o| o == score) {
            return old;
        }
        self.remove(member);
        let at = self
            .entries
            .partition_point(|(s, m)| before(*s, m, score, member));
        self.entries.insert(at, (score, member.to_vec()));
        old
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let at = self.position(member)?;
        Some(self.entries.remove(at).0)
    }

    fn pairs(&self, entries: &[(f64, Vec<u8>)]) -> Pairs {
        entries
            .iter()
            .map(|(s, m)| (m.clone(), s.to_bits()))
            .collect()
    }

    fn window(
        &self,
        keep: impl Fn(f64, &[u8]) -> bool,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Pairs {
        let mut hits: Vec<_> = self
            .entries
            .iter()
            .filter(|(s, m)| keep(*s, m))
            .cloned()
            .collect();
        if reverse {
            hits.reverse();
        }
        let hits: Vec<_> = hits
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        self.pairs(&hits)
    }
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (-5i64..5).prop_map(|v| v as f64),
        2 => (-1000i64..1000).prop_map(|v| (v as f64 / 97.0 * 1e4).round() / 1e4),
        1 => prop::sample::select(vec![f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1e300, -5e-324]),
        1 => any::<f64>().prop_filter("not NaN", |v| !v.is_nan()),
    ]
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0u32..40).prop_map(|i| format!("m{i}").into_bytes()),
        1 => (0u32..20).prop_map(|i| format!("a-long-member-name:{i}").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..4),
    ]
}

fn bound() -> impl Strategy<Value = ScoreBound> {
    (score(), any::<bool>()).prop_map(|(value, exclusive)| ScoreBound { value, exclusive })
}

fn lex_bound() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (0u8..4, member())
}

fn to_lex((kind, m): &(u8, Vec<u8>)) -> LexBound<'_> {
    match kind {
        0 => LexBound::NegInf,
        1 => LexBound::PosInf,
        2 => LexBound::Inclusive(m),
        _ => LexBound::Exclusive(m),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<u8>, f64),
    Remove(Vec<u8>),
    PopMin(usize),
    PopMax(usize),
    RemoveRank(usize, usize),
    RemoveScore(ScoreBound, ScoreBound),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (member(), score()).prop_map(|(m, s)| Op::Insert(m, s)),
        4 => member().prop_map(Op::Remove),
        1 => (0usize..4).prop_map(Op::PopMin),
        1 => prop_oneof![0usize..4, Just(1 << 62)].prop_map(Op::PopMax),
        1 => (0usize..30, 0usize..30).prop_map(|(a, b)| Op::RemoveRank(a, b)),
        1 => (bound(), bound()).prop_map(|(a, b)| Op::RemoveScore(a, b)),
    ]
}

/// Applies `op` to both and checks the answers agree.
fn apply(z: &mut ZSet, model: &mut Model, op: &Op, limits: &Limits) -> Result<(), TestCaseError> {
    match op {
        Op::Insert(m, s) => {
            let old = z
                .insert(m, *s, limits)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(old.map(f64::to_bits), model.insert(m, *s).map(f64::to_bits));
        }
        Op::Remove(m) => {
            prop_assert_eq!(
                z.remove(m).map(f64::to_bits),
                model.remove(m).map(f64::to_bits)
            );
        }
        Op::PopMin(n) | Op::PopMax(n) => {
            let max = matches!(op, Op::PopMax(_));
            let mut got = Vec::new();
            let count = z.pop(*n, max, |m, s| got.push((m.to_vec(), s.to_bits())));
            let k = (*n).min(model.entries.len());
            let expect: Vec<_> = if max {
                model
                    .entries
                    .drain(model.entries.len() - k..)
                    .rev()
                    .collect()
            } else {
                model.entries.drain(..k).collect()
            };
            prop_assert_eq!(count, k);
            prop_assert_eq!(got, model.pairs(&expect));
        }
        Op::RemoveRank(a, b) => {
            let len = model.entries.len();
            let removed = z.remove_range(*a, *b);
            let expect = if *a < len && a <= b {
                (*b).min(len - 1) + 1 - a
            } else {
                0
            };
            prop_assert_eq!(removed, expect);
            if expect > 0 {
                model.entries.drain(*a..a + expect);
            }
        }
        Op::RemoveScore(min, max) => {
            let range = ScoreRange::new(*min, *max);
            let before_len = model.entries.len();
            model
                .entries
                .retain(|(s, _)| range.below_min(*s) || range.above_max(*s));
            prop_assert_eq!(
                z.remove_range_by_score(&range),
                before_len - model.entries.len()
            );
        }
    }
    Ok(())
}

/// Checks every read-only query against the model.
fn check_queries(z: &ZSet, model: &Model, probes: &[Probe]) -> Result<(), TestCaseError> {
    prop_assert_eq!(z.len(), model.entries.len());
    prop_assert_eq!(pairs(z.iter()), model.pairs(&model.entries));
    let len = model.entries.len();
    for (member, min, max, offset, limit) in probes {
        let at = model.position(member);
        prop_assert_eq!(
            z.score(member).map(f64::to_bits),
            at.map(|i| model.entries[i].0.to_bits())
        );
        prop_assert_eq!(z.rank(member, false).map(|r| r.0), at);
        prop_assert_eq!(z.rank(member, true).map(|r| r.0), at.map(|i| len - 1 - i));

        let range = ScoreRange::new(*min, *max);
        let keep = |s: f64, _: &[u8]| !range.below_min(s) && !range.above_max(s);
        for reverse in [false, true] {
            prop_assert_eq!(
                pairs(z.range_by_score(&range, reverse, *offset, *limit)),
                model.window(keep, reverse, *offset, *limit)
            );
        }
        prop_assert_eq!(
            z.count_by_score(&range),
            model.window(keep, false, 0, None).len()
        );

        let (start, end) = (*offset, offset + limit.unwrap_or(len));
        for reverse in [false, true] {
            let mut ordered = model.entries.clone();
            if reverse {
                ordered.reverse();
            }
            let expect: Vec<_> = ordered
                .into_iter()
                .skip(start)
                .take(end - start + 1)
                .collect();
            prop_assert_eq!(pairs(z.range(start, end, reverse)), model.pairs(&expect));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn behaves_like_a_sorted_vec_across_the_conversion(
        (entries, value) in (0usize..12, 0usize..12),
        ops in proptest::collection::vec(op(), 0..150),
        probes in proptest::collection::vec(
            (member(), bound(), bound(), 0usize..5, prop::option::of(0usize..6)),
            1..6,
        ),
    ) {
        let limits = limits(entries, value);
        let mut z = ZSet::new();
        let mut model = Model::default();
        let mut was_skiplist = false;
        for op in &ops {
            apply(&mut z, &mut model, op, &limits)?;
            let too_big = model.entries.len() > entries
                || model.entries.iter().any(|(_, m)| m.len() > value);
            if too_big {
                prop_assert_eq!(z.encoding_name(), "skiplist");
            }
            was_skiplist |= z.encoding_name() == "skiplist";
            if was_skiplist {
                prop_assert_eq!(z.encoding_name(), "skiplist", "never converts back by itself");
            }
        }
        check_queries(&z, &model, &probes)?;
        let wide = ZSet::with_hint(0, 0, &limits);
        prop_assert_eq!(wide.encoding_name(), "listpack");
        let mut copy = z.clone();
        copy.shrink_to_listpack_if_fits(&limits);
        check_queries(&copy, &model, &probes)?;
        if model.entries.len() <= entries && model.entries.iter().all(|(_, m)| m.len() <= value) {
            prop_assert_eq!(copy.encoding_name(), "listpack");
        }
    }

    #[test]
    fn lex_ranges_follow_member_order_at_equal_scores(
        members in proptest::collection::btree_set(member(), 0..60),
        score in score(),
        (min, max) in (lex_bound(), lex_bound()),
        (offset, limit) in (0usize..5, prop::option::of(0usize..8)),
        entries in 0usize..70,
    ) {
        let limits = limits(entries, 64);
        let mut z = ZSet::new();
        for m in &members {
            z.insert(m, score, &limits).unwrap();
        }
        let range = LexRange::new(to_lex(&min), to_lex(&max));
        let inside: Vec<&Vec<u8>> = members
            .iter()
            .filter(|m| !range.below_min(m) && !range.above_max(m))
            .collect();
        for reverse in [false, true] {
            let mut expect = inside.clone();
            if reverse {
                expect.reverse();
            }
            let expect: Vec<Vec<u8>> = expect.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX)).cloned().collect();
            let got: Vec<Vec<u8>> = z.range_by_lex(&range, reverse, offset, limit).map(|(m, _)| m.to_vec()).collect();
            prop_assert_eq!(got, expect);
        }
        prop_assert_eq!(z.count_by_lex(&range), inside.len());
        prop_assert_eq!(z.remove_range_by_lex(&range), inside.len());
        prop_assert_eq!(z.len(), members.len() - inside.len());
        prop_assert!(inside.iter().all(|m| z.score(m).is_none()));
    }

    #[test]
    fn random_draws_stay_within_the_set(
        members in proptest::collection::btree_set(member(), 0..60),
        count in prop_oneof![0usize..70, Just(1 << 62)],
        seed in any::<u64>(),
        entries in 0usize..70,
    ) {
        let limits = limits(entries, 64);
        let mut z = ZSet::new();
        for (i, m) in members.iter().enumerate() {
            z.insert(m, i as f64, &limits).unwrap();
        }
        let mut rng = SmallRng::seed_from_u64(seed);
        let distinct: Vec<Vec<u8>> = z.random_distinct(count, &mut rng).map(|(m, _)| m.to_vec()).collect();
        prop_assert_eq!(distinct.len(), count.min(members.len()));
        prop_assert_eq!(distinct.iter().collect::<HashSet<_>>().len(), distinct.len());
        prop_assert!(distinct.iter().all(|m| members.contains(m)));
        for (m, s) in z.random_members(count.min(50), &mut rng) {
            prop_assert_eq!(z.score(m), Some(s));
        }
        prop_assert_eq!(z.random_members(count.min(50), &mut rng).count(), if members.is_empty() { 0 } else { count.min(50) });
        prop_assert_eq!(z.random_member(&mut rng).is_some(), !members.is_empty());
        let mut scanned = BTreeSet::new();
        let mut cursor = 0;
        loop {
            cursor = z.scan(cursor, |m, s| {
                assert_eq!(z.score(m), Some(s));
                scanned.insert(m.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        prop_assert_eq!(scanned, members);
    }
}

#[test]
fn converts_past_the_listpack_limits_like_redis() {
    let l = Limits::default();
    let mut z = ZSet::new();
    for i in 0..128 {
        z.insert(format!("m{i}").as_bytes(), i as f64, &l).unwrap();
    }
    assert_eq!(z.encoding_name(), "listpack");
    z.insert(b"m0", 5.0, &l).unwrap();
    assert_eq!(z.encoding_name(), "listpack", "updates never convert");
    z.insert(b"m128", 1.0, &l).unwrap();
    assert_eq!(z.encoding_name(), "skiplist");
    let mut z = ZSet::new();
    z.insert(&[b'x'; 64], 1.0, &l).unwrap();
    assert_eq!(z.encoding_name(), "listpack");
    z.insert(&[b'x'; 65], 1.0, &l).unwrap();
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(ZSet::with_hint(128, 64, &l).encoding_name(), "listpack");
    assert_eq!(ZSet::with_hint(129, 1, &l).encoding_name(), "skiplist");
    assert_eq!(ZSet::with_hint(1, 65, &l).encoding_name(), "skiplist");
    let mut z = ZSet::new();
    z.insert(b"a", 1.0, &l).unwrap();
    z.reserve_hint(128, &l);
    assert_eq!(z.encoding_name(), "listpack");
    z.reserve_hint(129, &l);
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(z.score(b"a"), Some(1.0));
}

#[test]
fn negative_zero_keeps_its_sign_and_equals_zero() {
    let l = limits(2, 64);
    for extra in [0, 5] {
        let mut z = ZSet::new();
        z.insert(b"a", -0.0, &l).unwrap();
        for i in 0..extra {
            z.insert(format!("pad{i}").as_bytes(), 10.0, &l).unwrap();
        }
        assert_eq!(
            z.insert(b"a", 0.0, &l).unwrap().map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert!(
            z.score(b"a").unwrap().is_sign_negative(),
            "0 == -0, so no update"
        );
        z.insert(b"b", 0.0, &l).unwrap();
        let order: Vec<_> = z.iter().map(|(m, _)| m.to_vec()).take(2).collect();
        assert_eq!(
            order,
            [b"a".to_vec(), b"b".to_vec()],
            "ties order by member"
        );
        let zero = ScoreRange::new(ScoreBound::inclusive(0.0), ScoreBound::inclusive(0.0));
        assert_eq!(z.count_by_score(&zero), 2);
    }
}

#[test]
fn infinite_bounds_and_scores() {
    let l = limits(4, 64);
    for n in [3, 10] {
        let mut z = ZSet::new();
        z.insert(b"lo", f64::NEG_INFINITY, &l).unwrap();
        z.insert(b"hi", f64::INFINITY, &l).unwrap();
        for i in 0..n - 2 {
            z.insert(format!("x{i}").as_bytes(), i as f64, &l).unwrap();
        }
        let all = ScoreRange::new(
            ScoreBound::parse(b"-inf").unwrap(),
            ScoreBound::parse(b"+inf").unwrap(),
        );
        assert_eq!(z.count_by_score(&all), n);
        let open = ScoreRange::new(
            ScoreBound::parse(b"(-inf").unwrap(),
            ScoreBound::parse(b"(+inf").unwrap(),
        );
        assert_eq!(z.count_by_score(&open), n - 2);
        let top: Vec<_> = z
            .range_by_score(&all, true, 0, Some(1))
            .map(|(m, _)| m.to_vec())
            .collect();
        assert_eq!(top, [b"hi".to_vec()]);
        assert_eq!(z.rank(b"lo", false), Some((0, f64::NEG_INFINITY)));
        assert_eq!(z.rank(b"hi", true), Some((0, f64::INFINITY)));
    }
}

#[test]
fn nan_is_refused_and_huge_hints_do_not_allocate_up_front() {
    let l = Limits::default();
    let mut z = ZSet::with_hint(usize::MAX, usize::MAX, &l);
    assert_eq!(z.encoding_name(), "skiplist");
    assert!(z.heap_bytes() < 1 << 30);
    assert_eq!(z.insert(b"a", f64::NAN, &l), Err(ZSetError::NotANumber));
    assert_eq!(z.insert(b"a", 1.0, &l), Ok(None));
    assert_eq!(z.insert(b"a", f64::NAN, &l), Err(ZSetError::NotANumber));
    assert_eq!(z.score(b"a"), Some(1.0));
    let mut small = ZSet::new();
    assert_eq!(small.insert(b"a", f64::NAN, &l), Err(ZSetError::NotANumber));
    assert!(small.is_empty());
}

#[test]
fn bounds_parse_like_redis() {
    assert_eq!(ScoreBound::parse(b"(1.5"), Some(ScoreBound::exclusive(1.5)));
    assert_eq!(ScoreBound::parse(b"2"), Some(ScoreBound::inclusive(2.0)));
    assert_eq!(ScoreBound::parse(b"nan"), None);
    assert_eq!(ScoreBound::parse(b"(x"), None);
    assert_eq!(LexBound::parse(b"-"), Some(LexBound::NegInf));
    assert_eq!(LexBound::parse(b"+"), Some(LexBound::PosInf));
    assert_eq!(LexBound::parse(b"[a"), Some(LexBound::Inclusive(b"a")));
    assert_eq!(LexBound::parse(b"("), Some(LexBound::Exclusive(b"")));
    assert_eq!(LexBound::parse(b"a"), None);
    assert_eq!(LexBound::parse(b"-a"), None);
    let empty = LexRange::new(LexBound::Exclusive(b"a"), LexBound::Inclusive(b"a"));
    assert!(empty.is_empty());
    assert!(LexRange::new(LexBound::PosInf, LexBound::PosInf).is_empty());
    assert!(!LexRange::new(LexBound::Inclusive(b"a"), LexBound::Inclusive(b"a")).is_empty());
}

#[test]
fn huge_counts_and_ranges_allocate_nothing_extra() {
    let l = Limits::default();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut z = ZSet::new();
    for m in ["a", "b", "c"] {
        z.insert(m.as_bytes(), 1.0, &l).unwrap();
    }
    assert_eq!(z.random_distinct(1 << 62, &mut rng).count(), 3);
    assert_eq!(z.random_members(usize::MAX, &mut rng).take(4).count(), 4);
    assert_eq!(z.range(0, usize::MAX, false).count(), 3);
    assert_eq!(z.range(usize::MAX, usize::MAX, true).count(), 0);
    let all = ScoreRange::new(
        ScoreBound::inclusive(f64::NEG_INFINITY),
        ScoreBound::inclusive(f64::INFINITY),
    );
    assert_eq!(
        z.range_by_score(&all, true, usize::MAX, Some(usize::MAX))
            .count(),
        0
    );
    assert_eq!(z.pop(1 << 62, true, |_, _| {}), 3);
    assert!(z.is_empty());
}

#[test]
fn large_set_operations_match_a_model_at_scale() {
    let l = Limits::default();
    let mut rng = SmallRng::seed_from_u64(7);
    let mut z = ZSet::new();
    let mut model = Model::default();
    for step in 0..30_000u32 {
        let member = format!("member:{}", rng.random_range(0..5000)).into_bytes();
        match rng.random_range(0..10) {
            0..6 => {
                let score = f64::from(rng.random_range(0..300u32));
                let old = z.insert(&member, score, &l).unwrap();
                assert_eq!(old, model.insert(&member, score));
            }
            6..9 => assert_eq!(z.remove(&member), model.remove(&member)),
            _ if step % 1000 == 9 => {
                let n = z.remove_range(100, 2500);
                let len = model.entries.len();
                model.entries.drain(100.min(len)..2501.min(len));
                assert_eq!(z.len(), model.entries.len(), "removed {n}");
            }
            _ => {
                let at = model.position(&member);
                assert_eq!(z.rank(&member, false).map(|r| r.0), at);
            }
        }
    }
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(pairs(z.iter()), model.pairs(&model.entries));
}

#[test]
fn removing_most_members_renumbers_and_releases_memory() {
    let l = Limits::default();
    let mut z = ZSet::new();
    for i in 0..50_000 {
        z.insert(
            format!("a-long-member-name:{i}").as_bytes(),
            f64::from(i),
            &l,
        )
        .unwrap();
    }
    let full = z.heap_bytes();
    let range = ScoreRange::new(
        ScoreBound::inclusive(100.0),
        ScoreBound::inclusive(f64::INFINITY),
    );
    assert_eq!(z.remove_range_by_score(&range), 49_900);
    assert!(z.heap_bytes() < full / 20, "{} of {full}", z.heap_bytes());
    for i in 0..100 {
        assert_eq!(
            z.score(format!("a-long-member-name:{i}").as_bytes()),
            Some(f64::from(i))
        );
        assert_eq!(
            z.rank(format!("a-long-member-name:{i}").as_bytes(), false),
            Some((i as usize, f64::from(i)))
        );
    }
    for i in 0..90 {
        z.remove(format!("a-long-member-name:{i}").as_bytes());
    }
    assert_eq!(z.len(), 10);
    assert_eq!(
        z.iter().next().map(|(m, _)| m.to_vec()),
        Some(b"a-long-member-name:90".to_vec())
    );
}

#[test]
fn scan_of_a_large_set_survives_growth() {
    let l = Limits::default();
    let mut z = ZSet::new();
    for i in 0..1000 {
        z.insert(format!("m{i}").as_bytes(), f64::from(i), &l)
            .unwrap();
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut next = 1000;
    loop {
        cursor = z.scan(cursor, |m, _| {
            seen.insert(m.to_vec());
        });
        if cursor == 0 {
            break;
        }
        while next < 20_000 && next % 50 != 49 {
            z.insert(format!("m{next}").as_bytes(), 0.5, &l).unwrap();
            next += 1;
        }
        next += 1;
    }
    for i in 0..1000 {
        assert!(seen.contains(format!("m{i}").as_bytes()), "missed m{i}");
    }
}
