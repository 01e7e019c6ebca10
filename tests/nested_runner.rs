//! What EXEC and scripts will do: run commands inside a lock set they
//! already hold. Every command that reaches beyond its key specs (whole
//! databases, other databases) must run there without locking again (no
//! deadlock: parking_lot mutexes are not re-entrant) and reply exactly as
//! it does when the dispatcher locks for it.

use std::sync::mpsc;
use std::time::Duration;

use ferrodis::command::Args;
use ferrodis::dispatch::Outcome;
use ferrodis::keyspace::LockPlan;
use ferrodis::protocol::Reply;
use ferrodis::testing::Harness;

const SETUP: &[&[&str]] = &[
    &["SET", "a", "1"],
    &["SET", "b", "two", "EX", "1000"],
    &["SELECT", "1"],
    &["SET", "c", "3"],
    &["SELECT", "0"],
];

/// Commands whose lock needs go beyond their key specs, and some that do not.
const LINES: &[&[&str]] = &[
    &["KEYS", "*"],
    &["SCAN", "0", "COUNT", "100"],
    &["DBSIZE"],
    &["RANDOMKEY"],
    &["INFO", "keyspace"],
    &["COPY", "a", "z", "DB", "1"],
    &["COPY", "a", "a", "DB", "2", "REPLACE"],
    &["MOVE", "a", "3"],
    &["SWAPDB", "0", "1"],
    &["FLUSHDB"],
    &["FLUSHALL", "ASYNC"],
    &["GET", "a"],
    &["MGET", "a", "b", "c"],
    &["SET", "n", "5"],
    &["DEL", "a", "b"],
];

fn prepared() -> Harness {
    let mut h = Harness::default();
    for line in SETUP {
        h.run(line);
    }
    h
}

/// Runs `line` through `run_locked` under a lock set holding every shard of
/// every database, on another thread so a deadlock fails instead of hanging.
fn run_under_all_locks(line: &'static [&'static str]) -> Option<Vec<u8>> {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let mut h = prepared();
        let mut base = Vec::new();
        let mut spans = Vec::new();
        for arg in line {
            spans.push((base.len(), base.len() + arg.len()));
            base.extend_from_slice(arg.as_bytes());
        }
        let args = Args::new(&base, &spans);
        let dispatcher = &h.dispatcher;
        let cmd = dispatcher.table.resolve(&args).unwrap();
        let mut all = LockPlan::none();
        all.add_all(dispatcher.shared.keyspace.databases());
        let mut locked = dispatcher.shared.keyspace.lock(&all);
        let mut buf = Vec::new();
        let mut out = Reply::new(&mut buf, false);
        let outcome = dispatcher.run_locked(&mut locked, &mut h.session, cmd, &args, &mut out);
        assert_eq!(outcome, Outcome::Ran, "{line:?}");
        drop(locked);
        let _ = done.send(buf);
    });
    result.recv_timeout(Duration::from_secs(10)).ok()
}

/// Replies that name a random key or carry timings are compared by shape.
fn comparable(line: &[&str], reply: Vec<u8>) -> Vec<u8> {
    if line[0] == "RANDOMKEY" && reply.starts_with(b"$1\r\n") {
        b"a key".to_vec()
    } else {
        reply
    }
}

#[test]
fn commands_run_inside_a_held_lock_set_without_deadlock_and_reply_the_same() {
    for &line in LINES {
        let mut plain = prepared();
        let expected = comparable(line, plain.run(line).into_bytes());
        let nested = run_under_all_locks(line)
            .unwrap_or_else(|| panic!("{line:?} deadlocked under a held lock set"));
        assert_eq!(
            String::from_utf8_lossy(&comparable(line, nested)),
            String::from_utf8_lossy(&expected),
            "{line:?}"
        );
    }
}
