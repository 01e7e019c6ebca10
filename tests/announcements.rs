//! Every write announces itself: the keyspace's one announcement point hears
//! of each changed key (or database), from every write path, and of nothing
//! else. WATCH, keyspace notifications, client tracking and blocked clients
//! will consume exactly these announcements.

use std::sync::{Arc, Mutex};

use ferrodis::keyspace::{Announcement, Change, Listener};
use ferrodis::testing::Harness;

#[derive(Default)]
struct Recorder(Mutex<Vec<Announcement>>);

impl Listener for Recorder {
    fn interested(&self) -> bool {
        true
    }
    fn announce(&self, batch: &[Announcement]) {
        self.0.lock().unwrap().extend_from_slice(batch);
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
