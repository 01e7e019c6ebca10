//! Expected values were recorded from a real redis-server 7.0.15 (default
//! config unless a case says otherwise) through a small RESP client: PFADD /
//! SET of crafted bytes, then PFCOUNT, PFDEBUG DECODE / ENCODING / GETREG,
//! PFMERGE and GET (long GET replies are pinned by their SHA1).

use super::vectors::*;
use super::*;
use proptest::prelude::*;

fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

fn hll_of(elements: impl IntoIterator<Item = String>, sparse_max_bytes: usize) -> Vec<u8> {
    let mut hll = new_sparse();
    for element in elements {
        add(&mut hll, element.as_bytes(), sparse_max_bytes).unwrap();
    }
    hll
}

fn numbered(prefix: &str, n: usize) -> impl Iterator<Item = String> {
    (0..n).map(move |i| format!("{prefix}{i}"))
}

fn dump_text(hll: &[u8]) -> String {
    String::from_utf8(sparse_dump(hll).unwrap()).unwrap()
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

const STALE: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x80];

/// A sparse HLL string with the given opcode bytes and cached cardinality.
fn sparse_with(body: &[u8], card: [u8; 8]) -> Vec<u8> {
    let mut hll = b"HYLL\x01\0\0\0".to_vec();
    hll.extend_from_slice(&card);
    hll.extend_from_slice(body);
    hll
}

/// A dense HLL string whose register `i` holds `value(i)`, cache stale.
fn dense_with(value: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut hll = b"HYLL\0\0\0\0".to_vec();
    hll.extend_from_slice(&STALE);
    hll.resize(DENSE_LEN, 0);
    for index in 0..REGISTERS {
        dense::raise(&mut hll[HEADER_LEN..], index, value(index));
    }
    hll
}

fn zero(run: usize) -> Vec<u8> {
    vec![(run - 1) as u8]
}

fn xzero(run: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let field = run - 1;
    out.extend_from_slice(&[0x40 | (field >> 8) as u8, field as u8]);
    out
}

fn val(value: u8, run: usize) -> Vec<u8> {
    vec![0x80 | (value - 1) << 2 | (run - 1) as u8]
}

#[test]
fn a_new_key_is_the_18_byte_empty_sparse_hll() {
    // PFADD h; GET h (PFADD then marks the cache stale: ...80 7fff).
    let mut hll = new_sparse();
    assert_eq!(hll, from_hex("48594c4c0100000000000000000000007fff"));
    invalidate_cache(&mut hll);
    assert_eq!(hll, from_hex("48594c4c0100000000000000000000807fff"));
    assert_eq!(dump_text(&hll), "Z:16384");
    assert_eq!(count(&mut hll), Ok(0));
    assert_eq!(hll, from_hex("48594c4c0100000000000000000000007fff"));
}

#[test]
fn elements_hash_to_the_register_and_value_redis_picks() {
    // PFADD k <element> on a fresh key, then PFDEBUG DECODE k.
    let cases: &[(&[u8], &str)] = &[
        (b"", "Z:5938 v:2,1 Z:10445"),
        (b"a", "Z:12711 v:2,1 Z:3672"),
        (b"ab", "Z:719 v:1,1 Z:15664"),
        (b"abc", "Z:9474 v:1,1 Z:6909"),
        (b"abcd", "Z:11070 v:8,1 Z:5313"),
        (b"abcde", "Z:3726 v:4,1 Z:12657"),
        (b"abcdef", "Z:13647 v:2,1 Z:2736"),
        (b"abcdefg", "Z:5634 v:2,1 Z:10749"),
        (b"abcdefgh", "Z:1383 v:1,1 Z:15000"),
        (b"abcdefghi", "Z:6903 v:1,1 Z:9480"),
        (b"hello world, this is longer", "Z:9459 v:1,1 Z:6924"),
        (b"\x00\xff\x80", "Z:16255 v:2,1 Z:128"),
        (b"e0", "Z:1318 v:1,1 Z:15065"),
        (b"e1", "Z:15949 v:2,1 Z:434"),
    ];
    for &(element, decoded) in cases {
        let mut hll = new_sparse();
        assert_eq!(add(&mut hll, element, DEFAULT_SPARSE_MAX_BYTES), Ok(true));
        assert_eq!(dump_text(&hll), decoded, "element {element:?}");
        assert_eq!(add(&mut hll, element, DEFAULT_SPARSE_MAX_BYTES), Ok(false));
    }
}

#[test]
fn pfadd_then_pfcount_matches_redis_bytes_and_estimates() {
    for &(n, estimate, enc, len, sha) in NUMBERED {
        let mut hll = hll_of(numbered("e", n), DEFAULT_SPARSE_MAX_BYTES);
        assert_eq!(encoding(&hll), Ok(enc), "n={n}");
        assert_eq!(hll.len(), len, "n={n}");
        assert_eq!(sha1_hex(&hll), sha, "n={n}");
        assert_eq!(cached_cardinality(&hll), None);
        // PFCOUNT caches the estimate in header bytes 8..16 (GET k again).
        assert_eq!(count(&mut hll), Ok(estimate), "n={n}");
        assert_eq!(hll[8..16], (estimate as u64).to_le_bytes());
        assert_eq!(cached_cardinality(&hll), Some(estimate));
    }
}

#[test]
fn sparse_opcodes_match_redis_decode() {
    // PFADD k e0 .. e9; PFDEBUG DECODE k.
    let hll = hll_of(numbered("e", 10), DEFAULT_SPARSE_MAX_BYTES);
    assert_eq!(
        dump_text(&hll),
        "Z:1318 v:1,1 Z:1839 v:2,1 Z:4042 v:1,1 Z:1043 v:2,1 Z:2642 v:2,1 Z:782 v:2,1 \
         Z:260 v:2,1 Z:3770 v:2,1 Z:137 v:1,1 Z:107 v:2,1 Z:434"
    );
}

#[test]
fn promotion_to_dense_happens_at_the_element_redis_promotes_at() {
    // PFADD k e0, e1, ... one at a time until PFDEBUG ENCODING k is dense.
    let mut hll = new_sparse();
    for i in 0..1684 {
        assert_eq!(encoding(&hll), Ok(Encoding::Sparse), "before e{i}");
        add(
            &mut hll,
            format!("e{i}").as_bytes(),
            DEFAULT_SPARSE_MAX_BYTES,
        )
        .unwrap();
    }
    assert_eq!(encoding(&hll), Ok(Encoding::Dense));
}

#[test]
fn element_families_and_sparse_limits_match_redis() {
    for &(case, n, max_bytes, estimate, enc, sha) in SPARSE_LIMITS {
        let mut hll = hll_of(numbered(&format!("c{case}:"), n), max_bytes);
        assert_eq!(encoding(&hll), Ok(enc), "case {case}");
        assert_eq!(sha1_hex(&hll), sha, "case {case}");
        assert_eq!(count(&mut hll), Ok(estimate), "case {case}");
    }
    for &(prefix, suffix, n, estimate, enc, sha) in FAMILIES {
        let elements = (0..n).map(|i| format!("{prefix}{i}{suffix}"));
        let mut hll = hll_of(elements, DEFAULT_SPARSE_MAX_BYTES);
        assert_eq!(encoding(&hll), Ok(enc), "{prefix}{{}}{suffix}");
        assert_eq!(sha1_hex(&hll), sha, "{prefix}{{}}{suffix}");
        assert_eq!(count(&mut hll), Ok(estimate), "{prefix}{{}}{suffix}");
    }
}

fn union_estimate(hlls: &[&[u8]]) -> Result<i64, HllError> {
    let mut registers = Registers::new();
    for hll in hlls {
        registers.merge(hll)?;
    }
    Ok(registers.estimate())
}

/// PFMERGE as the command runs it: every existing key (dest first) merged,
/// then written into dest (or a new HLL).
fn pfmerge(dest: Option<Vec<u8>>, sources: &[&[u8]]) -> Vec<u8> {
    let mut registers = Registers::new();
    let mut dense = false;
    for hll in dest.as_deref().into_iter().chain(sources.iter().copied()) {
        dense |= registers.merge(hll).unwrap() == Encoding::Dense;
    }
    let mut dest = dest.unwrap_or_else(new_sparse);
    store_merged(&mut dest, &registers, dense, DEFAULT_SPARSE_MAX_BYTES).unwrap();
    dest
}

#[test]
fn pfcount_of_several_keys_and_pfmerge_match_redis() {
    // a = e0..e1999, b = e1000..e2999, c = e0..e49; PFCOUNT a b / a c /
    // b c nokey; PFMERGE d <sources>; PFDEBUG ENCODING d; GET d; PFCOUNT d.
    let a = hll_of((0..2000).map(|i| format!("e{i}")), DEFAULT_SPARSE_MAX_BYTES);
    let b = hll_of(
        (1000..3000).map(|i| format!("e{i}")),
        DEFAULT_SPARSE_MAX_BYTES,
    );
    let c = hll_of(numbered("e", 50), DEFAULT_SPARSE_MAX_BYTES);
    assert_eq!(
        [encoding(&a), encoding(&c)],
        [Ok(Encoding::Dense), Ok(Encoding::Sparse)]
    );
    assert_eq!(union_estimate(&[&a, &b]), Ok(2979));
    assert_eq!(union_estimate(&[&a, &c]), Ok(2000));
    assert_eq!(union_estimate(&[&b, &c]), Ok(2043));
    assert_eq!(union_estimate(&[]), Ok(0));

    let cases = [
        (
            None,
            vec![&c[..]],
            Encoding::Sparse,
            "8d4c752d36e8713b1f90d832e2c2fac77545f7aa",
            50,
        ),
        (
            None,
            vec![&a[..], &c[..]],
            Encoding::Dense,
            "d89749d695c9bf2d520372e472f50f24ee53f88b",
            2000,
        ),
        (
            Some(hll_of(
                ["zz1".into(), "zz2".into()],
                DEFAULT_SPARSE_MAX_BYTES,
            )),
            vec![&c[..]],
            Encoding::Sparse,
            "a2c24acf2b60f1a3ece1252b83b640fd95b9d543",
            52,
        ),
    ];
    for (dest, sources, enc, sha, estimate) in cases {
        let mut merged = pfmerge(dest, &sources);
        assert_eq!(encoding(&merged), Ok(enc));
        assert_eq!(sha1_hex(&merged), sha);
        assert_eq!(count(&mut merged), Ok(estimate));
    }
    // PFMERGE d with no (existing) sources: an empty sparse HLL, cache stale.
    assert_eq!(
        pfmerge(None, &[]),
        from_hex("48594c4c0100000000000000000000807fff")
    );
    // A dense source makes the result dense even when it holds 3 elements.
    let mut e = hll_of(numbered("e", 3), DEFAULT_SPARSE_MAX_BYTES);
    to_dense(&mut e).unwrap();
    assert_eq!(
        sha1_hex(&pfmerge(None, &[&e])),
        "38a4123e3acf88bbc03360407f78a04d83f50bdd"
    );
}

#[test]
fn foreign_dense_strings_count_and_update_as_in_redis() {
    let s = hll_of(numbered("e", 100), DEFAULT_SPARSE_MAX_BYTES);
    for &(name, value, estimate, sha_after_add, union) in FOREIGN_DENSE {
        let hll = dense_with(value);
        assert_eq!(count(&mut hll.clone()), Ok(estimate), "{name}");
        let mut added = hll.clone();
        for element in ["x", "y", "z"] {
            add(&mut added, element.as_bytes(), DEFAULT_SPARSE_MAX_BYTES).unwrap();
        }
        assert_eq!(sha1_hex(&added), sha_after_add, "{name}");
        assert_eq!(union_estimate(&[&hll, &s]), Ok(union), "{name}");
    }
}

#[test]
fn an_estimate_of_i64_min_is_cached_as_stale() {
    // PFCOUNT on all-63 registers replies -9223372036854775808; its bit
    // pattern has the stale bit set, so the next PFCOUNT recomputes it.
    let mut hll = dense_with(|_| 63);
    assert_eq!(count(&mut hll), Ok(i64::MIN));
    assert_eq!(cached_cardinality(&hll), None);
}

#[test]
fn foreign_sparse_strings_count_and_update_as_in_redis() {
    // SET k <sparse bytes, cache stale>; PFCOUNT k; SET again; PFADD k
    // e0..e29; PFDEBUG ENCODING k; GET k.
    let mixed: Vec<u8> = [val(3, 2), zero(62), xzero(100)]
        .concat()
        .repeat(99)
        .into_iter()
        .chain(xzero(16384 - 99 * 164))
        .collect();
    let cases = [
        (
            "ZERO(1) x 16384",
            zero(1).repeat(16384),
            0,
            16400,
            "d481dbffc27ab3e10ca290c432ef978ab696d8d1",
        ),
        (
            "VAL(5,4) x 4096",
            val(5, 4).repeat(4096),
            378194,
            4112,
            "442494f939d58eda96792bd68abd4561a4973a26",
        ),
        (
            "XZERO(1) x 16384",
            xzero(1).repeat(16384),
            0,
            32754,
            "a79d704ec65c0fb71862cbc76faf59b1d27b6197",
        ),
        (
            "VAL(32,4) at the end",
            [xzero(16380), val(32, 4)].concat(),
            4,
            105,
            "ed4ff0ed97de72031b90d1ad608ac4e1fa9a3ddd",
        ),
        (
            "mixed runs",
            mixed,
            199,
            467,
            "ac55f8d80680bc4d1485a5e584c2fb2ad1b6721b",
        ),
    ];
    for (name, body, estimate, len_after, sha_after) in cases {
        let hll = sparse_with(&body, STALE);
        assert_eq!(count(&mut hll.clone()), Ok(estimate), "{name}");
        let mut added = hll;
        for element in numbered("e", 30) {
            add(&mut added, element.as_bytes(), DEFAULT_SPARSE_MAX_BYTES).unwrap();
        }
        assert_eq!(encoding(&added), Ok(Encoding::Sparse), "{name}");
        assert_eq!(added.len(), len_after, "{name}");
        assert_eq!(sha1_hex(&added), sha_after, "{name}");
    }
}

/// The outcome of every read-side operation on `hll`, for comparing corrupt
/// strings with what Redis replied to the same bytes.
#[derive(Debug, PartialEq)]
struct Outcome {
    pfcount: Result<i64, HllError>,
    union: Result<i64, HllError>,
    decode: Result<String, DumpError>,
    todense: Result<bool, HllError>,
}

fn outcome(hll: &[u8]) -> Outcome {
    Outcome {
        pfcount: count(&mut hll.to_vec()),
        union: union_estimate(&[hll]),
        decode: sparse_dump(hll).map(|text| String::from_utf8(text).unwrap()),
        todense: to_dense(&mut hll.to_vec()),
    }
}

#[test]
fn malformed_sparse_opcodes_are_invalidobj_exactly_where_redis_says_so() {
    // SET k <bytes, cache stale>; PFCOUNT k; PFCOUNT k nokey; PFDEBUG DECODE
    // k; PFDEBUG TODENSE k; then with the cache valid (all zero) PFADD k a;
    // GET k.
    let lone_xzero = |zeros_before: usize| {
        let mut body = zero(64).repeat(zeros_before / 64);
        body.extend(zero(zeros_before % 64));
        body.push(0x7f);
        body
    };
    let ok = |estimate, decode: &str| Outcome {
        pfcount: Ok(estimate),
        union: Ok(estimate),
        decode: Ok(decode.to_owned()),
        todense: Ok(true),
    };
    let corrupt = |decode: &str| Outcome {
        pfcount: Err(HllError::Corrupt),
        union: Err(HllError::Corrupt),
        decode: Ok(decode.to_owned()),
        todense: Err(HllError::Corrupt),
    };
    let cases: Vec<(Vec<u8>, Outcome, Option<&str>)> = vec![
        (xzero(16384), ok(0, "Z:16384"), Some("71a6844e57")),
        (vec![], corrupt(""), None),
        (xzero(16383), corrupt("Z:16383"), Some("71a6844e56")),
        (
            [xzero(16384), zero(1)].concat(),
            corrupt("Z:16384 z:1"),
            Some("71a6844e5700"),
        ),
        (
            [xzero(16384), val(3, 1)].concat(),
            corrupt("Z:16384 v:3,1"),
            Some("71a6844e5788"),
        ),
        (
            [xzero(16383), val(3, 2)].concat(),
            corrupt("Z:16383 v:3,2"),
            Some("71a6844e5689"),
        ),
        (
            [xzero(16383), zero(2)].concat(),
            corrupt("Z:16383 z:2"),
            Some("71a6844e5601"),
        ),
        (
            [xzero(16383), xzero(100)].concat(),
            corrupt("Z:16383 Z:100"),
            Some("71a6844e564063"),
        ),
        (
            [xzero(16383), val(32, 1)].concat(),
            ok(1, "Z:16383 v:32,1"),
            Some("71a6844e56fc"),
        ),
        // An XZERO cut short by the end of the string reads a zero low byte:
        // 255 + 16129 registers is a well-formed HLL, 254 + 16129 is not, and
        // PFADD then loses the last byte of its rewrite just as Redis does.
        (
            lone_xzero(255),
            ok(0, "z:64 z:64 z:64 z:63 Z:16129"),
            Some("3f3f3f3e70a7844e"),
        ),
        (
            lone_xzero(254),
            corrupt("z:64 z:64 z:64 z:62 Z:16129"),
            Some("3f3f3f3d70a8844e"),
        ),
    ];
    for (body, expected, after_pfadd) in cases {
        let stale = sparse_with(&body, STALE);
        assert_eq!(outcome(&stale), expected, "body {body:02x?}");
        let mut hll = sparse_with(&body, [0; 8]);
        let added = add(&mut hll, b"a", DEFAULT_SPARSE_MAX_BYTES);
        match after_pfadd {
            Some(hex) => {
                assert_eq!(added, Ok(true), "body {body:02x?}");
                let expected = from_hex(&format!("48594c4c010000000000000000000080{hex}"));
                assert_eq!(hll, expected, "body {body:02x?}");
            }
            None => {
                assert_eq!(added, Err(HllError::Corrupt));
                assert_eq!(hll, sparse_with(&body, [0; 8]), "left unchanged");
            }
        }
    }
}

#[test]
fn a_valid_cache_answers_pfcount_even_over_corrupt_registers() {
    // SET k <header with cached 5, no opcodes>; PFCOUNT k -> 5, but
    // PFCOUNT k nokey -> INVALIDOBJ; with the stale bit set, INVALIDOBJ.
    let hll = sparse_with(&[], [5, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(cached_cardinality(&hll), Some(5));
    assert_eq!(count(&mut hll.clone()), Ok(5));
    assert_eq!(union_estimate(&[&hll]), Err(HllError::Corrupt));
    let stale = sparse_with(&[], [5, 0, 0, 0, 0, 0, 0, 0x80]);
    assert_eq!(count(&mut stale.clone()), Err(HllError::Corrupt));
}

#[test]
fn strings_without_an_hll_header_are_wrongtype() {
    // PFCOUNT / PFADD / PFDEBUG / PFMERGE on each all reply WRONGTYPE Key is
    // not a valid HyperLogLog string value.
    let mut dense_short = dense_with(|_| 0);
    dense_short.pop();
    let cases = [
        b"hello".to_vec(),
        b"12345".to_vec(),
        [&b"HYLM"[..], &new_sparse()[4..]].concat(),
        [&b"HYLL\x02"[..], &new_sparse()[5..]].concat(),
        dense_short,
        new_sparse()[..15].to_vec(),
    ];
    for bytes in cases {
        assert_eq!(encoding(&bytes), Err(HllError::NotHll), "{bytes:02x?}");
        let o = outcome(&bytes);
        assert_eq!(o.pfcount, Err(HllError::NotHll));
        assert_eq!(o.union, Err(HllError::NotHll));
        assert_eq!(o.decode, Err(DumpError::Hll(HllError::NotHll)));
        assert_eq!(o.todense, Err(HllError::NotHll));
        assert_eq!(add(&mut bytes.clone(), b"a", 3000), Err(HllError::NotHll));
    }
    assert_eq!(
        HllError::NotHll.reply(),
        "WRONGTYPE Key is not a valid HyperLogLog string value."
    );
    assert_eq!(
        HllError::Corrupt.reply(),
        "INVALIDOBJ Corrupted HLL object detected"
    );
}

#[test]
fn pfdebug_todense_keeps_the_header_and_decode_refuses_dense() {
    // PFADD d a; PFCOUNT d; PFDEBUG TODENSE d -> 1, again -> 0; PFDEBUG
    // DECODE d -> ERR HLL encoding is not sparse; GET d keeps card 1.
    let mut hll = new_sparse();
    add(&mut hll, b"a", DEFAULT_SPARSE_MAX_BYTES).unwrap();
    count(&mut hll).unwrap();
    let sparse = hll.clone();
    assert_eq!(to_dense(&mut hll), Ok(true));
    assert_eq!(to_dense(&mut hll), Ok(false));
    assert_eq!(hll.len(), DENSE_LEN);
    assert_eq!(hll[8..16], [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(encoding(&hll).map(Encoding::name), Ok("dense"));
    assert_eq!(sparse_dump(&hll), Err(DumpError::NotSparse));
    assert_eq!(
        DumpError::NotSparse.reply(),
        "ERR HLL encoding is not sparse"
    );
    let mut from_sparse = Registers::new();
    from_sparse.merge(&sparse).unwrap();
    let mut from_dense = Registers::new();
    from_dense.merge(&hll).unwrap();
    assert!(from_sparse == from_dense);
    assert_eq!(from_dense.get(12711), 2);
    assert_eq!(
        from_dense
            .values()
            .iter()
            .map(|&v| u32::from(v))
            .sum::<u32>(),
        2
    );
}

#[test]
fn pfselftest_passes() {
    assert_eq!(self_test(), Ok(()));
}

/// Every operation, for checking that no input panics.
fn exercise(bytes: &[u8], max_bytes: usize) {
    let _ = outcome(bytes);
    let mut added = bytes.to_vec();
    for element in numbered("p", 8) {
        let _ = add(&mut added, element.as_bytes(), max_bytes);
    }
    let mut registers = Registers::new();
    let merged = registers.merge(bytes);
    let _ = registers.estimate();
    let mut dest = bytes.to_vec();
    let _ = store_merged(
        &mut dest,
        &registers,
        merged == Ok(Encoding::Dense),
        max_bytes,
    );
}

fn header_then(body: Vec<u8>, encoding_byte: u8, card: [u8; 8]) -> Vec<u8> {
    let mut hll = vec![b'H', b'Y', b'L', b'L', encoding_byte, 0, 0, 0];
    hll.extend_from_slice(&card);
    hll.extend(body);
    hll
}

proptest! {
    #[test]
    fn random_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        encoding_byte in 0u8..3,
        stale in any::<bool>(),
        max_bytes in 0usize..4000,
    ) {
        let card = if stale { STALE } else { [0; 8] };
        exercise(&header_then(body.clone(), encoding_byte, card), max_bytes);
        exercise(&body, max_bytes);
    }

    #[test]
    fn mutated_hlls_never_panic(
        n in 0usize..600,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
        max_bytes in 0usize..4000,
    ) {
        let mut hll = hll_of(numbered("m", n), DEFAULT_SPARSE_MAX_BYTES);
        for (at, byte) in edits {
            let at = HEADER_LEN + at % (hll.len() - HEADER_LEN);
            hll[at] = byte;
        }
        exercise(&hll, max_bytes);
        hll.truncate(HEADER_LEN + cut % (hll.len() - HEADER_LEN + 1));
        exercise(&hll, max_bytes);
    }

    #[test]
    fn sparse_and_dense_hold_the_registers_a_plain_array_model_holds(
        elements in proptest::collection::vec(any::<u32>(), 0..1500),
        max_bytes in 0usize..3500,
    ) {
        let mut model = [0u8; REGISTERS];
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for element in &elements {
            let element = element.to_le_bytes();
            let (index, value) = hash_element(&element);
            let grows = value > model[index];
            model[index] = model[index].max(value);
            prop_assert_eq!(add(&mut sparse, &element, max_bytes), Ok(grows));
            prop_assert_eq!(add(&mut dense, &element, max_bytes), Ok(grows));
        }
        if encoding(&sparse) == Ok(Encoding::Sparse) {
            prop_assert!(sparse.len() <= max_bytes.max(18));
        }
        for hll in [&sparse, &dense] {
            let mut registers = Registers::new();
            registers.merge(hll).unwrap();
            prop_assert_eq!(&registers.values()[..], &model[..]);
        }
        prop_assert_eq!(count(&mut sparse), count(&mut dense));
    }
}
