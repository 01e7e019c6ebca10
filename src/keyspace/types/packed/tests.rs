//! Tests of the `packed` module: behaviour against a std model, edge cases.

use super::*;
use proptest::prelude::*;
use proptest::sample::Index;

fn decode<const S: usize>(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut cursor = Cursor::<S>::new(bytes);
    let mut out = Vec::new();
    while let Some(e) = cursor.next_entry() {
        out.push(e.to_vec());
    }
    out
}

fn build<const S: usize>(entries: &[Vec<u8>]) -> Builder<S> {
    let mut b = Builder::new();
    for e in entries {
        b.push(e);
    }
    b
}

/// Checks a packed sequence against its model, including that its bytes
/// are exactly what building the model from scratch gives.
fn check<const S: usize>(packed: &Packed<S>, model: &[Vec<u8>]) {
    assert_eq!(packed.len(), model.len());
    assert_eq!(decode::<S>(packed.bytes()), model);
    assert_eq!(packed.bytes(), build::<S>(model).bytes(), "canonical");
    assert!(packed.heap_bytes() >= packed.byte_len());
}

#[test]
fn front_coding_costs_a_header_and_the_new_suffix() {
    let entries: Vec<Vec<u8>> = (40..50).map(|i| format!("item{i}").into_bytes()).collect();
    let b = build::<1>(&entries);
    // 1 + 6 for the first, then 1 + 1 each.
    assert_eq!(b.byte_len(), 7 + 9 * 2);
    let pairs: Vec<Vec<u8>> = (40..50)
        .flat_map(|j| [format!("f{j}"), format!("v{}", 10_000 + j)])
        .map(String::into_bytes)
        .collect();
    let b = build::<2>(&pairs);
    assert_eq!(b.byte_len(), (1 + 3) + (1 + 6) + 9 * (2 + 2));
    assert_eq!(decode::<2>(b.bytes()), pairs);
}

#[test]
fn integers_are_binary_only_where_that_is_smaller() {
    let entries: Vec<Vec<u8>> = [
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775806",
        "0",
        "100",
        "101",
        "007",
        "-0",
        "+5",
        "1234567890",
        " 12",
        "18446744073709551616",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let b = build::<1>(&entries);
    assert_eq!(decode::<1>(b.bytes()), entries);
    let sizes: Vec<usize> = {
        let mut prev: &[u8] = &[];
        entries
            .iter()
            .map(|e| {
                let n = Coding::of(prev, e).len(e);
                prev = e;
                n
            })
            .collect()
    };
    // 9 bytes in binary where the text takes 21 or 22; "0" and "101"
    // (after "100") are cheaper as text, "100" and "1234567890" in
    // binary; non-canonical spellings and numbers past i64 stay text.
    assert_eq!(sizes, [9, 9, 9, 2, 2, 2, 4, 3, 3, 5, 4, 22]);
    let mut p = Packed::<1>::new();
    for e in entries.iter().rev() {
        p.push_front(e);
    }
    check(&p, &entries);
    for e in &entries {
        assert_eq!(p.pop_front_with(|x| x.to_vec()).as_ref(), Some(e));
    }
}

#[test]
fn long_prefixes_and_suffixes_use_varints() {
    let long_a = [b"x".repeat(40), b"a".repeat(20)].concat();
    let long_b = [b"x".repeat(40), b"b".repeat(20)].concat();
    let entries = vec![
        long_a,
        long_b,
        b"y".repeat(MAX_CODED + 1),
        b"y".repeat(70_000),
    ];
    let b = build::<1>(&entries);
    assert_eq!(decode::<1>(b.bytes()), entries);
    // The 40 shared bytes cost a varint, not 40 bytes.
    assert_eq!(b.byte_len(), (2 + 60) + (3 + 20) + (2 + 65) + (4 + 70_000));
}

#[test]
fn binary_entries_round_trip_through_edits() {
    let big: Vec<u8> = (0..65_536u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut model: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 0],
        b"\0\xff\r\n".to_vec(),
        big.clone(),
        [&big[..10], b"tail"].concat(),
        vec![],
    ];
    let mut p = Packed::<1>::new();
    for (i, e) in model.iter().enumerate() {
        assert!(p.insert(i, e));
    }
    check(&p, &model);
    assert_eq!(&*p.get(4).unwrap(), &big[..]);
    assert!(
        matches!(p.get(4).unwrap().0, Repr::Borrowed(_)),
        "long entries are borrowed"
    );
    let at = p.position(4).unwrap();
    p.splice(&at, 1, &[b"", &big[1..]]);
    model.splice(4..5, [vec![], big[1..].to_vec()]);
    check(&p, &model);
    while !model.is_empty() {
        let first = p.pop_front_with(|e| e.to_vec()).unwrap();
        assert_eq!(first, model.remove(0));
        check(&p, &model);
    }
    assert_eq!(p.pop_front_with(|_| ()), None);
    assert_eq!(p.heap_bytes(), 0, "an emptied sequence frees its buffer");
}

#[test]
fn out_of_range_edits_change_nothing() {
    let mut p = Packed::<1>::new();
    assert!(!p.insert(1, b"x"));
    assert!(p.insert(0, b"x"));
    assert!(!p.remove(0, 2));
    assert!(!p.remove(usize::MAX, 2));
    assert!(p.position(2).is_none());
    assert!(p.get(1).is_none());
    check(&p, &[b"x".to_vec()]);
}

#[test]
fn find_matches_whole_keys_only() {
    let pairs: Vec<Vec<u8>> = [
        "", "e", "a", "1", "ab", "2", "abc", "3", "abd", "4", "b", "5", "abc\0", "6",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let b = build::<2>(&pairs);
    for (i, pair) in pairs.chunks(2).enumerate() {
        let mut cursor = Cursor::<2>::new(b.bytes());
        assert!(cursor.find(&pair[0]), "{:?}", pair[0]);
        assert_eq!(cursor.index(), 2 * i);
        cursor.advance();
        assert_eq!(cursor.next_entry().unwrap(), &pair[1][..]);
    }
    for missing in ["ab\0", "abcd", "c", "a\0", "abe", "bb"] {
        let mut cursor = Cursor::<2>::new(b.bytes());
        assert!(!cursor.find(missing.as_bytes()), "{missing}");
        assert!(cursor.at_end());
        assert_eq!(cursor.index(), pairs.len());
    }
}

fn entry() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0u8)], 0..6),
        3 => (0u32..300).prop_map(|i| format!("item{i}").into_bytes()),
        2 => any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        1 => (-1000i64..1000).prop_map(|i| i.to_string().into_bytes()),
        1 => proptest::collection::vec(prop_oneof![Just(b'0'), Just(b'9'), Just(b'-')], 1..21),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => (MAX_CODED - 3..MAX_CODED + 3, 0u8..3).prop_map(|(n, b)| vec![b; n]),
        1 => (0usize..300).prop_map(|n| (0..n).map(|i| (i % 5) as u8).collect()),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Index, Vec<Vec<u8>>),
    Remove(Index, usize),
    Replace(Index, Vec<u8>),
    PopFront,
    PushFront(Vec<u8>),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => (any::<Index>(), proptest::collection::vec(entry(), 1..4)).prop_map(|(i, e)| Op::Insert(i, e)),
        2 => (any::<Index>(), 1usize..4).prop_map(|(i, n)| Op::Remove(i, n)),
        2 => (any::<Index>(), entry()).prop_map(|(i, e)| Op::Replace(i, e)),
        2 => Just(Op::PopFront),
        2 => entry().prop_map(Op::PushFront),
    ];
    proptest::collection::vec(op, 1..60)
}

/// Applies `op` to both; `S` groups keep lanes aligned (a hash's pairs).
fn apply<const S: usize>(p: &mut Packed<S>, model: &mut Vec<Vec<u8>>, op: Op) {
    let groups = model.len() / S;
    match op {
        Op::Insert(i, mut entries) => {
            entries.resize(S * entries.len().div_ceil(S), b"pad".to_vec());
            let at = S * i.index(groups + 1);
            let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            p.splice(&p.position(at).unwrap(), 0, &refs);
            model.splice(at..at, entries);
        }
        Op::Remove(i, n) if groups > 0 => {
            let at = S * i.index(groups);
            let n = S * n.min(groups - at / S);
            assert!(p.remove(at, n));
            model.drain(at..at + n);
        }
        Op::Replace(i, e) if !model.is_empty() => {
            let at = i.index(model.len());
            p.splice(&p.position(at).unwrap(), 1, &[&e]);
            model[at] = e;
        }
        _ => {}
    }
}

proptest! {
    #[test]
    fn list_edits_match_a_vec(ops in ops()) {
        let mut p = Packed::<1>::new();
        let mut model = Vec::new();
        for op in ops {
            match op {
                Op::PopFront => {
                    let popped = p.pop_front_with(|e| e.to_vec());
                    prop_assert_eq!(popped, (!model.is_empty()).then(|| model.remove(0)));
                }
                Op::PushFront(e) => {
                    p.push_front(&e);
                    model.insert(0, e);
                }
                op => apply(&mut p, &mut model, op),
            }
            check(&p, &model);
        }
        for (i, e) in model.iter().enumerate() {
            prop_assert_eq!(&*p.get(i).unwrap(), &e[..]);
        }
    }

    #[test]
    fn pair_edits_match_a_vec_and_find_agrees(ops in ops(), probe in entry()) {
        let mut p = Packed::<2>::new();
        let mut model = Vec::new();
        for op in ops {
            apply(&mut p, &mut model, op);
            check(&p, &model);
        }
        for key in model.iter().step_by(2).chain([&probe]) {
            let first = model.chunks(2).position(|pair| &pair[0] == key);
            let mut cursor = p.cursor();
            let found = cursor.find(key);
            prop_assert_eq!(found.then(|| cursor.index() / 2), first);
        }
        let mut cursor = p.cursor();
        for pair in model.chunks(2) {
            let group = cursor.next_group().unwrap();
            prop_assert_eq!(&group[..], pair);
        }
        prop_assert!(cursor.next_group().is_none());
    }
}
