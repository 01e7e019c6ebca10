//! What the in-process transaction tests share: running lines as the
//! harness's session or another, and EXEC's two outcomes.
#![allow(dead_code)]

use std::time::Duration;

use ferrodis::state::Session;
use ferrodis::testing::Harness;

/// Runs each line and returns the replies joined.
pub fn replies(h: &mut Harness, lines: &[&[&str]]) -> String {
    lines.iter().map(|line| h.run(line)).collect()
}

pub const ABORTED: &str = "*-1\r\n";
pub const PING_RAN: &str = "*1\r\n+PONG\r\n";

/// MULTI, PING, EXEC: the null array if the watch broke, else `PING_RAN`.
pub fn exec_ping(h: &mut Harness) -> String {
    replies(h, &[&["MULTI"], &["PING"], &["EXEC"]])
        .strip_prefix("+OK\r\n+QUEUED\r\n")
        .unwrap()
        .to_string()
}

pub fn expire_soon_and_wait(h: &mut Harness, key: &str) {
    assert_eq!(h.run(&["SET", key, "1", "PX", "1"]), "+OK\r\n");
    std::thread::sleep(Duration::from_millis(5));
}

/// Runs each line as `session` and returns the replies joined.
pub fn replies_as(h: &Harness, session: &mut Session, lines: &[&[&str]]) -> String {
    lines.iter().map(|line| h.run_as(session, line)).collect()
}
