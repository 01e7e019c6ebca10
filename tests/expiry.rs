//! The active expiry cycle removes expired keys nobody reads.

mod common;
use std::time::{Duration, Instant};

use common::TestServer;

fn dbsize(raw: &mut common::RawConn) -> i64 {
    raw.cmd(&["DBSIZE"])[1..].trim().parse().unwrap()
}

/// Loads `n` keys expiring in 50 ms plus `keep` persistent ones, in one pipeline.
fn load(raw: &mut common::RawConn, n: usize, keep: usize) {
    let mut batch = Vec::new();
    for i in 0..n {
        batch.extend_from_slice(format!("SET volatile:{i} v PX 50\r\n").as_bytes());
    }
    for i in 0..keep {
        batch.extend_from_slice(format!("SET durable:{i} v\r\n").as_bytes());
    }
    raw.send(&batch);
    for _ in 0..n + keep {
        assert_eq!(raw.read_reply(), b"+OK\r\n");
    }
}

#[test]
fn expired_keys_disappear_without_being_read() {
    let server = TestServer::start();
    let mut raw = server.raw();
    load(&mut raw, 20_000, 100);
    let deadline = Instant::now() + Duration::from_secs(10);
    while dbsize(&mut raw) > 100 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(dbsize(&mut raw), 100, "only the persistent keys remain");
}

#[test]
fn debug_set_active_expire_0_leaves_expired_keys_to_lazy_expiry() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    load(&mut raw, 1_000, 0);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        dbsize(&mut raw),
        1_000,
        "nothing swept while the cycle is off"
    );
    assert_eq!(raw.cmd(&["GET", "volatile:7"]), "$-1\r\n");
    assert_eq!(dbsize(&mut raw), 999, "a read expires its key lazily");
}
