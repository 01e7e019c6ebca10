//! Generic key and database commands: replies and error texts as Redis 7.2
//! sends them (checked against a real Redis), SCAN completeness under
//! concurrent writes, cross-database COPY/MOVE, SWAPDB, flushes, expiry
//! options, and the effect records these writes emit.

mod common;
use std::collections::HashSet;

use common::{RawConn, TestServer};
use ferrodis::keyspace::effects::Effect;

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

fn set(raw: &mut RawConn, key: &str, value: &str) {
    assert_eq!(raw.cmd(&["SET", key, value]), "+OK\r\n");
}

/// The keys of an array-of-bulks reply, in order.
fn bulks(reply: &str) -> Vec<String> {
    let mut lines = reply.split("\r\n").skip(1);
    let mut out = Vec::new();
    while let (Some(_len), Some(item)) = (lines.next(), lines.next()) {
        out.push(item.to_string());
    }
    out
}

fn sorted_keys(raw: &mut RawConn, pattern: &str) -> Vec<String> {
    let mut keys = bulks(&raw.cmd(&["KEYS", pattern]));
    keys.sort();
    keys
}

#[test]
fn del_and_unlink_count_each_removed_key_once() {
    let server = TestServer::start();
    let mut raw = server.raw();
    set(&mut raw, "a", "1");
    set(&mut raw, "b", "2");
    assert_eq!(raw.cmd(&["DEL", "a", "a", "missing"]), int(1));
    assert_eq!(raw.cmd(&["UNLINK", "b", "missing", "b"]), int(1));
    assert_eq!(raw.cmd(&["DEL", "a"]), int(0));
    assert_eq!(
        raw.cmd(&["DEL"]),
        "-ERR wrong number of arguments for 'del' command\r\n"
    );
}

#[test]
fn exists_and_touch_count_repeated_keys_every_time() {
    let server = TestServer::start();
    let mut raw = server.raw();
    set(&mut raw, "a", "1");
    assert_eq!(raw.cmd(&["EXISTS", "a", "a", "a", "nope"]), int(3));
    assert_eq!(raw.cmd(&["TOUCH", "a", "a", "nope"]), int(2));
    assert_eq!(raw.cmd(&["EXISTS", "nope"]), int(0));
}

#[test]
fn type_names_the_kind_or_none() {
    let server = TestServer::start();
    let mut raw = server.raw();
    set(&mut raw, "s", "v");
    assert_eq!(raw.cmd(&["TYPE", "s"]), "+string\r\n");
    assert_eq!(raw.cmd(&["TYPE", "nope"]), "+none\r\n");
}

#[test]
fn keys_matches_globs_and_hides_expired_keys() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for k in ["hello", "hallo", "hxllo", "a]", "big2", "big3"] {
        set(&mut raw, k, "v");
    }
    assert_eq!(raw.cmd(&["SET", "gone", "v", "PX", "1"]), "+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(sorted_keys(&mut raw, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(sorted_keys(&mut raw, "h?llo"), ["hallo", "hello", "hxllo"]);
    assert_eq!(sorted_keys(&mut raw, "big[^2]"), ["big3"]);
    assert_eq!(sorted_keys(&mut raw, "a\\]"), ["a]"]);
    assert_eq!(sorted_keys(&mut raw, "*").len(), 6);
    assert_eq!(raw.cmd(&["KEYS", "zz*"]), "*0\r\n");
}

#[test]
fn scan_rejects_bad_cursors_and_options_with_redis_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for bad in [" 1", "1x", "18446744073709551616", "-"] {
        assert_eq!(raw.cmd(&["SCAN", bad]), "-ERR invalid cursor\r\n", "{bad}");
    }
    // strtoul semantics: empty is 0, a sign is allowed and -1 wraps to the top.
    for ok in ["", "+5", "-1", "18446744073709551615"] {
        assert!(raw.cmd(&["SCAN", ok]).starts_with("*2\r\n"), "{ok}");
    }
    assert_eq!(
        raw.cmd(&["SCAN", "x", "COUNT", "0"]),
        "-ERR invalid cursor\r\n"
    );
    assert_eq!(
        raw.cmd(&["SCAN", "0", "COUNT", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        raw.cmd(&["SCAN", "0", "COUNT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(raw.cmd(&["SCAN", "0", "COUNT"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["SCAN", "0", "MATCH"]), "-ERR syntax error\r\n");
    assert_eq!(
        raw.cmd(&["SCAN", "0", "foo", "bar"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(raw.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
}

/// Runs a whole SCAN iteration, calling `between` after every call.
fn full_scan(
    raw: &mut RawConn,
    extra: &[&str],
    mut between: impl FnMut(&mut RawConn, usize),
) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let reply = raw.cmd(&args);
        // *2, $n, cursor, *N, then ($len, key) pairs.
        let lines: Vec<&str> = reply.split("\r\n").collect();
        let next = lines[2].to_string();
        seen.extend(lines[4..].iter().skip(1).step_by(2).map(|k| k.to_string()));
        calls += 1;
        between(raw, calls);
        if next == "0" {
            return seen;
        }
        cursor = next;
        assert!(calls < 100_000, "SCAN never finished");
    }
}

#[test]
fn scan_returns_every_original_key_while_the_table_grows_and_shrinks() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut pipeline = Vec::new();
    for i in 0..10_000 {
        let k = format!("orig:{i}");
        pipeline.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n$1\r\nv\r\n", k.len()).as_bytes(),
        );
    }
    raw.send(&pipeline);
    for _ in 0..10_000 {
        assert_eq!(raw.read_reply(), b"+OK\r\n");
    }
    // Each shard holds ~156 keys at the start; growing by 15k keys and then
    // deleting them again makes every shard's table double and shrink while
    // the cursor moves through it.
    let (mut added, mut removed) = (0, 0);
    let seen = full_scan(&mut raw, &["COUNT", "10"], |raw, _| {
        for _ in 0..10 {
            if added < 15_000 {
                set(raw, &format!("new:{added}"), "v");
                added += 1;
            } else if removed < added {
                raw.cmd(&["DEL", &format!("new:{removed}")]);
                removed += 1;
            }
        }
    });
    let seen: HashSet<String> = seen.into_iter().collect();
    let missing = (0..10_000)
        .filter(|i| !seen.contains(&format!("orig:{i}")))
        .count();
    assert_eq!(missing, 0, "keys present throughout must all be returned");
}

#[test]
fn scan_filters_by_match_and_type_case_insensitively() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for i in 0..50 {
        set(&mut raw, &format!("user:{i}"), "v");
        set(&mut raw, &format!("item:{i}"), "v");
    }
    let users = full_scan(&mut raw, &["MATCH", "user:*", "COUNT", "7"], |_, _| {});
    assert_eq!(users.iter().collect::<HashSet<_>>().len(), 50);
    assert!(users.iter().all(|k| k.starts_with("user:")));
    let strings = full_scan(&mut raw, &["TYPE", "STRING"], |_, _| {});
    assert_eq!(strings.iter().collect::<HashSet<_>>().len(), 100);
    // An unknown type name matches nothing (Redis 7.2 does not reject it yet).
    assert!(full_scan(&mut raw, &["TYPE", "foo"], |_, _| {}).is_empty());
}

#[test]
fn randomkey_returns_null_on_empty_db_and_skips_expired_keys() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["RANDOMKEY"]), "$-1\r\n");
    for i in 0..20 {
        assert_eq!(
            raw.cmd(&["SET", &format!("t{i}"), "v", "PX", "1"]),
            "+OK\r\n"
        );
    }
    set(&mut raw, "live", "v");
    std::thread::sleep(std::time::Duration::from_millis(5));
    for _ in 0..10 {
        assert_eq!(raw.cmd(&["RANDOMKEY"]), bulk("live"));
    }
    raw.cmd(&["DEL", "live"]);
    assert_eq!(raw.cmd(&["RANDOMKEY"]), "$-1\r\n");
}

#[test]
fn rename_moves_value_and_ttl_and_reports_missing_keys() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["RENAME", "nokey", "x"]), "-ERR no such key\r\n");
    assert_eq!(
        raw.cmd(&["RENAMENX", "nokey", "nokey"]),
        "-ERR no such key\r\n"
    );
    assert_eq!(raw.cmd(&["SET", "k", "v", "EX", "100"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["RENAME", "k", "k"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["RENAMENX", "k", "k"]), int(0));
    assert_eq!(raw.cmd(&["RENAME", "k", "other"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["EXISTS", "k"]), int(0));
    assert_eq!(raw.cmd(&["GET", "other"]), bulk("v"));
    assert_eq!(raw.cmd(&["TTL", "other"]), int(100));
    set(&mut raw, "taken", "t");
    assert_eq!(raw.cmd(&["RENAMENX", "other", "taken"]), int(0));
    assert_eq!(raw.cmd(&["RENAMENX", "other", "free"]), int(1));
    assert_eq!(raw.cmd(&["RENAME", "free", "taken"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "taken"]), bulk("v"));
    assert_eq!(raw.cmd(&["TTL", "taken"]), int(100));
}

#[test]
fn copy_options_and_errors_match_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    set(&mut raw, "k", "v");
    let same = "-ERR source and destination objects are the same\r\n";
    assert_eq!(raw.cmd(&["COPY", "k", "k"]), same);
    assert_eq!(raw.cmd(&["COPY", "nokey", "nokey"]), same);
    assert_eq!(
        raw.cmd(&["COPY", "k", "k", "DB", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.cmd(&["COPY", "k", "k", "DB", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.cmd(&["COPY", "k", "k", "DB", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        raw.cmd(&["COPY", "k", "k", "DB", "2147483648"]),
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    );
    assert_eq!(raw.cmd(&["COPY", "k", "k", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["COPY", "k", "k", "DB"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["COPY", "nokey", "x"]), int(0));
    assert_eq!(raw.cmd(&["SET", "k", "v", "EX", "100"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["COPY", "k", "c"]), int(1));
    assert_eq!(raw.cmd(&["TTL", "c"]), int(100));
    set(&mut raw, "k", "new");
    assert_eq!(raw.cmd(&["COPY", "k", "c"]), int(0));
    assert_eq!(raw.cmd(&["COPY", "k", "c", "REPLACE"]), int(1));
    assert_eq!(raw.cmd(&["GET", "c"]), bulk("new"));
    assert_eq!(raw.cmd(&["TTL", "c"]), int(-1));
}

#[test]
fn copy_keeps_the_value_encoding() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let long = "a".repeat(64);
    for (key, value, encoding) in [
        ("i", "12", "int"),
        ("e", "short", "embstr"),
        ("r", long.as_str(), "raw"),
    ] {
        set(&mut raw, key, value);
        let copy = format!("{key}-copy");
        assert_eq!(raw.cmd(&["COPY", key, &copy]), int(1));
        assert_eq!(raw.cmd(&["OBJECT", "ENCODING", &copy]), bulk(encoding));
        assert_eq!(raw.cmd(&["GET", &copy]), bulk(value));
    }
}

#[test]
fn copy_and_move_across_databases_are_seen_from_another_connection() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut other = server.raw();
    assert_eq!(other.cmd(&["SELECT", "1"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SET", "a", "1", "EX", "100"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["COPY", "a", "x", "DB", "1"]), int(1));
    assert_eq!(other.cmd(&["GET", "x"]), bulk("1"));
    assert_eq!(other.cmd(&["TTL", "x"]), int(100));
    // The last DB option wins, and the copy in db 1 blocks a second one.
    assert_eq!(raw.cmd(&["COPY", "a", "x", "DB", "2", "DB", "1"]), int(0));
    assert_eq!(raw.cmd(&["COPY", "a", "x", "REPLACE", "DB", "1"]), int(1));

    assert_eq!(
        raw.cmd(&["MOVE", "a", "0"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        raw.cmd(&["MOVE", "a", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        raw.cmd(&["MOVE", "a", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(raw.cmd(&["MOVE", "nokey", "1"]), int(0));
    assert_eq!(raw.cmd(&["MOVE", "a", "1"]), int(1));
    assert_eq!(raw.cmd(&["EXISTS", "a"]), int(0));
    assert_eq!(other.cmd(&["GET", "a"]), bulk("1"));
    assert_eq!(other.cmd(&["TTL", "a"]), int(100));
    set(&mut raw, "a", "2");
    assert_eq!(raw.cmd(&["MOVE", "a", "1"]), int(0), "target exists");
    assert_eq!(raw.cmd(&["GET", "a"]), bulk("2"));
}

#[test]
fn opposite_cross_database_moves_never_deadlock() {
    let server = TestServer::start();
    let port = server.port;
    let workers: Vec<_> = [("0", "1"), ("1", "0")]
        .into_iter()
        .map(|(from, to)| {
            std::thread::spawn(move || {
                let mut raw = RawConn::connect(port);
                raw.cmd(&["SELECT", from]);
                for i in 0..2_000 {
                    let key = format!("k{}", i % 50);
                    raw.cmd(&["SET", &key, "v"]);
                    raw.cmd(&["MOVE", &key, to]);
                    raw.cmd(&["COPY", &key, &format!("c{}", i % 50), "DB", to, "REPLACE"]);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn expire_option_combinations_give_redis_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    set(&mut raw, "k", "v");
    let nx_err = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
    let gtlt_err = "-ERR GT and LT options at the same time are not compatible\r\n";
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100", "NX", "XX"]), nx_err);
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100", "nx", "gt"]), nx_err);
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100", "gt", "lt"]), gtlt_err);
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100", "xx", "gt", "lt"]), gtlt_err);
    // Options are checked before the number.
    assert_eq!(
        raw.cmd(&["EXPIRE", "k", "abc", "foo"]),
        "-ERR Unsupported option foo\r\n"
    );
    assert_eq!(raw.cmd(&["EXPIRE", "k", "abc", "nx", "xx"]), nx_err);
    assert_eq!(
        raw.cmd(&["EXPIRE", "k", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    for (cmd, n) in [
        ("EXPIRE", "9223372036854776"),
        ("EXPIRE", "-9223372036854776"),
        ("EXPIRE", "9223372036854775"),
        ("PEXPIRE", "9223372036854775807"),
        ("EXPIREAT", "9223372036854776"),
    ] {
        assert_eq!(
            raw.cmd(&[cmd, "k", n]),
            format!(
                "-ERR invalid expire time in '{}' command\r\n",
                cmd.to_lowercase()
            )
        );
    }
    assert_eq!(
        raw.cmd(&["TTL", "k"]),
        int(-1),
        "errors leave the key alone"
    );
}

#[test]
fn expire_conditions_follow_redis_semantics() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["EXPIRE", "nokey", "100"]), int(0));
    set(&mut raw, "k", "v");
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(
        raw.cmd(&["EXPIRE", "k", "100", "GT"]),
        int(0),
        "no TTL counts as infinite"
    );
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100", "LT"]), int(1));
    assert_eq!(raw.cmd(&["EXPIRE", "k", "200", "NX"]), int(0));
    assert_eq!(raw.cmd(&["EXPIRE", "k", "50", "XX", "GT"]), int(0));
    assert_eq!(raw.cmd(&["EXPIRE", "k", "200", "XX", "GT"]), int(1));
    assert_eq!(raw.cmd(&["TTL", "k"]), int(200));
    assert_eq!(raw.cmd(&["PEXPIRE", "k", "150000", "LT"]), int(1));
    assert_eq!(raw.cmd(&["TTL", "k"]), int(150));
}

#[test]
fn expire_times_in_the_past_delete_the_key() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for args in [
        &["EXPIRE", "k", "0"][..],
        &["EXPIRE", "k", "-5"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "1700000000499", "XX"],
        &["PEXPIREAT", "k", "-9223372036854775808"],
    ] {
        assert_eq!(raw.cmd(&["SET", "k", "v", "EX", "100"]), "+OK\r\n");
        assert_eq!(raw.cmd(args), int(1), "{args:?}");
        assert_eq!(raw.cmd(&["EXISTS", "k"]), int(0), "{args:?}");
    }
    // The condition is checked first: GT refuses a key without TTL, even for a past time.
    set(&mut raw, "k", "v");
    assert_eq!(raw.cmd(&["PEXPIREAT", "k", "1", "GT"]), int(0));
    assert_eq!(raw.cmd(&["EXISTS", "k"]), int(1));
}

#[test]
fn ttl_family_reports_missing_persistent_and_volatile_keys() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(raw.cmd(&[cmd, "nokey"]), int(-2), "{cmd}");
    }
    set(&mut raw, "k", "v");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(raw.cmd(&[cmd, "k"]), int(-1), "{cmd}");
    }
    assert_eq!(raw.cmd(&["PEXPIREAT", "k", "4102444800499"]), int(1));
    assert_eq!(raw.cmd(&["PEXPIRETIME", "k"]), int(4102444800499));
    assert_eq!(raw.cmd(&["EXPIRETIME", "k"]), int(4102444800));
    assert_eq!(raw.cmd(&["PEXPIREAT", "k", "4102444800500"]), int(1));
    assert_eq!(
        raw.cmd(&["EXPIRETIME", "k"]),
        int(4102444801),
        "rounds to nearest"
    );
    assert_eq!(raw.cmd(&["PEXPIREAT", "k", "9223372036854775807"]), int(1));
    assert_eq!(raw.cmd(&["EXPIRETIME", "k"]), int(9223372036854776));
    assert_eq!(raw.cmd(&["SET", "k", "v", "PX", "1400"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["TTL", "k"]), int(1));
    let pttl: i64 = raw.cmd(&["PTTL", "k"])[1..].trim().parse().unwrap();
    assert!((1000..=1400).contains(&pttl), "{pttl}");
}

#[test]
fn persist_removes_only_an_existing_ttl() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["PERSIST", "nokey"]), int(0));
    set(&mut raw, "k", "v");
    assert_eq!(raw.cmd(&["PERSIST", "k"]), int(0));
    assert_eq!(raw.cmd(&["EXPIRE", "k", "100"]), int(1));
    assert_eq!(raw.cmd(&["PERSIST", "k"]), int(1));
    assert_eq!(raw.cmd(&["TTL", "k"]), int(-1));
}

#[test]
fn object_subcommands_answer_like_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for (value, refs) in [
        ("1", 2147483647),
        ("9999", 2147483647),
        ("10000", 1),
        ("-1", 1),
        ("abc", 1),
    ] {
        set(&mut raw, "k", value);
        assert_eq!(raw.cmd(&["OBJECT", "REFCOUNT", "k"]), int(refs), "{value}");
    }
    assert_eq!(raw.cmd(&["OBJECT", "ENCODING", "k"]), bulk("embstr"));
    assert_eq!(raw.cmd(&["OBJECT", "IDLETIME", "k"]), int(0));
    assert_eq!(
        raw.cmd(&["OBJECT", "FREQ", "k"]),
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
    );
    for sub in ["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"] {
        assert_eq!(raw.cmd(&["OBJECT", sub, "nokey"]), "$-1\r\n", "{sub}");
    }
    assert_eq!(
        raw.cmd(&["OBJECT"]),
        "-ERR wrong number of arguments for 'object' command\r\n"
    );
    assert_eq!(
        raw.cmd(&["OBJECT", "foo"]),
        "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        raw.cmd(&["OBJECT", "ENCODING"]),
        "-ERR wrong number of arguments for 'object|encoding' command\r\n"
    );
    assert_eq!(
        raw.cmd(&["OBJECT", "HELP", "x"]),
        "-ERR wrong number of arguments for 'object|help' command\r\n"
    );
}

#[test]
fn object_help_lists_every_subcommand_in_redis_help_shape() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let reply = raw.cmd(&["object", "help"]);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(
        lines[1],
        "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    for sub in [
        "ENCODING <key>",
        "FREQ <key>",
        "IDLETIME <key>",
        "REFCOUNT <key>",
    ] {
        assert!(lines.contains(&format!("+{sub}").as_str()), "{sub} missing");
    }
    assert_eq!(
        lines[lines.len() - 3..],
        ["+HELP", "+    Prints this help.", ""]
    );
    assert_eq!(lines[0], format!("*{}", lines.len() - 2));
}

#[test]
fn dbsize_and_flushes_empty_the_right_databases() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut other = server.raw();
    other.cmd(&["SELECT", "1"]);
    for i in 0..100 {
        set(&mut raw, &format!("a{i}"), "v");
    }
    set(&mut other, "b", "v");
    assert_eq!(raw.cmd(&["DBSIZE"]), int(100));
    assert_eq!(other.cmd(&["DBSIZE"]), int(1));
    assert_eq!(raw.cmd(&["FLUSHDB", "foo"]), "-ERR syntax error\r\n");
    assert_eq!(
        raw.cmd(&["FLUSHDB", "async", "foo"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(raw.cmd(&["FLUSHALL", "sync", "x"]), "-ERR syntax error\r\n");
    assert_eq!(raw.cmd(&["FLUSHDB", "SYNC"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DBSIZE"]), int(0));
    assert_eq!(other.cmd(&["DBSIZE"]), int(1));
    assert_eq!(
        raw.cmd(&["FLUSHDB"]),
        "+OK\r\n",
        "flushing an empty db is fine"
    );
    set(&mut raw, "c", "v");
    assert_eq!(raw.cmd(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DBSIZE"]), int(0));
    assert_eq!(other.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn flushall_async_empties_at_once_and_the_server_keeps_serving() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let mut pipeline = Vec::new();
    for i in 0..20_000 {
        pipeline.extend_from_slice(format!("SET key:{i} {}\r\n", "x".repeat(40)).as_bytes());
    }
    raw.send(&pipeline);
    for _ in 0..20_000 {
        raw.read_reply();
    }
    assert_eq!(raw.cmd(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DBSIZE"]), int(0));
    assert_eq!(raw.cmd(&["GET", "key:1"]), "$-1\r\n");
    set(&mut raw, "after", "v");
    assert_eq!(raw.cmd(&["FLUSHDB", "async"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn swapdb_exchanges_databases_for_every_connection() {
    let server = TestServer::start();
    let mut zero = server.raw();
    let mut one = server.raw();
    one.cmd(&["SELECT", "1"]);
    assert_eq!(zero.cmd(&["SET", "in0", "v", "EX", "100"]), "+OK\r\n");
    set(&mut one, "in1a", "v");
    set(&mut one, "in1b", "v");
    assert_eq!(zero.cmd(&["SWAPDB", "0", "1"]), "+OK\r\n");
    assert_eq!(zero.cmd(&["DBSIZE"]), int(2));
    assert_eq!(zero.cmd(&["EXISTS", "in1a", "in1b", "in0"]), int(2));
    assert_eq!(one.cmd(&["GET", "in0"]), bulk("v"));
    assert_eq!(one.cmd(&["TTL", "in0"]), int(100));
    assert_eq!(one.cmd(&["SWAPDB", "1", "1"]), "+OK\r\n");
    assert_eq!(one.cmd(&["DBSIZE"]), int(1));
    assert_eq!(
        zero.cmd(&["SWAPDB", "0", "x"]),
        "-ERR invalid second DB index\r\n"
    );
    assert_eq!(
        zero.cmd(&["SWAPDB", "x", "0"]),
        "-ERR invalid first DB index\r\n"
    );
    assert_eq!(
        zero.cmd(&["SWAPDB", "99999999999", "0"]),
        "-ERR invalid first DB index\r\n"
    );
    assert_eq!(
        zero.cmd(&["SWAPDB", "0", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        zero.cmd(&["SWAPDB", "-1", "0"]),
        "-ERR DB index is out of range\r\n"
    );
}

#[test]
fn resp3_clients_get_typed_nulls() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["HELLO", "3"]);
    assert_eq!(raw.cmd(&["RANDOMKEY"]), "_\r\n");
    assert_eq!(raw.cmd(&["OBJECT", "ENCODING", "nokey"]), "_\r\n");
}

/// Runs commands in-process and returns the effect records they emitted.
fn effects_of(commands: &[&[&str]]) -> Vec<Vec<String>> {
    let mut h = ferrodis::testing::Harness::default();
    let rx = h.dispatcher.shared.keyspace.effects.subscribe();
    for argv in commands {
        h.run(argv);
    }
    rx.try_iter()
        .map(|Effect { argv, .. }| {
            argv.into_iter()
                .map(|a| String::from_utf8(a).unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn relative_and_past_expiries_propagate_deterministically() {
    let effects = effects_of(&[
        &["SET", "k", "v"],
        &["PEXPIREAT", "k", "4102444800000", "NX"],
        &["EXPIREAT", "k", "4102444801", "GT"],
        &["EXPIRE", "k", "100", "NX"],
        &["PEXPIREAT", "k", "1"],
        &["EXPIRE", "nokey", "1"],
    ]);
    assert_eq!(effects[1], ["PEXPIREAT", "k", "4102444800000", "NX"]);
    assert_eq!(effects[2], ["PEXPIREAT", "k", "4102444801000", "GT"]);
    assert_eq!(
        effects[3],
        ["DEL", "k"],
        "NX refused, so only the past expiry follows"
    );
    assert_eq!(effects.len(), 4);
}

#[test]
fn relative_expire_propagates_as_absolute_milliseconds() {
    let before = ferrodis::util::time::now_ms();
    let effects = effects_of(&[&["SET", "k", "v"], &["EXPIRE", "k", "100"]]);
    assert_eq!(effects[1][0], "PEXPIREAT");
    let at: i64 = effects[1][2].parse().unwrap();
    assert!((before + 100_000..before + 110_000).contains(&at), "{at}");
}

#[test]
fn whole_database_writes_propagate_even_when_nothing_changed() {
    let effects = effects_of(&[
        &["FLUSHDB"],
        &["FLUSHALL", "ASYNC"],
        &["SWAPDB", "0", "0"],
        &["FLUSHDB", "bad"],
        &["PERSIST", "nokey"],
        &["DEL", "nokey"],
    ]);
    assert_eq!(
        effects,
        [
            vec!["FLUSHDB"],
            vec!["FLUSHALL", "ASYNC"],
            vec!["SWAPDB", "0", "0"]
        ]
    );
}

#[test]
fn object_idletime_counts_from_the_last_access_and_exists_does_not_touch() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["SET", "idle", "v"]);
    raw.cmd(&["SET", "busy", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(raw.cmd(&["EXISTS", "idle"]), ":1\r\n");
    raw.cmd(&["GET", "busy"]);
    let idle: i64 = raw.cmd(&["OBJECT", "IDLETIME", "idle"])[1..]
        .trim()
        .parse()
        .unwrap();
    assert!((2..=3).contains(&idle), "{idle}");
    assert_eq!(raw.cmd(&["OBJECT", "IDLETIME", "busy"]), ":0\r\n");
    assert_eq!(raw.cmd(&["OBJECT", "IDLETIME", "missing"]), "$-1\r\n");
}

#[test]
fn keys_star_lists_the_empty_key_too() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["SET", "", "v"]);
    assert_eq!(raw.cmd(&["KEYS", "*"]), "*1\r\n$0\r\n\r\n");
    assert_eq!(raw.cmd(&["KEYS", "?*"]), "*0\r\n");
}
