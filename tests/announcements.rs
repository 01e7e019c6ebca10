//! Every write announces itself: the keyspace's one announcement point hears
//! of each changed key (or database), from every write path, and of nothing
//! else. WATCH, keyspace notifications, client tracking and blocked clients
//! will consume exactly these announcements.

use std::sync::{Arc, Mutex};

use ferrodis::keyspace::{Announcement, Change, Listener, Presence};
use ferrodis::testing::Harness;

#[derive(Default)]
struct Recorder(Mutex<Vec<Announcement>>, Vec<&'static str>);

impl Listener for Recorder {
    fn interested(&self) -> bool {
        true
    }
    fn announce(&self, batch: &[Announcement]) {
        self.0.lock().unwrap().extend_from_slice(batch);
    }
    fn tracked_keys(&self, _db: usize) -> Vec<Box<[u8]>> {
        self.1.iter().map(|k| k.as_bytes().into()).collect()
    }
}

fn recording() -> (Harness, Arc<Recorder>) {
    let h = Harness::default();
    let recorder = Arc::new(Recorder::default());
    h.dispatcher.shared.hooks.attach(recorder.clone());
    (h, recorder)
}

/// What running `line` announced, as (db, key, change).
fn announced(h: &mut Harness, rec: &Recorder, line: &[&str]) -> Vec<(usize, String, Change)> {
    h.run(line);
    rec.0
        .lock()
        .unwrap()
        .drain(..)
        .map(|a| (a.db, String::from_utf8_lossy(&a.key).into_owned(), a.change))
        .collect()
}

#[test]
fn every_kind_of_write_announces_the_keys_it_changed() {
    let (mut h, rec) = recording();
    let written = |key: &str| vec![(0, key.to_string(), Change::Written)];
    for (line, key) in [
        (&["SET", "k", "v"][..], "k"),
        (&["APPEND", "k", "w"], "k"),
        (&["SETRANGE", "k", "0", "x"], "k"),
        (&["INCR", "n"], "n"),
        (&["INCR", "n"], "n"),
        (&["INCRBYFLOAT", "n", "1.5"], "n"),
        (&["EXPIRE", "k", "100"], "k"),
        (&["PERSIST", "k"], "k"),
        (&["GETEX", "k", "PX", "100000"], "k"),
    ] {
        assert_eq!(announced(&mut h, &rec, line), written(key), "{line:?}");
    }
    assert_eq!(
        announced(&mut h, &rec, &["RENAME", "k", "k2"]),
        [
            (0, "k".into(), Change::Deleted),
            (0, "k2".into(), Change::Written)
        ]
    );
    assert_eq!(
        announced(&mut h, &rec, &["MOVE", "k2", "5"]),
        [
            (0, "k2".into(), Change::Deleted),
            (5, "k2".into(), Change::Written)
        ]
    );
    assert_eq!(
        announced(&mut h, &rec, &["DEL", "n", "missing"]),
        [(0, "n".into(), Change::Deleted)]
    );
}

#[test]
fn reads_and_writes_that_change_nothing_announce_nothing() {
    let (mut h, rec) = recording();
    h.run(&["SET", "k", "v"]);
    rec.0.lock().unwrap().clear();
    for line in [
        &["GET", "k"][..],
        &["MGET", "k", "x"],
        &["SET", "k", "w", "NX"],
        &["SETRANGE", "k", "0", ""],
        &["PERSIST", "k"],
        &["DEL", "missing"],
        &["EXPIRE", "k", "10", "XX"],
        &["INCR", "k"],
        &["KEYS", "*"],
        &["TTL", "k"],
    ] {
        assert_eq!(announced(&mut h, &rec, line), [], "{line:?}");
    }
}

#[test]
fn expiry_and_database_wide_writes_announce_themselves() {
    let (mut h, rec) = recording();
    h.run(&["SET", "gone", "v", "PX", "1"]);
    rec.0.lock().unwrap().clear();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(
        announced(&mut h, &rec, &["GET", "gone"]),
        [(0, "gone".into(), Change::Expired)]
    );
    assert_eq!(
        announced(&mut h, &rec, &["SWAPDB", "0", "2"]),
        [(0, String::new(), Change::Swapped(2))]
    );
    let flushed = announced(&mut h, &rec, &["FLUSHALL"]);
    assert_eq!(flushed.len(), h.dispatcher.shared.keyspace.databases());
    assert!(
        flushed
            .iter()
            .all(|(_, key, c)| key.is_empty() && *c == Change::Flushed)
    );
}

#[test]
fn flushes_and_swaps_detail_each_tracked_key_before_and_after() {
    let mut h = Harness::default();
    let recorder = Arc::new(Recorder(Mutex::default(), vec!["live", "stale", "none"]));
    h.dispatcher.shared.hooks.attach(recorder.clone());
    let rec = &recorder;
    h.run(&["SET", "live", "1"]);
    h.run(&["SET", "stale", "1", "PX", "1"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "stale", "2"]);
    h.run(&["SELECT", "0"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    rec.0.lock().unwrap().clear();
    let replaced = |before, after| Change::Replaced { before, after };
    use Presence::{Absent, Expired, Live};
    // Tracked keys stored in either database, then the swap itself.
    assert_eq!(
        announced(&mut h, rec, &["SWAPDB", "0", "1"]),
        [
            (0, "live".into(), replaced(Live, Absent)),
            (0, "stale".into(), replaced(Expired, Live)),
            (1, "live".into(), replaced(Absent, Live)),
            (1, "stale".into(), replaced(Live, Expired)),
            (0, String::new(), Change::Swapped(1)),
        ]
    );
    assert_eq!(
        announced(&mut h, rec, &["FLUSHDB"]),
        [
            (0, "stale".into(), replaced(Live, Absent)),
            (0, String::new(), Change::Flushed),
        ]
    );
    // Swapping a database with itself changes nothing it could detail.
    assert_eq!(
        announced(&mut h, rec, &["SWAPDB", "1", "1"]),
        [(1, String::new(), Change::Swapped(1))]
    );
}
