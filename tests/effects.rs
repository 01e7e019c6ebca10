//! The ordered effect stream: what AOF and replicas will replay. Runs
//! in-process through the test harness.

use ferrodis::testing::Harness;
use ferrodis::util::time::now_ms;

/// Asserts `effect` is `[prefix.., <abs ms>]` with the time about `in_ms` from now.
fn assert_absolute(effect: &[String], prefix: &[&str], in_ms: i64) {
    assert_eq!(&effect[..prefix.len()], prefix);
    let at: i64 = effect[prefix.len()].parse().unwrap();
    assert!((at - now_ms() - in_ms).abs() < 5_000, "{effect:?}");
}

#[test]
fn relative_set_expiries_replay_as_absolute_pxat() {
    let mut h = Harness::default();
    for argv in [
        &["SET", "k", "v", "EX", "100"][..],
        &["SET", "k", "v", "PX", "100000", "NX", "GET"],
        &["SETEX", "k", "100", "v"],
        &["PSETEX", "k", "100000", "v"],
    ] {
        h.run(&["GETDEL", "k"]);
        let effects = h.effects_of(argv);
        assert_eq!(effects.len(), 1, "{argv:?}");
        assert_absolute(&effects[0], &["SET", "k", "v", "PXAT"], 100_000);
    }
}

#[test]
fn getex_replays_as_pexpireat_persist_or_del() {
    let mut h = Harness::default();
    h.run(&["SET", "k", "v"]);
    let effects = h.effects_of(&["GETEX", "k", "EX", "100"]);
    assert_absolute(&effects[0], &["PEXPIREAT", "k"], 100_000);
    assert_eq!(h.effects_of(&["GETEX", "k", "PERSIST"]), [["PERSIST", "k"]]);
    // Nothing to persist any more, so nothing changed and nothing is emitted.
    assert!(h.effects_of(&["GETEX", "k", "PERSIST"]).is_empty());
    assert_eq!(h.effects_of(&["GETEX", "k", "PXAT", "1"]), [["DEL", "k"]]);
}

#[test]
fn incrbyfloat_replays_its_result_keeping_the_ttl() {
    let mut h = Harness::default();
    h.run(&["SET", "f", "1.5"]);
    assert_eq!(
        h.effects_of(&["INCRBYFLOAT", "f", "1"]),
        [["SET", "f", "2.5", "KEEPTTL"]]
    );
}

#[test]
fn deterministic_writes_replay_as_their_argv_and_reads_emit_nothing() {
    let mut h = Harness::default();
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.effects_of(&["GETDEL", "k"]), [["DEL", "k"]]);
    assert_eq!(h.effects_of(&["INCR", "n"]), [["INCR", "n"]]);
    assert_eq!(h.effects_of(&["APPEND", "n", "0"]), [["APPEND", "n", "0"]]);
    assert_eq!(
        h.effects_of(&["SET", "k", "v", "PXAT", "9999999999999"]),
        [["SET", "k", "v", "PXAT", "9999999999999"]]
    );
    assert!(h.effects_of(&["GET", "k"]).is_empty());
    // A write that changed nothing emits nothing.
    assert!(h.effects_of(&["SET", "k", "w", "NX"]).is_empty());
    assert!(h.effects_of(&["SETRANGE", "k", "0", ""]).is_empty());
}

#[test]
fn effects_carry_the_database_they_apply_to() {
    let mut h = Harness::default();
    h.run(&["SELECT", "3"]);
    let rx = h.dispatcher.shared.keyspace.effects.subscribe();
    h.run(&["SET", "a", "1"]);
    let effect = rx.try_recv().unwrap();
    assert_eq!(effect.db, 3);
    assert_eq!(effect.argv, [b"SET".to_vec(), b"a".to_vec(), b"1".to_vec()]);
}

#[test]
fn expired_keys_are_recorded_as_del_before_the_command_that_found_them() {
    let mut h = Harness::default();
    h.run(&["SET", "gone", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(h.effects_of(&["GET", "gone"]), [["DEL", "gone"]]);
    h.run(&["SET", "gone", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(
        h.effects_of(&["INCR", "gone"]),
        [vec!["DEL", "gone"], vec!["INCR", "gone"]]
    );
}

#[test]
fn whole_database_writes_are_always_propagated() {
    let mut h = Harness::default();
    assert_eq!(h.effects_of(&["FLUSHALL"]), [["FLUSHALL"]]);
    assert_eq!(h.effects_of(&["FLUSHDB", "ASYNC"]), [["FLUSHDB", "ASYNC"]]);
    assert_eq!(h.effects_of(&["SWAPDB", "0", "1"]), [["SWAPDB", "0", "1"]]);
}

#[test]
fn encodings_follow_redis() {
    let mut h = Harness::default();
    h.run(&["SET", "k", "12"]);
    assert_eq!(h.encoding("k"), Some("int"));
    h.run(&["APPEND", "k", "3"]);
    assert_eq!(h.encoding("k"), Some("raw"));
    h.run(&["APPEND", "new", "12"]);
    assert_eq!(h.encoding("new"), Some("int"));
    h.run(&["SETRANGE", "r", "0", "ab"]);
    assert_eq!(h.encoding("r"), Some("raw"));
    h.run(&["INCRBYFLOAT", "f", "1"]);
    assert_eq!(h.encoding("f"), Some("embstr"));
    h.run(&["SET", "i", "abc"]);
    h.run(&["SET", "i", "5"]);
    h.run(&["INCR", "i"]);
    assert_eq!(h.encoding("i"), Some("int"));
}
