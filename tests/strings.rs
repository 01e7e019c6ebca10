//! The string family over the wire: replies and error texts byte for byte
//! (checked against Redis 7.0/7.2), option combinations, TTL behaviour,
//! binary values, RESP3 shapes and multi-key atomicity.

mod common;
use std::thread::sleep;
use std::time::Duration;

use common::{RawConn, TestServer};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INTEGER: &str = "-ERR value is not an integer or out of range\r\n";
const NIL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";

/// Runs each command in turn and checks its exact reply.
fn expect(raw: &mut RawConn, cases: &[(&[&str], &str)]) {
    for (argv, want) in cases {
        assert_eq!(raw.cmd(argv), *want, "{argv:?}");
    }
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// Lets keys given a few milliseconds to live expire.
fn outlive_short_ttls() {
    sleep(Duration::from_millis(60));
}

/// Makes `key` hold a list, if this build has lists yet; wrong-type checks
/// need a key of another type.
fn make_non_string(raw: &mut RawConn, key: &str) -> bool {
    raw.cmd(&["RPUSH", key, "x"]) == ":1\r\n"
}

#[test]
fn set_and_get_round_trip_with_plain_replies() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["GET", "k"], NIL),
            (&["SET", "k", "v"], OK),
            (&["GET", "k"], &bulk("v")),
            (&["set", "k", "12"], OK),
            (&["GET", "k"], &bulk("12")),
            (&["SET", "e", ""], OK),
            (&["GET", "e"], "$0\r\n\r\n"),
        ],
    );
}

#[test]
fn set_nx_xx_and_get_combinations() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["SET", "k", "v", "XX"], NIL),
            (&["SET", "k", "v", "XX", "GET"], NIL),
            (&["GET", "k"], NIL),
            (&["SET", "k", "v", "NX"], OK),
            (&["SET", "k", "w", "NX"], NIL),
            (&["SET", "k", "w", "NX", "GET"], &bulk("v")),
            (&["GET", "k"], &bulk("v")),
            (&["SET", "k", "w", "XX", "GET"], &bulk("v")),
            (&["SET", "k", "x", "GET"], &bulk("w")),
            (&["SET", "n", "v", "NX", "GET"], NIL),
            (&["GET", "n"], &bulk("v")),
            (&["SET", "k", "y", "nx", "NX"], NIL),
            (&["SET", "k", "y", "get", "GET"], &bulk("x")),
        ],
    );
}

#[test]
fn set_rejects_contradictory_or_incomplete_options() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for argv in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "EX", "10", "PX", "10"],
        &["SET", "k", "v", "EX", "100", "PXAT", "1"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EX", "10", "KEEPTTL"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "foo"],
        // Syntax is checked before the expiry value is read.
        &["SET", "k", "v", "EX", "abc", "foo"],
    ] {
        assert_eq!(raw.cmd(argv), SYNTAX, "{argv:?}");
    }
    assert_eq!(raw.cmd(&["GET", "k"]), NIL);
}

#[test]
fn set_expiry_values_are_validated_like_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let invalid = "-ERR invalid expire time in 'set' command\r\n";
    expect(
        &mut raw,
        &[
            (&["SET", "k", "v", "EX", "0"], invalid),
            (&["SET", "k", "v", "EX", "-1"], invalid),
            (&["SET", "k", "v", "PX", "0"], invalid),
            (&["SET", "k", "v", "EXAT", "0"], invalid),
            (&["SET", "k", "v", "EX", "9223372036854775807"], invalid),
            (&["SET", "k", "v", "EX", "9223372036854775"], invalid),
            (&["SET", "k", "v", "PX", "9223372036854775807"], invalid),
            (&["SET", "k", "v", "EXAT", "9223372036854776"], invalid),
            (&["SET", "k", "v", "EX", "1.5"], NOT_INTEGER),
            (&["SET", "k", "v", "EX", "abc"], NOT_INTEGER),
            (&["SET", "k", "v", "EX", " 1"], NOT_INTEGER),
            (&["GET", "k"], NIL),
            (&["SET", "k", "v", "EX", "9223372036854"], OK),
            (&["SET", "k", "v", "PXAT", "9223372036854775807"], OK),
            (&["SET", "k", "v", "EXAT", "9223372036854775"], OK),
            (&["GET", "k"], &bulk("v")),
            (&["SET", "k", "v", "EX", "100", "EX", "200"], OK),
            (&["SET", "k", "v", "KEEPTTL", "KEEPTTL"], OK),
        ],
    );
}

#[test]
fn set_with_past_absolute_time_leaves_an_expired_key() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["SET", "k", "v", "EXAT", "1"], OK),
            (&["GET", "k"], NIL),
            (&["SET", "k", "v", "PXAT", "1", "GET"], NIL),
            (&["GET", "k"], NIL),
        ],
    );
}

#[test]
fn set_ttls_expire_and_keepttl_keeps_them() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["SET", "px", "v", "PX", "20"], OK),
            (&["SET", "kept", "v", "PX", "20"], OK),
            (&["SET", "kept", "w", "KEEPTTL"], OK),
            (&["SET", "cleared", "v", "PX", "20"], OK),
            (&["SET", "cleared", "w"], OK),
            (&["SET", "getset", "v", "PX", "20"], OK),
            (&["GETSET", "getset", "w"], &bulk("v")),
            (&["SET", "mset", "v", "PX", "20"], OK),
            (&["MSET", "mset", "w"], OK),
            (&["PSETEX", "psetex", "20", "v"], OK),
            (&["GET", "px"], &bulk("v")),
            (&["GET", "psetex"], &bulk("v")),
        ],
    );
    outlive_short_ttls();
    expect(
        &mut raw,
        &[
            (&["GET", "px"], NIL),
            (&["GET", "kept"], NIL),
            (&["GET", "cleared"], &bulk("w")),
            (&["GET", "getset"], &bulk("w")),
            (&["GET", "mset"], &bulk("w")),
            (&["GET", "psetex"], NIL),
        ],
    );
}

#[test]
fn setnx_setex_psetex_replies_and_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["SETNX", "k", "1"], ":1\r\n"),
            (&["SETNX", "k", "2"], ":0\r\n"),
            (&["GET", "k"], &bulk("1")),
            (&["SETEX", "k", "100", "v"], OK),
            (&["GET", "k"], &bulk("v")),
            (
                &["SETEX", "k", "0", "v"],
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            (
                &["SETEX", "k", "-5", "v"],
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            (
                &["SETEX", "k", "9223372036854775807", "v"],
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            (&["SETEX", "k", "abc", "v"], NOT_INTEGER),
            (
                &["PSETEX", "k", "0", "v"],
                "-ERR invalid expire time in 'psetex' command\r\n",
            ),
            (&["PSETEX", "k", "1.5", "v"], NOT_INTEGER),
            (
                &["SETEX", "k", "10"],
                "-ERR wrong number of arguments for 'setex' command\r\n",
            ),
            (&["SET", "gone", "v", "PXAT", "1"], OK),
            (&["SETNX", "gone", "w"], ":1\r\n"),
            (&["GET", "gone"], &bulk("w")),
        ],
    );
}

#[test]
fn getex_options_and_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let invalid = "-ERR invalid expire time in 'getex' command\r\n";
    expect(
        &mut raw,
        &[
            (&["GETEX", "missing"], NIL),
            // A missing key answers null before the expiry value is read...
            (&["GETEX", "missing", "EX", "abc"], NIL),
            // ...but not before the syntax is checked.
            (&["GETEX", "missing", "foo"], SYNTAX),
            (&["SET", "k", "v"], OK),
            (&["GETEX", "k"], &bulk("v")),
            (&["GETEX", "k", "EX", "abc"], NOT_INTEGER),
            (&["GETEX", "k", "EX", "0"], invalid),
            (&["GETEX", "k", "PX", "-1"], invalid),
            (&["GETEX", "k", "EX", "9223372036854775807"], invalid),
            (&["GETEX", "k", "KEEPTTL"], SYNTAX),
            (&["GETEX", "k", "NX"], SYNTAX),
            (&["GETEX", "k", "GET"], SYNTAX),
            (&["GETEX", "k", "EX"], SYNTAX),
            (&["GETEX", "k", "PERSIST", "EX", "10"], SYNTAX),
            (&["GETEX", "k", "EX", "10", "PX", "10"], SYNTAX),
            (&["GETEX", "k", "ex", "10", "EX", "20"], &bulk("v")),
            (&["GETEX", "k", "persist", "PERSIST"], &bulk("v")),
        ],
    );
}

#[test]
fn getex_sets_persists_and_expires_ttls() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["SET", "a", "1"], OK),
            (&["GETEX", "a", "PX", "20"], &bulk("1")),
            (&["SET", "b", "2", "PX", "20"], OK),
            (&["GETEX", "b", "PERSIST"], &bulk("2")),
            (&["SET", "c", "3", "PX", "20"], OK),
            (&["GETEX", "c"], &bulk("3")),
            (&["SET", "d", "4"], OK),
            // An absolute time already past deletes the key after replying.
            (&["GETEX", "d", "PXAT", "1"], &bulk("4")),
            (&["GET", "d"], NIL),
            (&["SET", "e", "5"], OK),
            (&["GETEX", "e", "EXAT", "1"], &bulk("5")),
            (&["GETEX", "e"], NIL),
        ],
    );
    outlive_short_ttls();
    expect(
        &mut raw,
        &[
            (&["GET", "a"], NIL),
            (&["GET", "b"], &bulk("2")),
            (&["GET", "c"], NIL),
        ],
    );
}

#[test]
fn getdel_and_getset_return_the_old_value() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["GETDEL", "k"], NIL),
            (&["SET", "k", "12"], OK),
            (&["GETDEL", "k"], &bulk("12")),
            (&["GETDEL", "k"], NIL),
            (&["GETSET", "k", "5"], NIL),
            (&["GETSET", "k", "6"], &bulk("5")),
            (&["GET", "k"], &bulk("6")),
        ],
    );
}

#[test]
fn mget_mset_msetnx_span_many_shards() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let keys: Vec<String> = (0..200).map(|i| format!("key:{i}")).collect();
    let mut mset = vec!["MSET"];
    for k in &keys {
        mset.extend([k.as_str(), k.as_str()]);
    }
    assert_eq!(raw.cmd(&mset), OK);
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    mget.push("absent");
    let mut want = format!("*{}\r\n", keys.len() + 1);
    for k in &keys {
        want.push_str(&bulk(k));
    }
    want.push_str(NIL);
    assert_eq!(raw.cmd(&mget), want);
}

#[test]
fn mset_family_replies_and_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (
                &["MSET", "a", "1", "b"],
                "-ERR wrong number of arguments for 'mset' command\r\n",
            ),
            (
                &["MSET", "a"],
                "-ERR wrong number of arguments for 'mset' command\r\n",
            ),
            (
                &["MSETNX", "a", "1", "b"],
                "-ERR wrong number of arguments for 'msetnx' command\r\n",
            ),
            (
                &["MGET"],
                "-ERR wrong number of arguments for 'mget' command\r\n",
            ),
            (&["GET", "a"], NIL),
            (&["MSET", "a", "1", "b", "2", "a", "3"], OK),
            (
                &["MGET", "a", "b", "zz"],
                "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n",
            ),
            (&["MSETNX", "a", "9", "c", "3"], ":0\r\n"),
            (&["GET", "c"], NIL),
            (&["MSETNX", "c", "3", "d", "4", "c", "5"], ":1\r\n"),
            (&["MGET", "c", "d"], "*2\r\n$1\r\n5\r\n$1\r\n4\r\n"),
            (&["SET", "gone", "v", "PXAT", "1"], OK),
            (&["MSETNX", "gone", "w", "e", "1"], ":1\r\n"),
            (&["MGET", "gone", "e"], "*2\r\n$1\r\nw\r\n$1\r\n1\r\n"),
        ],
    );
}

#[test]
fn msetnx_is_all_or_nothing_under_concurrency() {
    let server = TestServer::start();
    for round in 0..100 {
        let keys: Vec<String> = (0..8).map(|i| format!("r{round}:{i}")).collect();
        let racers: Vec<_> = ["A", "B"]
            .into_iter()
            .map(|value| {
                let mut raw = server.raw();
                let keys = keys.clone();
                std::thread::spawn(move || {
                    let mut argv = vec!["MSETNX"];
                    for k in &keys {
                        argv.extend([k.as_str(), value]);
                    }
                    raw.cmd(&argv)
                })
            })
            .collect();
        let wins: Vec<String> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            wins.iter().filter(|r| *r == ":1\r\n").count(),
            1,
            "{wins:?}"
        );
        let mut argv = vec!["MGET"];
        argv.extend(keys.iter().map(String::as_str));
        let values = server.raw().cmd(&argv);
        assert!(
            !values.contains('A') || !values.contains('B'),
            "mixed values {values}"
        );
    }
}

#[test]
fn append_and_strlen() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["STRLEN", "k"], ":0\r\n"),
            (&["APPEND", "k", "12"], ":2\r\n"),
            (&["APPEND", "k", "3"], ":3\r\n"),
            (&["GET", "k"], &bulk("123")),
            (&["STRLEN", "k"], ":3\r\n"),
            (&["APPEND", "k", ""], ":3\r\n"),
            (&["SET", "n", "-42"], OK),
            (&["STRLEN", "n"], ":3\r\n"),
            (&["APPEND", "e", ""], ":0\r\n"),
            (&["GET", "e"], "$0\r\n\r\n"),
            (&["SET", "t", "v", "PX", "20"], OK),
            (&["APPEND", "t", "w"], ":2\r\n"),
        ],
    );
    outlive_short_ttls();
    assert_eq!(raw.cmd(&["GET", "t"]), NIL);
}

#[test]
fn getrange_and_substr_clamp_like_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let empty = "$0\r\n\r\n";
    expect(
        &mut raw,
        &[
            (&["SET", "h", "hello"], OK),
            (&["GETRANGE", "h", "0", "-1"], &bulk("hello")),
            (&["GETRANGE", "h", "0", "-100"], &bulk("h")),
            (&["GETRANGE", "h", "-1", "-5"], empty),
            (&["GETRANGE", "h", "-100", "-99"], &bulk("h")),
            (&["GETRANGE", "h", "-3", "-1"], &bulk("llo")),
            (&["GETRANGE", "h", "3", "1"], empty),
            (&["GETRANGE", "h", "10", "20"], empty),
            (&["GETRANGE", "h", "0", "100"], &bulk("hello")),
            (&["GETRANGE", "h", "4", "4"], &bulk("o")),
            (
                &["GETRANGE", "h", "0", "9223372036854775807"],
                &bulk("hello"),
            ),
            (
                &["GETRANGE", "h", "-9223372036854775808", "-1"],
                &bulk("hello"),
            ),
            (&["SUBSTR", "h", "1", "2"], &bulk("el")),
            (&["GETRANGE", "missing", "0", "-1"], empty),
            (&["GETRANGE", "missing", "a", "b"], NOT_INTEGER),
            (&["GETRANGE", "h", "0", "1.0"], NOT_INTEGER),
            (&["SET", "i", "12345"], OK),
            (&["GETRANGE", "i", "1", "2"], &bulk("23")),
            (&["SET", "e", ""], OK),
            (&["GETRANGE", "e", "0", "-1"], empty),
        ],
    );
}

#[test]
fn setrange_pads_overwrites_and_checks_offsets() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    expect(
        &mut raw,
        &[
            (
                &["SETRANGE", "h", "-1", "x"],
                "-ERR offset is out of range\r\n",
            ),
            (&["SETRANGE", "h", "abc", "x"], NOT_INTEGER),
            (&["SETRANGE", "missing", "5", ""], ":0\r\n"),
            (&["GET", "missing"], NIL),
            (&["SETRANGE", "missing", "2", "ab"], ":4\r\n"),
            (&["GET", "missing"], "$4\r\n\0\0ab\r\n"),
            (&["SET", "h", "hello"], OK),
            (&["SETRANGE", "h", "1", ""], ":5\r\n"),
            (&["SETRANGE", "h", "1", "ipp"], ":5\r\n"),
            (&["SETRANGE", "h", "7", "!"], ":8\r\n"),
            (&["GET", "h"], "$8\r\nhippo\0\0!\r\n"),
            (&["SET", "i", "12345"], OK),
            (&["SETRANGE", "i", "0", "9"], ":5\r\n"),
            (&["GET", "i"], &bulk("92345")),
            (&["SETRANGE", "h", "536870912", "x"], too_big),
            (&["SETRANGE", "h", "536870910", "xyz"], too_big),
            (&["SETRANGE", "h", "9223372036854775807", "x"], too_big),
            // An empty write never grows the string, so no limit applies.
            (&["SETRANGE", "h", "9223372036854775807", ""], ":8\r\n"),
            (&["SETRANGE", "new", "536870912", ""], ":0\r\n"),
            (&["SET", "t", "v", "PX", "20"], OK),
            (&["SETRANGE", "t", "0", "w"], ":1\r\n"),
        ],
    );
    outlive_short_ttls();
    assert_eq!(raw.cmd(&["GET", "t"]), NIL);
}

#[test]
fn string_growth_obeys_a_configured_proto_max_bulk_len() {
    let server = TestServer::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut raw = server.raw();
    let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    expect(
        &mut raw,
        &[
            (&["SETRANGE", "k", "1048576", "a"], too_big),
            (&["SETRANGE", "k", "1048575", "a"], ":1048576\r\n"),
            (&["APPEND", "k", "b"], too_big),
            (&["STRLEN", "k"], ":1048576\r\n"),
        ],
    );
}

#[test]
fn incr_family_replies_and_overflow() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let overflow = "-ERR increment or decrement would overflow\r\n";
    expect(
        &mut raw,
        &[
            (&["INCR", "n"], ":1\r\n"),
            (
                &["INCRBY", "n", "9223372036854775806"],
                ":9223372036854775807\r\n",
            ),
            (&["INCR", "n"], overflow),
            (&["GET", "n"], &bulk("9223372036854775807")),
            (&["DECR", "n"], ":9223372036854775806\r\n"),
            (&["SET", "n", "-9223372036854775808"], OK),
            (&["DECR", "n"], overflow),
            (&["DECRBY", "n", "1"], overflow),
            (&["INCRBY", "n", "-1"], overflow),
            (
                &["DECRBY", "x", "-9223372036854775808"],
                "-ERR decrement would overflow\r\n",
            ),
            (
                &["DECRBY", "x", "9223372036854775807"],
                ":-9223372036854775807\r\n",
            ),
            (&["DECRBY", "x", "-10"], ":-9223372036854775797\r\n"),
            (&["INCRBY", "x", "abc"], NOT_INTEGER),
            (&["INCRBY", "x", "1.5"], NOT_INTEGER),
            (&["DECRBY", "x", ""], NOT_INTEGER),
            (&["INCRBY", "y", "-5"], ":-5\r\n"),
            (&["DECR", "z"], ":-1\r\n"),
        ],
    );
}

#[test]
fn incr_rejects_values_that_are_not_canonical_integers() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for value in [
        " 1",
        "1 ",
        "01",
        "+1",
        "-0",
        "abc",
        "",
        "1.0",
        "99999999999999999999",
    ] {
        assert_eq!(raw.cmd(&["SET", "s", value]), OK);
        assert_eq!(raw.cmd(&["INCR", "s"]), NOT_INTEGER, "{value:?}");
        assert_eq!(raw.cmd(&["GET", "s"]), bulk(value));
    }
}

#[test]
fn counters_keep_the_ttl() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect(
        &mut raw,
        &[
            (&["SET", "i", "5", "PX", "20"], OK),
            (&["INCR", "i"], ":6\r\n"),
            (&["SET", "f", "5", "PX", "20"], OK),
            (&["INCRBYFLOAT", "f", "1.5"], &bulk("6.5")),
        ],
    );
    outlive_short_ttls();
    expect(&mut raw, &[(&["GET", "i"], NIL), (&["GET", "f"], NIL)]);
}

#[test]
fn incr_loses_no_updates_under_concurrency() {
    let server = TestServer::start();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let mut raw = server.raw();
            std::thread::spawn(move || {
                for _ in 0..250 {
                    raw.cmd(&["INCR", "counter"]);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(server.raw().cmd(&["GET", "counter"]), bulk("1000"));
}

#[test]
fn incrbyfloat_replies_and_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let not_float = "-ERR value is not a valid float\r\n";
    let nan_inf = "-ERR increment would produce NaN or Infinity\r\n";
    expect(
        &mut raw,
        &[
            (&["INCRBYFLOAT", "f", "1"], &bulk("1")),
            (&["INCRBYFLOAT", "f", "1.5"], &bulk("2.5")),
            (&["INCRBYFLOAT", "f", "-0.5"], &bulk("2")),
            (&["INCRBYFLOAT", "f", "abc"], not_float),
            (&["INCRBYFLOAT", "f", "nan"], not_float),
            (&["INCRBYFLOAT", "f", " 1"], not_float),
            (&["INCRBYFLOAT", "f", "1 "], not_float),
            (&["INCRBYFLOAT", "f", "inf"], nan_inf),
            (&["INCRBYFLOAT", "f", "-inf"], nan_inf),
            (&["GET", "f"], &bulk("2")),
            (&["SET", "s", "abc"], OK),
            (&["INCRBYFLOAT", "s", "1"], not_float),
            (&["INCRBYFLOAT", "g", "3.0e3"], &bulk("3000")),
            (&["INCRBYFLOAT", "h", "5e-1"], &bulk("0.5")),
            (&["SET", "t", "10.50"], OK),
            (&["INCRBYFLOAT", "t", "0"], &bulk("10.5")),
            (&["INCR", "t"], NOT_INTEGER),
        ],
    );
}

#[test]
fn lcs_plain_len_and_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let both = "-ERR If you want both the length and indexes, please just use IDX.\r\n";
    expect(
        &mut raw,
        &[
            (&["MSET", "a", "ohmytext", "b", "mynewtext"], OK),
            (&["LCS", "a", "b"], &bulk("mytext")),
            (&["LCS", "a", "b", "LEN"], ":6\r\n"),
            (&["LCS", "a", "b", "len", "LEN", "withmatchlen"], ":6\r\n"),
            (&["LCS", "a", "b", "MINMATCHLEN", "2"], &bulk("mytext")),
            (&["LCS", "a", "b", "LEN", "IDX"], both),
            (&["LCS", "a", "b", "IDX", "LEN"], both),
            (&["LCS", "a", "b", "MINMATCHLEN"], SYNTAX),
            (&["LCS", "a", "b", "MINMATCHLEN", "x"], NOT_INTEGER),
            (&["LCS", "a", "b", "foo"], SYNTAX),
            (&["LCS", "a", "missing"], "$0\r\n\r\n"),
            (&["LCS", "missing", "other", "LEN"], ":0\r\n"),
            (
                &["LCS", "a"],
                "-ERR wrong number of arguments for 'lcs' command\r\n",
            ),
        ],
    );
}

#[test]
fn lcs_idx_lists_matches_from_the_end_in_resp2_and_resp3() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let runs_with_len = "*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
                         *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n";
    let resp2 = format!("*4\r\n$7\r\nmatches\r\n{runs_with_len}$3\r\nlen\r\n:6\r\n");
    expect(
        &mut raw,
        &[
            (&["MSET", "a", "ohmytext", "b", "mynewtext"], OK),
            (&["LCS", "a", "b", "IDX", "WITHMATCHLEN"], &resp2),
            (
                &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4"],
                "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
            ),
            (
                &["LCS", "a", "b", "IDX", "MINMATCHLEN", "-5", "WITHMATCHLEN"],
                &resp2,
            ),
            (
                &["LCS", "a", "a", "IDX", "WITHMATCHLEN"],
                "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:0\r\n:7\r\n*2\r\n:0\r\n:7\r\n:8\r\n$3\r\nlen\r\n:8\r\n",
            ),
            (
                &["LCS", "a", "missing", "IDX"],
                "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
            ),
        ],
    );
    raw.cmd(&["HELLO", "3"]);
    let resp3 = format!("%2\r\n$7\r\nmatches\r\n{runs_with_len}$3\r\nlen\r\n:6\r\n");
    expect(
        &mut raw,
        &[
            (&["LCS", "a", "b", "IDX", "WITHMATCHLEN"], &resp3),
            (
                &["LCS", "a", "missing", "IDX"],
                "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
            ),
        ],
    );
}

#[test]
fn lcs_table_is_bounded_by_proto_max_bulk_len() {
    let server = TestServer::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut raw = server.raw();
    let a511 = "a".repeat(511);
    let a512 = "a".repeat(512);
    expect(
        &mut raw,
        &[
            (&["MSET", "x", &a511, "y", &a511, "z", &a512], OK),
            (&["LCS", "x", "y", "LEN"], ":511\r\n"),
            (
                &["LCS", "x", "z", "LEN"],
                "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n",
            ),
        ],
    );
}

#[test]
fn resp3_nulls_for_missing_strings() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["HELLO", "3"]);
    expect(
        &mut raw,
        &[
            (&["GET", "missing"], "_\r\n"),
            (&["GETEX", "missing"], "_\r\n"),
            (&["GETDEL", "missing"], "_\r\n"),
            (&["SET", "k", "v", "XX"], "_\r\n"),
            (&["SET", "a", "1"], OK),
            (&["MGET", "a", "missing"], "*2\r\n$1\r\n1\r\n_\r\n"),
            (&["INCRBYFLOAT", "f", "2.5"], &bulk("2.5")),
        ],
    );
}

#[test]
fn binary_keys_and_values_survive_every_path() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let key: &[u8] = b"\x00k\xff\r\n";
    let value: &[u8] = b"\x00\xff\r\nv\x00";
    let mut call = |argv: &[&[u8]]| {
        raw.send_cmd(argv);
        raw.read_reply()
    };
    assert_eq!(call(&[b"SET", key, value]), b"+OK\r\n");
    assert_eq!(call(&[b"GET", key]), b"$6\r\n\x00\xff\r\nv\x00\r\n");
    assert_eq!(call(&[b"APPEND", key, b"\x01"]), b":7\r\n");
    assert_eq!(
        call(&[b"GETRANGE", key, b"-2", b"-1"]),
        b"$2\r\n\x00\x01\r\n"
    );
    assert_eq!(call(&[b"SETRANGE", key, b"0", b"\xfe"]), b":7\r\n");
    assert_eq!(call(&[b"GETDEL", key]), b"$7\r\n\xfe\xff\r\nv\x00\x01\r\n");
    assert_eq!(call(&[b"SET", b"", b""]), b"+OK\r\n");
    assert_eq!(call(&[b"MGET", b"", key]), b"*2\r\n$0\r\n\r\n$-1\r\n");
    assert_eq!(call(&[b"STRLEN", b""]), b":0\r\n");
}

#[test]
fn commands_on_other_types_answer_wrongtype() {
    let server = TestServer::start();
    let mut raw = server.raw();
    if !make_non_string(&mut raw, "l") {
        return; // No other type exists in this build yet.
    }
    for argv in [
        &["GET", "l"][..],
        &["SET", "l", "v", "GET"],
        &["SET", "l", "v", "NX", "GET"],
        &["SET", "l", "v", "XX", "GET"],
        &["GETEX", "l"],
        &["GETEX", "l", "EX", "abc"],
        &["GETDEL", "l"],
        &["GETSET", "l", "v"],
        &["APPEND", "l", "x"],
        &["STRLEN", "l"],
        &["GETRANGE", "l", "0", "-1"],
        &["SETRANGE", "l", "0", "x"],
        &["SETRANGE", "l", "0", ""],
        &["INCR", "l"],
        &["DECRBY", "l", "2"],
        &["INCRBYFLOAT", "l", "1"],
    ] {
        assert_eq!(raw.cmd(argv), WRONGTYPE, "{argv:?}");
    }
    let not_strings = "-ERR The specified keys must contain string values\r\n";
    expect(
        &mut raw,
        &[
            (&["MGET", "l", "missing"], "*2\r\n$-1\r\n$-1\r\n"),
            (&["MSETNX", "l", "1", "new", "2"], ":0\r\n"),
            (&["LCS", "l", "missing"], not_strings),
            (&["LCS", "missing", "l", "foo"], not_strings),
            (&["SETNX", "l", "v"], ":0\r\n"),
            // Plain SET and its variants overwrite whatever type was there.
            (&["SETEX", "l", "10", "v"], OK),
            (&["GET", "l"], &bulk("v")),
        ],
    );
}
