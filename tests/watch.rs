//! WATCH in-process, with Redis 7.2's rules (checked against redis-server
//! 7.0.15 by experiment): who and what counts as a change, keys already
//! expired when watched, keys expiring after, flushes and swaps, what
//! forgets the watches.

#[path = "transactions/support.rs"]
mod support;

use std::time::Duration;

use ferrodis::keyspace::expire::run_tick;
use ferrodis::state::Session;
use ferrodis::testing::Harness;
use support::*;

#[test]
fn a_watched_key_written_by_another_client_or_the_watcher_aborts_exec() {
    let mut h = Harness::default();
    let mut other = h.session();
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "1"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
    h.run(&["WATCH", "k"]);
    h.run(&["SET", "k", "2"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
    // The same value counts as a change; reads and no-op writes do not.
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "2"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["GET", "k"]);
    h.run_as(&mut other, &["SET", "k", "3", "NX"]);
    h.run_as(&mut other, &["EXPIRE", "missing", "100"]);
    assert_eq!(exec_ping(&mut h), PING_RAN);
}

#[test]
fn only_the_watched_key_in_the_watched_database_counts() {
    let mut h = Harness::default();
    let mut other = h.session();
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "j", "1"]);
    h.run_as(&mut other, &["SELECT", "1"]);
    h.run_as(&mut other, &["SET", "k", "1"]);
    assert_eq!(exec_ping(&mut h), PING_RAN);
    // The database is the one selected at WATCH time.
    h.run(&["SELECT", "1"]);
    h.run(&["WATCH", "k"]);
    h.run(&["SELECT", "0"]);
    h.run_as(&mut other, &["SET", "k", "2"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
}

#[test]
fn deleting_a_missing_watched_key_is_no_change_deleting_a_stored_one_is() {
    let mut h = Harness::default();
    let mut other = h.session();
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["DEL", "k"]);
    assert_eq!(exec_ping(&mut h), PING_RAN);
    h.run(&["SET", "k", "1"]);
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["DEL", "k"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
}

#[test]
fn moves_copies_and_renames_onto_a_watched_key_abort() {
    let mut h = Harness::default();
    let mut other = h.session();
    let cases: [(&[&str], &[&str]); 3] = [
        (&["SET", "src", "1"], &["COPY", "src", "k"]),
        (&["SET", "src", "1"], &["RENAME", "src", "k"]),
        (&["SET", "k", "1"], &["MOVE", "k", "1"]),
    ];
    for (setup, write) in cases {
        h.run(&["FLUSHALL"]);
        h.run(setup);
        h.run(&["WATCH", "k"]);
        assert_eq!(
            h.run_as(&mut other, write),
            if write[0] == "RENAME" {
                "+OK\r\n"
            } else {
                ":1\r\n"
            }
        );
        assert_eq!(exec_ping(&mut h), ABORTED, "{write:?}");
    }
    // MOVE and COPY ... DB write the other database's key.
    for write in [&["MOVE", "k", "1"][..], &["COPY", "k", "k", "DB", "1"]] {
        h.run(&["FLUSHALL"]);
        h.run_as(&mut other, &["SET", "k", "1"]);
        h.run(&["SELECT", "1"]);
        h.run(&["WATCH", "k"]);
        h.run(&["SELECT", "0"]);
        assert_eq!(h.run_as(&mut other, write), ":1\r\n");
        assert_eq!(exec_ping(&mut h), ABORTED, "{write:?}");
    }
}

#[test]
fn a_key_expiring_after_watch_aborts_even_if_nobody_touches_it() {
    let mut h = Harness::default();
    h.run(&["SET", "k", "1", "PX", "30"]);
    h.run(&["WATCH", "k"]);
    std::thread::sleep(Duration::from_millis(40));
    assert_eq!(exec_ping(&mut h), ABORTED);
    // And when it is lazily deleted in between.
    h.run(&["SET", "k", "1", "PX", "30"]);
    h.run(&["WATCH", "k"]);
    std::thread::sleep(Duration::from_millis(40));
    h.run(&["GET", "k"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
}

#[test]
fn a_key_already_expired_when_watched_is_unchanged_by_its_removal() {
    let mut h = Harness::default();
    let mut other = h.session();
    let removals: &[&[&str]] = &[
        &["GET", "k"],
        &["DEL", "k"],
        &["FLUSHALL"],
        &["EXISTS", "k"],
    ];
    for removal in removals {
        expire_soon_and_wait(&mut h, "k");
        h.run(&["WATCH", "k"]);
        h.run_as(&mut other, removal);
        assert_eq!(exec_ping(&mut h), PING_RAN, "{removal:?}");
    }
    // Untouched, and removed by the active expiry cycle.
    expire_soon_and_wait(&mut h, "k");
    h.run(&["WATCH", "k"]);
    assert_eq!(exec_ping(&mut h), PING_RAN);
    expire_soon_and_wait(&mut h, "k");
    h.run(&["WATCH", "k"]);
    run_tick(&h.dispatcher.shared.keyspace, Duration::from_secs(1));
    assert_eq!(h.run(&["DBSIZE"]), ":0\r\n", "the cycle removed it");
    assert_eq!(exec_ping(&mut h), PING_RAN);
    // Writing it is a change, though: it is gone, then created.
    expire_soon_and_wait(&mut h, "k");
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "2"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
}

#[test]
fn flushes_abort_only_watchers_of_keys_that_were_stored() {
    let mut h = Harness::default();
    let mut other = h.session();
    let case = |h: &mut Harness, other: &mut Session, setup: &[&str], flush: &[&str]| {
        h.run(&["FLUSHALL"]);
        if !setup.is_empty() {
            h.run(setup);
        }
        h.run(&["WATCH", "k"]);
        h.run_as(other, flush);
        exec_ping(h)
    };
    let set_k = &["SET", "k", "1"][..];
    let set_j = &["SET", "j", "1"][..];
    assert_eq!(case(&mut h, &mut other, &[], &["FLUSHALL"]), PING_RAN);
    assert_eq!(case(&mut h, &mut other, set_j, &["FLUSHALL"]), PING_RAN);
    assert_eq!(case(&mut h, &mut other, set_k, &["FLUSHALL"]), ABORTED);
    assert_eq!(case(&mut h, &mut other, set_k, &["FLUSHDB"]), ABORTED);
    other.select(1);
    assert_eq!(case(&mut h, &mut other, set_k, &["FLUSHDB"]), PING_RAN);
    assert_eq!(
        case(&mut h, &mut other, set_k, &["FLUSHALL", "ASYNC"]),
        ABORTED
    );
}

#[test]
fn swapdb_aborts_watchers_of_keys_stored_in_either_database() {
    let mut h = Harness::default();
    let mut other = h.session();
    // (db0 k, db1 k, swap, aborts): "live", "expired" or "" (missing).
    let cases = [
        ("", "", "0 1", false),
        ("live", "", "0 1", true),
        ("", "live", "0 1", true),
        ("", "live", "1 2", false),
        ("live", "", "0 0", false),
        ("expired", "", "0 1", false),
        ("expired", "expired", "0 1", false),
        ("expired", "live", "0 1", true),
        ("", "expired", "0 1", false),
    ];
    for (db0, db1, swap, aborts) in cases {
        h.run(&["FLUSHALL"]);
        for (db, state) in [("0", db0), ("1", db1)] {
            h.run(&["SELECT", db]);
            match state {
                "live" => assert_eq!(h.run(&["SET", "k", "1"]), "+OK\r\n"),
                "expired" => assert_eq!(h.run(&["SET", "k", "1", "PX", "1"]), "+OK\r\n"),
                _ => {}
            }
        }
        h.run(&["SELECT", "0"]);
        std::thread::sleep(Duration::from_millis(5));
        h.run(&["WATCH", "k"]);
        let (a, b) = swap.split_once(' ').unwrap();
        assert_eq!(h.run_as(&mut other, &["SWAPDB", a, b]), "+OK\r\n");
        let expected = if aborts { ABORTED } else { PING_RAN };
        assert_eq!(exec_ping(&mut h), expected, "{db0:?} {db1:?} swap {swap}");
    }
    // An expired key swapped in for a missing one, then removed: no change.
    h.run(&["FLUSHALL"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "k", "1", "PX", "1"]);
    h.run(&["SELECT", "0"]);
    std::thread::sleep(Duration::from_millis(5));
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SWAPDB", "0", "1"]);
    h.run_as(&mut other, &["GET", "k"]);
    assert_eq!(exec_ping(&mut h), PING_RAN);
}

#[test]
fn exec_discard_unwatch_and_reset_forget_watches_and_exec_without_multi_does_not() {
    let mut h = Harness::default();
    let mut other = h.session();
    let forgetting: &[&[&[&str]]] = &[
        &[&["MULTI"], &["DISCARD"]],
        &[&["MULTI"], &["EXEC"]],
        &[&["UNWATCH"]],
        &[&["RESET"]],
    ];
    for lines in forgetting {
        h.run(&["WATCH", "k"]);
        replies(&mut h, lines);
        h.run_as(&mut other, &["SET", "k", "1"]);
        assert_eq!(exec_ping(&mut h), PING_RAN, "{lines:?}");
    }
    h.run(&["WATCH", "k"]);
    assert_eq!(h.run(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    h.run_as(&mut other, &["SET", "k", "1"]);
    assert_eq!(exec_ping(&mut h), ABORTED);
}

#[test]
fn watching_many_keys_and_a_key_twice_then_disconnecting_leaves_nothing_behind() {
    let mut h = Harness::default();
    let watches = h.dispatcher.shared.hooks.watches.clone();
    let mut other = h.session();
    let keys: Vec<String> = (0..2000).map(|i| format!("key:{i}")).collect();
    let mut watch = vec!["WATCH"];
    watch.extend(keys.iter().map(String::as_str));
    watch.push("key:7");
    assert_eq!(h.run_as(&mut other, &watch), "+OK\r\n");
    assert_eq!(h.run_as(&mut other, &["WATCH", "key:7"]), "+OK\r\n");
    assert!(watches.interested());
    h.run(&["SET", "key:1999", "x"]);
    assert_eq!(
        replies_as(&h, &mut other, &[&["MULTI"], &["PING"], &["EXEC"]]),
        "+OK\r\n+QUEUED\r\n*-1\r\n"
    );
    assert!(!watches.interested(), "EXEC forgot every watch");
    h.run_as(&mut other, &["WATCH", "a", "b"]);
    drop(other);
    assert!(!watches.interested(), "a closed connection watches nothing");
}
