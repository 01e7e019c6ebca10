//! Expected digests were recorded from a real redis-server 7.0.15 started
//! with `--enable-debug-command yes`: FLUSHALL, the writes shown in each
//! test, then DEBUG DIGEST-VALUE / DEBUG DIGEST.

use super::*;
use proptest::prelude::*;

fn hex(digest: &Digest) -> String {
    String::from_utf8(to_hex(digest).to_vec()).unwrap()
}

fn value_digest(add: impl FnOnce(&mut Digest)) -> String {
    let mut digest = [0; 20];
    add(&mut digest);
    hex(&digest)
}

/// Redis 7.0's zset rule (scores as `%.17g`), to check the structure of
/// the zset digest against the recorded 7.0 values.
fn add_zset_7_0<'a>(digest: &mut Digest, entries: impl IntoIterator<Item = (&'a [u8], f64)>) {
    add_zset_with(digest, entries, crate::util::num::write_f64);
}

#[test]
fn an_empty_dataset_and_a_missing_key_digest_to_zeros() {
    // DEBUG DIGEST after FLUSHALL; DEBUG DIGEST-VALUE missing.
    let zeros = "0000000000000000000000000000000000000000";
    assert_eq!(hex(&DatasetDigest::new().digest()), zeros);
    assert_eq!(hex(&[0; 20]), zeros);
}

#[test]
fn string_values_match_redis() {
    // SET s hello; SET n 12345 (int-encoded); SET empty ""; SET bin
    // "\x00\xc3\xbf"; SET noex x.
    let cases: [(&[u8], &str); 5] = [
        (b"hello", "36b23a1456b2dce2c3ed252c456761301dba8060"),
        (b"12345", "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83"),
        (b"", "8b3447c33a834b810e3e181b6fd6a2ee1020921c"),
        (b"\x00\xc3\xbf", "8abd9312bfefd63c1afe10c8ae93e917d712a7b1"),
        (b"x", "e1c099d36d86ec50b7f83540e7e59065055be33d"),
    ];
    for (value, expected) in cases {
        assert_eq!(
            value_digest(|d| add_string(d, value)),
            expected,
            "{value:?}"
        );
    }
}

#[test]
fn a_ttl_adds_a_marker_but_not_its_time() {
    // SET ex1 x; PEXPIRE ex1 100000000; SET ex2 x; PEXPIRE ex2 900000000:
    // both DIGEST-VALUEs are the same.
    let with_ttl = value_digest(|d| {
        add_string(d, b"x");
        add_expire_marker(d);
    });
    assert_eq!(with_ttl, "0745672cb1bf060476eedeb8a28f5ffe1ff5a2be");
}

#[test]
fn lists_are_order_dependent_and_match_redis() {
    // RPUSH l a b 1 c; RPUSH l2 c 1 b a; RPUSH bl 0 .. 299 (quicklist).
    let l: [&[u8]; 4] = [b"a", b"b", b"1", b"c"];
    assert_eq!(
        value_digest(|d| add_list(d, l)),
        "c4a8a02111509d350dc1370a4bb1e7816a0d6837"
    );
    assert_eq!(
        value_digest(|d| add_list(d, l.into_iter().rev())),
        "2921429b16f1c96e5928b1dd62fbb408eed80218"
    );
    let numbers: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    assert_eq!(
        value_digest(|d| add_list(d, numbers.iter().map(|s| s.as_bytes()))),
        "3e6be8e2f466999ec41ce7dc92efc6c284a2e13c"
    );
}

#[test]
fn sets_and_hashes_are_order_independent_and_match_redis() {
    // SADD set a b c; SADD iset 1 2 3; HSET h f1 v1 f2 v2; SADD bs 0..299
    // (intset); HSET bh <i> v<i> for i in 0..299.
    let set: [&[u8]; 3] = [b"c", b"a", b"b"];
    assert_eq!(
        value_digest(|d| add_set(d, set)),
        "593c2414786d75446e97f4ea5d4b731f3313da72"
    );
    let iset: [&[u8]; 3] = [b"3", b"1", b"2"];
    assert_eq!(
        value_digest(|d| add_set(d, iset)),
        "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"
    );
    let h: [(&[u8], &[u8]); 2] = [(b"f2", b"v2"), (b"f1", b"v1")];
    assert_eq!(
        value_digest(|d| add_hash(d, h)),
        "047cc60ea73a34cde6d08a2721a4a26d19ee6570"
    );
    let numbers: Vec<String> = (0..300).rev().map(|i| i.to_string()).collect();
    assert_eq!(
        value_digest(|d| add_set(d, numbers.iter().map(|s| s.as_bytes()))),
        "f612092b930228bdd04407fd7465e82d49e596d7"
    );
    let values: Vec<String> = numbers.iter().map(|n| format!("v{n}")).collect();
    let pairs = numbers
        .iter()
        .zip(&values)
        .map(|(f, v)| (f.as_bytes(), v.as_bytes()));
    assert_eq!(
        value_digest(|d| add_hash(d, pairs)),
        "16e088210cd49c16a5e14b4796f44901ab2aecaa"
    );
}

#[test]
fn zset_structure_matches_redis_7_0_with_its_score_spelling() {
    // ZADD z 1 a 2.5 b -0.1 c 1e20 d inf e 3 7; ZADD bz <i/7> m<i> for i in
    // 0..299 (skiplist). 7.0 spells scores with %.17g; 7.2 would differ.
    let z: [(&[u8], f64); 6] = [
        (b"e", f64::INFINITY),
        (b"a", 1.0),
        (b"7", 3.0),
        (b"b", 2.5),
        (b"c", -0.1),
        (b"d", 1e20),
    ];
    assert_eq!(
        value_digest(|d| add_zset_7_0(d, z)),
        "c4ed1880afc3b546d9dbb62cd7b02eec92329902"
    );
    assert_ne!(
        value_digest(|d| add_zset(d, z)),
        "c4ed1880afc3b546d9dbb62cd7b02eec92329902",
        "-0.1 is spelled differently by 7.2"
    );
    let members: Vec<(String, f64)> = (0..300)
        .map(|i| (format!("m{i}"), f64::from(i) / 7.0))
        .collect();
    let entries = members.iter().map(|(m, s)| (m.as_bytes(), *s));
    assert_eq!(
        value_digest(|d| add_zset_7_0(d, entries)),
        "ad2be37aff6564c8ed60f6a7ffeb368f89adb9b1"
    );
}

#[test]
fn zset_digests_with_integral_scores_agree_between_7_0_and_7_2() {
    let z: [(&[u8], f64); 3] = [(b"a", 1.0), (b"b", -3.0), (b"c", 1234567.0)];
    assert_eq!(
        value_digest(|d| add_zset(d, z)),
        value_digest(|d| add_zset_7_0(d, z))
    );
}

/// The dataset of the recorded DEBUG DIGEST (db 0), as (key, value digest
/// adder, has TTL).
/// A key, how to add its value, and whether it has a TTL.
type RecordedKey = (&'static [u8], Box<dyn Fn(&mut Digest)>, bool);

fn recorded_db0() -> Vec<RecordedKey> {
    vec![
        (b"s", Box::new(|d| add_string(d, b"hello")), false),
        (b"n", Box::new(|d| add_string(d, b"12345")), false),
        (b"empty", Box::new(|d| add_string(d, b"")), false),
        (
            b"l",
            Box::new(|d| add_list(d, [&b"a"[..], b"b", b"1", b"c"])),
            false,
        ),
        (
            b"l2",
            Box::new(|d| add_list(d, [&b"c"[..], b"1", b"b", b"a"])),
            false,
        ),
        (
            b"set",
            Box::new(|d| add_set(d, [&b"a"[..], b"b", b"c"])),
            false,
        ),
        (
            b"iset",
            Box::new(|d| add_set(d, [&b"1"[..], b"2", b"3"])),
            false,
        ),
        (
            b"h",
            Box::new(|d| add_hash(d, [(&b"f1"[..], &b"v1"[..]), (b"f2", b"v2")])),
            false,
        ),
        (
            b"z",
            Box::new(|d| {
                let z: [(&[u8], f64); 6] = [
                    (b"a", 1.0),
                    (b"b", 2.5),
                    (b"c", -0.1),
                    (b"d", 1e20),
                    (b"e", f64::INFINITY),
                    (b"7", 3.0),
                ];
                add_zset_7_0(d, z)
            }),
            false,
        ),
        (b"ex1", Box::new(|d| add_string(d, b"x")), true),
        (b"ex2", Box::new(|d| add_string(d, b"x")), true),
        (b"noex", Box::new(|d| add_string(d, b"x")), false),
        (b"bin", Box::new(|d| add_string(d, b"\x00\xc3\xbf")), false),
    ]
}

fn add_db(dataset: &mut DatasetDigest, index: u32, keys: &[RecordedKey]) {
    dataset.start_db(index);
    for (key, add_value, has_ttl) in keys {
        let mut digest = key_start(key);
        add_value(&mut digest);
        if *has_ttl {
            add_expire_marker(&mut digest);
        }
        dataset.add_key(&digest);
    }
}

#[test]
fn dataset_digests_match_redis() {
    // The keys above in db 0: DEBUG DIGEST; then SELECT 1; SET s hello.
    let mut dataset = DatasetDigest::new();
    let mut keys = recorded_db0();
    keys.reverse(); // key order does not matter
    add_db(&mut dataset, 0, &keys);
    assert_eq!(
        hex(&dataset.digest()),
        "1b07bb879ea2b1b0f1bf2d85c173a157091f3346"
    );
    let hello =
        || -> Vec<RecordedKey> { vec![(b"s", Box::new(|d| add_string(d, b"hello")), false)] };
    add_db(&mut dataset, 1, &hello());
    assert_eq!(
        hex(&dataset.digest()),
        "53e22f44b637f34d87ee958bf961612bd6f3508b"
    );
    // FLUSHALL; SELECT 1; SET s hello / FLUSHALL; SET s hello.
    let mut only_db1 = DatasetDigest::new();
    add_db(&mut only_db1, 1, &hello());
    assert_eq!(
        hex(&only_db1.digest()),
        "bdb72d54eb4b84a44857513973dddad0438c878b"
    );
    let mut only_db0 = DatasetDigest::new();
    add_db(&mut only_db0, 0, &hello());
    assert_eq!(
        hex(&only_db0.digest()),
        "a500c6b54937da22f2ac1167da1da852479c7339"
    );
}

fn score_text(score: f64) -> String {
    let mut buf = Vec::new();
    write_score(&mut buf, score);
    String::from_utf8(buf).unwrap()
}

#[test]
fn scores_are_spelled_as_fpconv_lays_them_out() {
    let cases = [
        (1.0, "1"),
        (100.0, "100"),
        (2.5, "2.5"),
        (-0.1, "-0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123.456, "123.456"),
        (1234567.125, "1234567.125"),
        (1e7, "10000000"),
        (1.5e7, "15000000"),
        (1e8, "1e+8"),
        (1.5e10, "1.5e+10"),
        (123456789.0, "123456789"),
        (1e20, "1e+20"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.234e-5, "1.234e-5"),
        (0.001234, "0.001234"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (-0.0, "-0"),
        (0.0, "0"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ];
    for (score, text) in cases {
        assert_eq!(score_text(score), text, "{score:e}");
    }
}

proptest! {
    #[test]
    fn spelled_scores_read_back_as_the_same_double(score in any::<f64>()) {
        let text = score_text(score);
        if score.is_nan() {
            prop_assert!(text.ends_with("nan"));
        } else {
            let parsed: f64 = text.parse().unwrap();
            prop_assert_eq!(parsed.to_bits(), score.to_bits());
        }
    }

    #[test]
    fn unordered_digests_ignore_order_and_lists_do_not(
        items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 2..8),
    ) {
        let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        let reversed: Vec<&[u8]> = refs.iter().rev().copied().collect();
        prop_assert_eq!(value_digest(|d| add_set(d, refs.clone())), value_digest(|d| add_set(d, reversed.clone())));
        if refs != reversed {
            prop_assert_ne!(value_digest(|d| add_list(d, refs)), value_digest(|d| add_list(d, reversed)));
        }
    }
}

#[test]
fn a_dataset_of_large_collections_matches_redis() {
    // FLUSHALL; RPUSH bl 0..299; SADD bs 0..299; HSET bh <i> v<i>; ZADD bz
    // <i/7> m<i>; DEBUG DIGEST (zset scores in 7.0's spelling).
    let numbers: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    let values: Vec<String> = numbers.iter().map(|n| format!("v{n}")).collect();
    let members: Vec<String> = numbers.iter().map(|n| format!("m{n}")).collect();
    let texts = || numbers.iter().map(|s| s.as_bytes());
    let mut keys: Vec<Digest> = Vec::new();
    let mut key = |name: &[u8], add: &dyn Fn(&mut Digest)| {
        let mut digest = key_start(name);
        add(&mut digest);
        keys.push(digest);
    };
    key(b"bl", &|d| add_list(d, texts()));
    key(b"bs", &|d| add_set(d, texts()));
    key(b"bh", &|d| {
        add_hash(d, texts().zip(values.iter().map(|v| v.as_bytes())))
    });
    key(b"bz", &|d| {
        let scores = (0..300).map(|i| f64::from(i) / 7.0);
        add_zset_7_0(d, members.iter().map(|m| m.as_bytes()).zip(scores))
    });
    let mut dataset = DatasetDigest::new();
    dataset.start_db(0);
    keys.iter().for_each(|k| dataset.add_key(k));
    assert_eq!(
        hex(&dataset.digest()),
        "84b7e7a0c6956c81eff74b63fd59b27a8152872d"
    );
}
