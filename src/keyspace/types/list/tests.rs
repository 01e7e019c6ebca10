//! Tests of the `list` module: behaviour against a std model, edge cases.

use super::*;
use proptest::prelude::*;
use std::collections::VecDeque;

fn limits(fill: i64) -> Limits {
    Limits {
        list_max_listpack_size: fill,
        ..Limits::default()
    }
}

fn contents(list: &List) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    list.for_each_in(0..list.len(), |e| out.push(e.to_vec()));
    out
}

/// Checks `list` against the model and its own invariants.
fn check(list: &List, model: &VecDeque<Vec<u8>>, limits: &Limits) {
    let expect: Vec<Vec<u8>> = model.iter().cloned().collect();
    assert_eq!(list.len(), model.len());
    assert_eq!(contents(list), expect);
    let mut backwards = Vec::new();
    list.for_each_in_rev(0..list.len(), |e| backwards.push(e.to_vec()));
    backwards.reverse();
    assert_eq!(backwards, expect);
    let lp: usize = model.iter().map(|e| listpack_entry_size(e)).sum();
    assert_eq!(list.listpack_bytes, lp);
    let heap: usize = list.nodes.iter().map(Node::heap_bytes).sum();
    assert_eq!(list.node_heap, heap);
    let limit = Fill::of(limits).node_limit();
    for (i, node) in list.nodes.iter().enumerate() {
        assert!(!node.is_empty(), "node {i} is empty");
        assert!(
            node.is_folded() || i + 1 == list.nodes.len(),
            "node {i} has a rev run"
        );
        assert!(
            node.len() <= limit.entries,
            "node {i} has {} entries",
            node.len()
        );
        // One edit may overshoot by its element's varints and by the
        // follower it un-codes.
        assert!(
            node.len() == 1 || node.byte_len() <= limit.bytes + 2 * MAX_CODED,
            "node {i} has {} bytes",
            node.byte_len()
        );
    }
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => (0u32..40).prop_map(|i| format!("item{i}").into_bytes()),
        2 => (-200i64..200).prop_map(|i| i.to_string().into_bytes()),
        1 => any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        2 => proptest::collection::vec(prop_oneof![Just(0u8), Just(b'x'), any::<u8>()], 0..12),
        1 => (60usize..300).prop_map(|n| vec![b'L'; n]),
        1 => (1500usize..5000).prop_map(|n| vec![b'B'; n]),
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Front), Just(End::Back)]
}

#[derive(Debug, Clone)]
enum Op {
    Push(End, Vec<Vec<u8>>),
    Pop(End),
    PopMany(End, usize),
    Set(i64, Vec<u8>),
    Insert(usize, Vec<u8>, bool),
    RemoveMatches(usize, i64),
    RetainRange(i64, i64),
    Rotate(End, End),
    Positions(usize, i64, usize, usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        8 => (end(), proptest::collection::vec(element(), 1..60)).prop_map(|(e, v)| Op::Push(e, v)),
        4 => end().prop_map(Op::Pop),
        2 => (end(), 0usize..150).prop_map(|(e, n)| Op::PopMany(e, n)),
        2 => (-300i64..300, element()).prop_map(|(i, e)| Op::Set(i, e)),
        3 => (any::<usize>(), element(), any::<bool>()).prop_map(|(i, e, a)| Op::Insert(i, e, a)),
        2 => (any::<usize>(), -3i64..4).prop_map(|(i, c)| Op::RemoveMatches(i, c)),
        1 => (-300i64..300, -300i64..300).prop_map(|(a, b)| Op::RetainRange(a, b)),
        2 => (end(), end()).prop_map(|(a, b)| Op::Rotate(a, b)),
        2 => (any::<usize>(), -4i64..4, 0usize..4, 0usize..50)
            .prop_map(|(i, r, c, m)| Op::Positions(i, r, c, m)),
    ];
    proptest::collection::vec(op, 1..80)
}

/// An element of the model picked by `i`, or one unlikely to be there.
fn pick(model: &VecDeque<Vec<u8>>, i: usize) -> Vec<u8> {
    if model.is_empty() || i.is_multiple_of(5) {
        b"absent".to_vec()
    } else {
        model[i % model.len()].clone()
    }
}

fn model_positions(
    model: &VecDeque<Vec<u8>>,
    e: &[u8],
    rank: i64,
    count: usize,
    maxlen: usize,
) -> Vec<usize> {
    if rank == 0 {
        return vec![];
    }
    let order: Vec<usize> = if rank > 0 {
        (0..model.len()).collect()
    } else {
        (0..model.len()).rev().collect()
    };
    let limit = if maxlen == 0 {
        order.len()
    } else {
        maxlen.min(order.len())
    };
    let found = order[..limit].iter().copied().filter(|&i| model[i] == e);
    let found = found.skip(rank.unsigned_abs() as usize - 1);
    if count == 0 {
        found.collect()
    } else {
        found.take(count).collect()
    }
}

fn apply(list: &mut List, model: &mut VecDeque<Vec<u8>>, op: Op, limits: &Limits) {
    match op {
        Op::Push(end, values) => {
            let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            list.push_many(end, &refs, limits);
            for v in values {
                match end {
                    End::Front => model.push_front(v),
                    End::Back => model.push_back(v),
                }
            }
        }
        Op::Pop(end) => {
            let got = list.pop(end, limits, |e| e.to_vec());
            let want = match end {
                End::Front => model.pop_front(),
                End::Back => model.pop_back(),
            };
            assert_eq!(got, want);
        }
        Op::PopMany(end, n) => {
            let mut got = Vec::new();
            let count = list.pop_many(end, n, limits, |e| got.push(e.to_vec()));
            let want: Vec<_> = (0..n)
                .map_while(|_| match end {
                    End::Front => model.pop_front(),
                    End::Back => model.pop_back(),
                })
                .collect();
            assert_eq!((count, got), (want.len(), want));
        }
        Op::Set(index, e) => {
            let resolved = list.resolve_index(index);
            assert_eq!(
                list.set(resolved.unwrap_or(usize::MAX), &e, limits),
                resolved.is_some()
            );
            if let Some(i) = resolved {
                model[i] = e;
            }
        }
        Op::Insert(i, e, after) => {
            let pivot = pick(model, i);
            let at = model.iter().position(|x| *x == pivot);
            assert_eq!(
                list.insert_at_pivot(&pivot, &e, after, limits),
                at.is_some()
            );
            if let Some(at) = at {
                model.insert(at + usize::from(after), e);
            }
        }
        Op::RemoveMatches(i, count) => {
            let e = pick(model, i);
            let removed = list.remove_matches(&e, count, limits);
            let mut left = if count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            let mut want = 0;
            let order: Vec<usize> = if count < 0 {
                (0..model.len()).rev().collect()
            } else {
                (0..model.len()).collect()
            };
            let mut gone = Vec::new();
            for i in order {
                if left > 0 && model[i] == e {
                    gone.push(i);
                    left -= 1;
                    want += 1;
                }
            }
            gone.sort_unstable();
            for i in gone.into_iter().rev() {
                model.remove(i);
            }
            assert_eq!(removed, want);
        }
        Op::RetainRange(start, stop) => {
            let range = list.resolve_range(start, stop);
            list.retain_range(range.clone(), limits);
            let kept: VecDeque<_> = model
                .drain(..)
                .enumerate()
                .filter(|(i, _)| range.contains(i))
                .map(|(_, e)| e)
                .collect();
            *model = kept;
        }
        Op::Rotate(from, to) => {
            let got = list.rotate(from, to, limits, |e| e.to_vec());
            let want = match from {
                End::Front => model.pop_front(),
                End::Back => model.pop_back(),
            };
            if let Some(e) = &want {
                match to {
                    End::Front => model.push_front(e.clone()),
                    End::Back => model.push_back(e.clone()),
                }
            }
            assert_eq!(got, want);
        }
        Op::Positions(i, rank, count, maxlen) => {
            let e = pick(model, i);
            let mut got = Vec::new();
            list.positions(&e, rank, count, maxlen, |i| got.push(i));
            assert_eq!(got, model_positions(model, &e, rank, count, maxlen));
        }
    }
}

fn fills() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(-2),
        Just(-1),
        Just(-5),
        Just(1),
        Just(3),
        Just(7),
        Just(200),
        Just(-9)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn operations_match_a_vecdeque(fill in fills(), ops in ops()) {
        let limits = limits(fill);
        let mut list = List::new();
        let mut model = VecDeque::new();
        for op in ops {
            apply(&mut list, &mut model, op, &limits);
            check(&list, &model, &limits);
            for (i, e) in model.iter().enumerate() {
                prop_assert_eq!(&*list.get(i).unwrap(), &e[..]);
            }
            prop_assert!(list.get(model.len()).is_none());
        }
    }

    #[test]
    fn ranges_match_the_model(values in proptest::collection::vec(element(), 0..400),
                              start in -500i64..500, stop in -500i64..500) {
        let limits = limits(-2);
        let mut list = List::new();
        for v in &values {
            list.push(End::Back, v, &limits);
        }
        let range = list.resolve_range(start, stop);
        let mut got = Vec::new();
        list.for_each_in(range.clone(), |e| got.push(e.to_vec()));
        prop_assert_eq!(&got[..], &values[range.clone()]);
        let mut back = Vec::new();
        list.for_each_in_rev(range.clone(), |e| back.push(e.to_vec()));
        back.reverse();
        prop_assert_eq!(&back[..], &values[range]);
    }
}

#[test]
fn listpack_entry_sizes_match_redis() {
    // Sizes observed with DEBUG LISTPACK on redis-server 7.0.
    let cases: [(&[u8], usize); 20] = [
        (b"b", 3),
        (b"0", 2),
        (b"127", 2),
        (b"128", 3),
        (b"-1", 3),
        (b"4095", 3),
        (b"4096", 4),
        (b"-4096", 3),
        (b"-4097", 4),
        (b"32767", 4),
        (b"32768", 5),
        (b"-32768", 4),
        (b"8388607", 5),
        (b"8388608", 6),
        (b"2147483647", 6),
        (b"2147483648", 10),
        (b"01", 4),
        (b"-0", 4),
        (b"9223372036854775807", 10),
        (b"9223372036854775808", 21),
    ];
    for (element, size) in cases {
        assert_eq!(
            listpack_entry_size(element),
            size,
            "{:?}",
            element.escape_ascii().to_string()
        );
    }
    assert_eq!(listpack_entry_size(&[b'x'; 63]), 65);
    assert_eq!(listpack_entry_size(&[b'x'; 64]), 67);
    assert_eq!(listpack_entry_size(&[b'x'; 4096]), 5 + 4096 + 2);
}

fn create(list: &mut List, values: &[&str], limits: &Limits) {
    *list = List::new();
    let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
    list.push_many(End::Back, &values, limits);
}

#[test]
fn encoding_follows_redis_count_limits() {
    let l = limits(3);
    let mut list = List::new();
    create(&mut list, &["a", "b", "c"], &l);
    assert_eq!(list.encoding_name(), "listpack");
    create(&mut list, &["a", "b", "c", "d"], &l);
    assert_eq!(list.encoding_name(), "quicklist");
    list.pop_many(End::Back, 2, &l, |_| {});
    assert_eq!(list.encoding_name(), "quicklist", "2 > 3 / 2");
    list.pop(End::Back, &l, |_| {});
    assert_eq!(list.encoding_name(), "listpack");

    create(&mut list, &["a", "a", "a", "d"], &l);
    assert_eq!(list.remove_matches(b"a", 3, &l), 3);
    assert_eq!(list.encoding_name(), "listpack");

    create(&mut list, &["a", "b", "c", "d"], &l);
    list.retain_range(1..2, &l);
    assert_eq!(list.encoding_name(), "listpack");

    create(&mut list, &["a", "b"], &l);
    assert!(list.insert_at_pivot(b"a", b"x", true, &l));
    assert_eq!(list.encoding_name(), "listpack");
    assert!(!list.insert_at_pivot(b"zz", b"x", true, &l));
    assert_eq!(
        list.encoding_name(),
        "quicklist",
        "checked before the pivot is sought"
    );
}

#[test]
fn encoding_follows_redis_size_limits() {
    let l = limits(-1);
    let big = "x".repeat(3000);
    let mut list = List::new();
    create(&mut list, &["a", &big], &l);
    assert_eq!(list.encoding_name(), "listpack");
    // 7 + 3 + 3003 + 2 bytes now; adding 2000 raw bytes passes 4096.
    list.push(End::Front, "y".repeat(2000).as_bytes(), &l);
    assert_eq!(list.encoding_name(), "quicklist");
    list.pop(End::Front, &l, |_| {});
    assert_eq!(list.encoding_name(), "quicklist", "3015 bytes > 4096 / 2");
    assert!(list.set(1, b"b", &l));
    assert_eq!(list.encoding_name(), "listpack", "LSET shrinks it");
    assert!(!list.set(5, big.as_bytes(), &l));
    assert_eq!(list.encoding_name(), "listpack", "7 + 6 + 3000 fits");
    assert!(!list.set(5, "z".repeat(4090).as_bytes(), &l));
    assert_eq!(
        list.encoding_name(),
        "quicklist",
        "checked before the index"
    );
}

#[test]
fn lpos_follows_the_documented_examples() {
    let l = Limits::default();
    let mut list = List::new();
    create(
        &mut list,
        &["a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3"],
        &l,
    );
    let lpos = |e: &[u8], rank, count, maxlen| {
        let mut out = Vec::new();
        list.positions(e, rank, count, maxlen, |i| out.push(i));
        out
    };
    assert_eq!(lpos(b"3", 1, 1, 0), [6]);
    assert_eq!(lpos(b"3", 1, 0, 0), [6, 8, 9, 10]);
    assert_eq!(lpos(b"3", 2, 0, 0), [8, 9, 10]);
    assert_eq!(lpos(b"3", -1, 1, 0), [10]);
    assert_eq!(lpos(b"3", -1, 2, 0), [10, 9]);
    assert_eq!(lpos(b"3", 1, 0, 7), [6]);
    assert_eq!(lpos(b"3", 1, 0, 6), Vec::<usize>::new());
    assert_eq!(lpos(b"3", -5, 0, 0), Vec::<usize>::new());
    assert_eq!(lpos(b"3", i64::MIN, 0, 0), Vec::<usize>::new());
}

#[test]
fn index_helpers_follow_redis() {
    let l = Limits::default();
    let mut list = List::new();
    create(&mut list, &["a", "b", "c"], &l);
    assert_eq!(list.resolve_index(0), Some(0));
    assert_eq!(list.resolve_index(-1), Some(2));
    assert_eq!(list.resolve_index(-3), Some(0));
    assert_eq!(list.resolve_index(-4), None);
    assert_eq!(list.resolve_index(3), None);
    assert_eq!(list.resolve_index(i64::MIN), None);
    assert_eq!(list.resolve_range(0, -1), 0..3);
    assert_eq!(list.resolve_range(-100, 100), 0..3);
    assert_eq!(list.resolve_range(1, 0), 0..0);
    assert_eq!(list.resolve_range(3, 5), 0..0);
    assert_eq!(list.resolve_range(i64::MIN, i64::MAX), 0..3);
    assert_eq!(list.resolve_range(-1, -1), 2..3);
    assert_eq!(List::new().resolve_range(0, -1), 0..0);
}

/// Random numbers defeat front coding, so they are stored in binary
/// (their text would take twice a listpack's bytes); with node overhead
/// and allocator rounding counted, they still take no more.
#[test]
fn random_numbers_take_no_more_than_in_a_listpack() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
    let l = Limits::default();
    for bits in [16, 32, 63] {
        let mut list = List::new();
        for _ in 0..10_000 {
            let v = rng.random::<i64>() >> (63 - bits);
            list.push(End::Back, v.to_string().as_bytes(), &l);
        }
        let (ours, redis) = (list.heap_bytes(), list.listpack_bytes);
        assert!(ours <= redis, "{bits}-bit numbers: {ours} > {redis}");
    }
}

#[test]
fn nodes_sealed_at_the_back_waste_under_an_element_to_rounding() {
    let l = Limits::default();
    let model: VecDeque<Vec<u8>> = (0..20_000u64)
        .map(|i| format!("user:{}", i * 7_919 % 100_003).into_bytes())
        .collect();
    let mut list = List::new();
    let elements: Vec<&[u8]> = model.iter().map(Vec::as_slice).collect();
    list.push_many(End::Back, &elements, &l);
    check(&list, &model, &l);
    let nodes: Vec<&Node> = list.nodes.iter().collect();
    let (_, sealed) = nodes.split_last().unwrap();
    assert!(sealed.len() > 100);
    for node in sealed {
        assert!(
            node.heap_bytes() - node.byte_len() <= 16,
            "{} in {}",
            node.heap_bytes(),
            node.byte_len()
        );
        assert!(node.len() > NODE_MAX_ENTRIES * 3 / 4);
    }
}

#[test]
fn a_queue_through_one_node_stays_cheap_and_correct() {
    let l = Limits::default();
    let mut list = List::new();
    let mut model = VecDeque::new();
    for i in 0..10_000u32 {
        let e = format!("job:{i}").into_bytes();
        list.push(End::Front, &e, &l);
        model.push_front(e);
        if i % 3 != 0 {
            assert_eq!(list.pop(End::Back, &l, |e| e.to_vec()), model.pop_back());
        }
    }
    check(&list, &model, &l);
    assert!(list.nodes.len() <= model.len().div_ceil(NODE_MAX_ENTRIES / 2) + 1);
}

#[test]
fn empty_list_owns_nothing_and_ignores_bad_indexes() {
    let l = Limits::default();
    let mut list = List::new();
    assert!(list.is_empty());
    assert_eq!(list.heap_bytes(), 0);
    assert_eq!(list.pop(End::Front, &l, |_| ()), None);
    assert_eq!(list.pop(End::Back, &l, |_| ()), None);
    assert_eq!(list.pop_many(End::Back, usize::MAX, &l, |_| {}), 0);
    assert!(list.get(0).is_none());
    assert!(!list.set(0, b"x", &l));
    assert_eq!(list.remove_matches(b"x", i64::MIN, &l), 0);
    #[allow(clippy::reversed_empty_ranges)]
    list.retain_range(5..1, &l);
    list.for_each_in(3..usize::MAX, |_| panic!());
    list.for_each_in_rev(0..usize::MAX, |_| panic!());
    assert!(list.rotate(End::Front, End::Back, &l, |_| ()).is_none());
    list.push(End::Back, b"x", &l);
    assert_eq!(list.pop_many(End::Front, usize::MAX, &l, |_| {}), 1);
    assert!(list.is_empty());
    assert_eq!(list.heap_bytes(), 0);
}
