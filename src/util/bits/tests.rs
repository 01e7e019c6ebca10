//! Expected values come from a real redis-server 7.0.15 (see `vectors.rs`
//! for the commands behind each table).

use super::vectors::*;
use super::*;
use proptest::prelude::*;

const DEFAULT_PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses `start end [unit]` or `start [end [unit]]` as the commands will.
fn parse_range(words: &[&str]) -> Result<Option<BitRange>, BitError> {
    let Some(start) = words.first() else {
        return Ok(None);
    };
    let int = |w: &str| parse_i64(w.as_bytes()).ok_or(BitError::NotAnInteger);
    let unit = match words.get(2) {
        Some(unit) => parse_bit_unit(unit.as_bytes())?,
        None => BitUnit::Byte,
    };
    Ok(Some(BitRange {
        start: int(start)?,
        end: words.get(1).map(|w| int(w)).transpose()?,
        unit,
    }))
}

#[test]
fn bitcount_matches_redis_on_every_recorded_range() {
    for &(value, args, reply) in BITCOUNT {
        let words: Vec<&str> = args.split_whitespace().collect();
        let range = parse_range(&words).unwrap();
        assert_eq!(
            bitcount(&from_hex(value), range).to_string(),
            reply,
            "{value} {args}"
        );
    }
}

#[test]
fn bitpos_matches_redis_on_every_recorded_range() {
    for &(value, args, reply) in BITPOS {
        let words: Vec<&str> = args.split_whitespace().collect();
        let bit = parse_bitpos_bit(words[0].as_bytes()).unwrap();
        let range = parse_range(&words[1..]).unwrap();
        assert_eq!(
            bitpos(&from_hex(value), bit, range).to_string(),
            reply,
            "{value} {args}"
        );
    }
}

#[test]
fn bitpos_special_cases() {
    // SET e ""; BITPOS e 0 -> -1; SET k "\xff\xff\xff"; BITPOS k 0 -> 24,
    // BITPOS k 0 0 -> 24, BITPOS k 0 0 -1 -> -1 (all in the tables too).
    assert_eq!(bitpos(b"", false, None), -1);
    assert_eq!(bitpos(b"", true, None), -1);
    let ones = [0xff; 3];
    let from = |start, end| {
        Some(BitRange {
            start,
            end,
            unit: BitUnit::Byte,
        })
    };
    assert_eq!(bitpos(&ones, false, None), 24);
    assert_eq!(bitpos(&ones, false, from(0, None)), 24);
    assert_eq!(bitpos(&ones, false, from(0, Some(-1))), -1);
    assert_eq!(bitpos(&ones, false, from(5, None)), -1);
    assert_eq!(bitpos(&[0xfe, 0], true, from(0, Some(0))), 0);
    assert_eq!(bitpos(&[0, 0], true, None), -1);
}

#[test]
fn bitop_matches_redis() {
    for &(op, sources, expected) in BITOP {
        let sources: Vec<Vec<u8>> = sources
            .split(' ')
            .map(|s| if s == "-" { Vec::new() } else { from_hex(s) })
            .collect();
        let refs: Vec<&[u8]> = sources.iter().map(Vec::as_slice).collect();
        let result = bitop(parse_bitop(op.as_bytes()).unwrap(), &refs).unwrap();
        let stored = if result.is_empty() {
            "nil".to_owned()
        } else {
            hex(&result)
        };
        assert_eq!(
            format!("{}:{stored}", result.len()),
            expected,
            "{op} {refs:02x?}"
        );
    }
}

#[test]
fn bitop_argument_errors_match_redis() {
    // BITOP FOO d b -> syntax error; BITOP NOT d b b -> NOT arity error.
    assert_eq!(parse_bitop(b"FOO"), Err(BitError::Syntax));
    assert_eq!(parse_bitop(b"xOr"), Ok(BitOp::Xor));
    assert_eq!(parse_bitop(b"and\0junk"), Ok(BitOp::And));
    assert_eq!(
        bitop(BitOp::Not, &[b"a", b"b"]),
        Err(BitError::BitopNotArity)
    );
    assert_eq!(
        BitError::BitopNotArity.reply(),
        "ERR BITOP NOT must be called with a single source key."
    );
    assert_eq!(bitop(BitOp::Not, &[b"\x0f"]), Ok(vec![0xf0]));
}

fn reply_text(replies: &[Option<i64>]) -> String {
    let items: Vec<String> = replies
        .iter()
        .map(|r| r.map_or("nil".to_owned(), |v| v.to_string()))
        .collect();
    format!("[{}]", items.join(","))
}

#[test]
fn bitfield_matches_redis_replies_and_resulting_strings() {
    for &(value, args, reply, after) in BITFIELD.iter().chain(BITFIELD_OVERFLOW) {
        let words: Vec<&str> = args.split(' ').collect();
        let plan = match parse_bitfield(&words, DEFAULT_PROTO_MAX_BULK_LEN) {
            Ok(plan) => plan,
            Err(e) => {
                assert_eq!(format!("-{}", e.reply()), reply, "{args}");
                continue;
            }
        };
        let mut s = from_hex(value);
        let replies = run_bitfield(&plan, &mut s);
        assert_eq!(reply_text(&replies), reply, "{value}: {args}");
        if after == "nil" {
            assert!(s.is_empty() && plan.check_read_only().is_ok(), "{args}");
        } else {
            assert_eq!(hex(&s), after, "{value}: {args}");
        }
    }
}

#[test]
fn bitfield_argument_errors_match_redis() {
    for &(args, reply) in BITFIELD_ERRORS {
        let words: Vec<&str> = args.split(' ').collect();
        let got = parse_bitfield(&words, DEFAULT_PROTO_MAX_BULK_LEN)
            .map(|plan| reply_text(&run_bitfield(&plan, &mut Vec::new())));
        let got = got.unwrap_or_else(|e| format!("-{}", e.reply()));
        assert_eq!(got, reply, "BITFIELD k {args}");
    }
}

#[test]
fn bitfield_ro_refuses_writes_only_after_parsing() {
    // BITFIELD_RO z SET u8 0 1 -> ERR BITFIELD_RO only supports the GET
    // subcommand; a parse error still comes first.
    let plan = parse_bitfield(&["GET", "u8", "0", "SET", "u8", "0", "1"], 1 << 29).unwrap();
    assert_eq!(plan.check_read_only(), Err(BitError::ReadOnlyWrite));
    assert_eq!(
        BitError::ReadOnlyWrite.reply(),
        "ERR BITFIELD_RO only supports the GET subcommand"
    );
    assert_eq!(
        parse_bitfield(&["SET", "u8", "0", "x"], 1 << 29),
        Err(BitError::NotAnInteger)
    );
    let read_only = parse_bitfield(&["GET", "i64", "#3"], 1 << 29).unwrap();
    assert_eq!(read_only.check_read_only(), Ok(()));
}

#[test]
fn offsets_are_bounded_by_proto_max_bulk_len() {
    // CONFIG SET proto-max-bulk-len 1048576; SETBIT x 8388607 1 -> 0 (STRLEN
    // 1048576); SETBIT x 8388608 1 -> offset error; BITFIELD y SET u8
    // 8388607 1 -> [0] (STRLEN 1048577); BITFIELD y GET u8 8388608 -> error.
    let limit = 1_048_576;
    assert_eq!(parse_bit_offset(b"8388607", None, limit), Ok(8_388_607));
    assert_eq!(
        parse_bit_offset(b"8388608", None, limit),
        Err(BitError::BadOffset)
    );
    let plan = parse_bitfield(&["SET", "u8", "8388607", "1"], limit).unwrap();
    assert_eq!(plan.highest_write_bit, Some(8_388_614));
    let mut y = Vec::new();
    assert_eq!(run_bitfield(&plan, &mut y), [Some(0)]);
    assert_eq!(y.len(), 1_048_577);
    assert_eq!(y.capacity(), 1_048_577, "grows exactly");
    assert_eq!(
        parse_bitfield(&["GET", "u8", "8388608"], limit),
        Err(BitError::BadOffset)
    );
    // Default limit: 2^32 bits. SETBIT b 4294967296 1 and -1 are refused,
    // SETBIT's value must be 0 or 1, and `#` is only BITFIELD's.
    let default = DEFAULT_PROTO_MAX_BULK_LEN;
    assert_eq!(
        parse_bit_offset(b"4294967295", None, default),
        Ok(4_294_967_295)
    );
    for bad in [&b"4294967296"[..], b"-1", b"abc", b"#1", b"01", b""] {
        assert_eq!(
            parse_bit_offset(bad, None, default),
            Err(BitError::BadOffset)
        );
    }
    assert_eq!(parse_bit_value(b"1"), Ok(true));
    for bad in [&b"2"[..], b"-1", b"x"] {
        assert_eq!(parse_bit_value(bad), Err(BitError::BadBitValue));
    }
    assert_eq!(parse_bitpos_bit(b"2"), Err(BitError::BadBitposBit));
    assert_eq!(parse_bitpos_bit(b"x"), Err(BitError::NotAnInteger));
    // `#N` multiplies in wrapping 64-bit arithmetic: BITFIELD b GET u8
    // #2305843009213693953 reads offset 8 (Redis replied with byte 1, 'Y',
    // of the HLL string it held).
    assert_eq!(
        parse_bit_offset(b"#2305843009213693953", Some(8), default),
        Ok(8)
    );
    assert_eq!(
        get_field(
            b"HYLL",
            FieldType {
                signed: false,
                bits: 8
            },
            8
        ),
        89
    );
}

#[test]
fn fail_still_grows_the_string_to_the_highest_written_bit() {
    // BITFIELD z OVERFLOW FAIL SET u8 100 256 -> [nil]; GET z -> 14 zeros.
    let plan = parse_bitfield(&["OVERFLOW", "FAIL", "SET", "u8", "100", "256"], 1 << 29).unwrap();
    let mut z = Vec::new();
    assert_eq!(run_bitfield(&plan, &mut z), [None]);
    assert_eq!(z, [0; 14]);
}

#[test]
fn getbit_and_setbit_match_redis() {
    // SET s "\x01"; GETBIT s 7 -> 1, 8 -> 0, 6 -> 0; SETBIT s 7 1 -> 1;
    // SETBIT s 7 0 -> 1 (GET s "\x00"); SETBIT s 20 1 -> 0 (GET s
    // "\x00\x00\x08").
    let mut s = vec![1u8];
    assert!(getbit(&s, 7));
    assert!(!getbit(&s, 8));
    assert!(!getbit(&s, 6));
    assert!(!getbit(&s, u64::MAX));
    assert_eq!(setbit(&mut s, 7, true), (true, false));
    assert_eq!(setbit(&mut s, 7, false), (true, true));
    assert_eq!(s, [0]);
    assert_eq!(setbit(&mut s, 20, true), (false, true));
    assert_eq!(s, [0, 0, 8]);
    // Growing counts as a change even when the bit was already clear.
    let mut t = Vec::new();
    assert_eq!(setbit(&mut t, 9, false), (false, true));
    assert_eq!(t, [0, 0]);
}

#[test]
fn bit_units_parse_case_insensitively() {
    assert_eq!(parse_bit_unit(b"BIT"), Ok(BitUnit::Bit));
    assert_eq!(parse_bit_unit(b"bYtE"), Ok(BitUnit::Byte));
    assert_eq!(parse_bit_unit(b"bitt"), Err(BitError::Syntax));
}

/// The plain model: one bool per bit.
fn bit_vec(s: &[u8]) -> Vec<bool> {
    (0..s.len() as u64 * 8).map(|i| getbit(s, i)).collect()
}

proptest! {
    #[test]
    fn bitcount_and_bitpos_agree_with_a_per_bit_model(
        s in proptest::collection::vec(any::<u8>(), 0..24),
        start in -300i64..300,
        end in -300i64..300,
        is_bit in any::<bool>(),
        has_end in any::<bool>(),
        bit in any::<bool>(),
    ) {
        let unit = if is_bit { BitUnit::Bit } else { BitUnit::Byte };
        let bits = bit_vec(&s);
        let range = BitRange { start, end: has_end.then_some(end), unit };
        let interval = range.bits_within(s.len());
        let in_range = |i: usize| interval.is_some_and(|(a, b)| (a..=b).contains(&(i as u64)));
        let positions = (0..bits.len()).filter(|&i| in_range(i));
        let count = positions.clone().filter(|&i| bits[i]).count() as u64;
        if has_end && !(start < 0 && end < 0 && start > end) {
            prop_assert_eq!(bitcount(&s, Some(range)), count);
        }
        let first = positions.clone().find(|&i| bits[i] == bit);
        let expected = match first {
            Some(i) => i as i64,
            None if !bit && !has_end && interval.is_some() => s.len() as i64 * 8,
            None => -1,
        };
        prop_assert_eq!(bitpos(&s, bit, Some(range)), expected);
    }

    #[test]
    fn bitfield_set_then_get_round_trips_within_range(
        s in proptest::collection::vec(any::<u8>(), 0..12),
        signed in any::<bool>(),
        bits in 1u32..=64,
        offset in 0u64..100,
        value in any::<i64>(),
    ) {
        let bits = if signed { bits } else { bits.min(63) };
        let field = FieldType { signed, bits };
        let fits = if signed {
            bits == 64 || (-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&value)
        } else {
            value >= 0 && (value as u64) < (1u64 << bits)
        };
        let plan = BitfieldPlan {
            commands: vec![FieldCommand { op: FieldOp::Set(value), field, offset, overflow: Overflow::Fail }],
            highest_write_bit: Some(offset + u64::from(bits) - 1),
        };
        let mut t = s.clone();
        let before = get_field(&s, field, offset);
        let reply = run_bitfield(&plan, &mut t);
        if fits {
            prop_assert_eq!(reply, vec![Some(before)]);
            prop_assert_eq!(get_field(&t, field, offset), value);
            // Bits outside the field are untouched.
            let (old, new) = (bit_vec(&s), bit_vec(&t));
            for (i, &bit) in new.iter().enumerate() {
                let inside = (offset..offset + u64::from(bits)).contains(&(i as u64));
                if !inside {
                    prop_assert_eq!(bit, old.get(i).copied().unwrap_or(false));
                }
            }
        } else {
            prop_assert_eq!(reply, vec![None]);
        }
    }

    #[test]
    fn random_bitfield_arguments_never_panic(
        words in proptest::collection::vec(
            prop_oneof![
                Just("GET".to_owned()), Just("SET".to_owned()), Just("INCRBY".to_owned()),
                Just("OVERFLOW".to_owned()), Just("SAT".to_owned()), Just("FAIL".to_owned()),
                "[iu][0-9]{1,2}", "#?[0-9]{1,3}", "-?[0-9]{1,20}",
            ],
            0..12,
        ),
        s in proptest::collection::vec(any::<u8>(), 0..10),
    ) {
        if let Ok(plan) = parse_bitfield(&words, 1 << 20) {
            let mut t = s;
            let replies = run_bitfield(&plan, &mut t);
            prop_assert_eq!(replies.len(), plan.commands.len());
        }
    }
}
