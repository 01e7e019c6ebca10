//! The one write-announcement point.
//!
//! Every change a [`DbView`](super::DbView) makes is recorded here, in the
//! journal of the lock set it was made under: the `dirty` count, the
//! effect records for the stream (AOF, replicas), and, when a [`Listener`]
//! is interested, one [`Announcement`] per changed key. The journal is
//! flushed when the lock set is released, while the locks are still held,
//! so consumers (WATCH, keyspace notifications, client tracking, blocked
//! clients) learn of changes in the order they were applied and before any
//! other command can observe them. Command code cannot forget to announce:
//! there is no way to change a value except through the view.

use std::sync::{Arc, OnceLock};

use super::Keyspace;
use super::effects::Effect;

/// What happened to a key (or, for `Flushed` and `Swapped`, a database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Created or modified, its expiry included.
    Written,
    /// Removed by a command.
    Deleted,
    /// Removed because its time to live ran out (lazily or by the cycle).
    Expired,
    /// Every key of the database was removed.
    Flushed,
    /// The database's contents were exchanged with this other database's.
    Swapped(usize),
    /// What a database-wide change (`Flushed`, `Swapped`) did to one key the
    /// listener tracks ([`Listener::tracked_keys`]): the key as it was and
    /// as it is now. Announced just before the database-wide change, only
    /// when the key was or is stored.
    Replaced { before: Presence, after: Presence },
}

/// How a key is stored, as a database-wide change finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Absent,
    /// Stored, but its time to live has run out (not yet deleted).
    Expired,
    Live,
}

/// One change, as consumers hear of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub db: usize,
    /// Empty for database-wide changes.
    pub key: Box<[u8]>,
    pub change: Change,
}

/// The consumer of announcements, installed once by the layer above.
pub trait Listener: Send + Sync {
    /// Whether announcements are wanted now. Checked once per lock set, so
    /// it must be cheap (an atomic load); when false, keys are not copied.
    fn interested(&self) -> bool;
    /// Called with a lock set's announcements while its locks are held.
    fn announce(&self, batch: &[Announcement]);
    /// The keys of `db` this listener follows one by one (WATCH): a flush
    /// or swap of `db` then also announces each of them as
    /// [`Change::Replaced`]. Asked only on those rare database-wide changes.
    fn tracked_keys(&self, _db: usize) -> Vec<Box<[u8]>> {
        Vec::new()
    }
}

/// Where the keyspace keeps its listener: set once, then read without locking.
#[derive(Default)]
pub(crate) struct ListenerSlot(OnceLock<Arc<dyn Listener>>);

impl ListenerSlot {
    pub(crate) fn set(&self, listener: Arc<dyn Listener>) {
        if self.0.set(listener).is_err() {
            panic!("the keyspace listener is installed once");
        }
    }

    fn get(&self) -> Option<&Arc<dyn Listener>> {
        self.0.get()
    }

    /// The keys of `db` the listener tracks one by one.
    pub(crate) fn tracked_keys(&self, db: usize) -> Vec<Box<[u8]>> {
        self.get().map_or_else(Vec::new, |l| l.tracked_keys(db))
    }
}

/// What one lock set changed, waiting to be flushed.
#[derive(Default)]
pub struct Journal {
    dirty: u64,
    hits: u64,
    misses: u64,
    expired: u64,
    /// Records emitted by commands themselves (not expiry DELs): the
    /// dispatcher emits a write's argv only when its command emitted none.
    own_emits: usize,
    /// Present when the effect stream has a subscriber.
    effects: Option<Vec<Effect>>,
    /// Present when the listener is interested.
    announcements: Option<Vec<Announcement>>,
    /// The records leave as one MULTI ... EXEC unit when there is more
    /// than one (a transaction's writes).
    one_unit: bool,
}

impl Journal {
    pub(crate) fn new(keyspace: &Keyspace) -> Journal {
        Journal {
            effects: keyspace.effects.active().then(Vec::new),
            announcements: keyspace
                .listener
                .get()
                .filter(|l| l.interested())
                .map(|_| Vec::new()),
            ..Journal::default()
        }
    }

    pub(crate) fn dirty(&self) -> u64 {
        self.dirty
    }

    pub(crate) fn records_effects(&self) -> bool {
        self.effects.is_some()
    }

    pub(crate) fn own_emits(&self) -> usize {
        self.own_emits
    }

    /// Whether announcements are kept (the listener is interested).
    pub(crate) fn announces(&self) -> bool {
        self.announcements.is_some()
    }

    /// Wraps the records in MULTI ... EXEC when there are several, as Redis
    /// propagates a transaction.
    pub(crate) fn emit_as_unit(&mut self) {
        self.one_unit = true;
    }

    /// `n` changes to `key` (Redis counts one per element for some writes).
    pub(crate) fn announce(&mut self, db: usize, key: &[u8], change: Change, n: u64) {
        self.dirty += n;
        if let Some(list) = &mut self.announcements {
            list.push(Announcement {
                db,
                key: key.into(),
                change,
            });
        }
    }

    /// A database-wide change, counted as `n` changes.
    pub(crate) fn announce_db(&mut self, db: usize, change: Change, n: u64) {
        self.announce(db, b"", change, n);
    }

    /// One change more, so the command propagates even if it changed nothing.
    pub(crate) fn force_change(&mut self) {
        self.dirty += 1;
    }

    pub(crate) fn expired(&mut self, db: usize, key: &[u8]) {
        self.expired += 1;
        self.announce(db, key, Change::Expired, 1);
        self.record(db, &[b"DEL", key]);
    }

    pub(crate) fn read(&mut self, hit: bool) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
    }

    /// A command's own effect record (a replayable rewrite of what it did).
    pub(crate) fn emit(&mut self, db: usize, argv: &[&[u8]]) {
        self.own_emits += 1;
        self.record(db, argv);
    }

    fn record(&mut self, db: usize, argv: &[&[u8]]) {
        if let Some(effects) = &mut self.effects {
            effects.push(Effect {
                db,
                argv: argv.iter().map(|a| a.to_vec()).collect(),
            });
        }
    }

    /// Hands everything recorded to its consumers and starts afresh.
    #[inline]
    pub(crate) fn flush(&mut self, keyspace: &Keyspace) {
        if self.dirty | self.hits | self.misses | self.expired != 0 {
            self.flush_counters(keyspace);
        }
        if self.effects.is_some() || self.announcements.is_some() {
            self.flush_records(keyspace);
        }
    }

    fn flush_counters(&mut self, keyspace: &Keyspace) {
        let stats = &keyspace.stats;
        for (counter, n) in [
            (&stats.dirty, self.dirty),
            (&stats.keyspace_hits, self.hits),
            (&stats.keyspace_misses, self.misses),
            (&stats.expired_keys, self.expired),
        ] {
            if n > 0 {
                counter.add(n);
            }
        }
        self.dirty = 0;
        self.hits = 0;
        self.misses = 0;
        self.expired = 0;
    }

    fn flush_records(&mut self, keyspace: &Keyspace) {
        if let Some(effects) = self.effects.as_mut().filter(|e| !e.is_empty()) {
            if self.one_unit && effects.len() > 1 {
                let word = |db: usize, w: &[u8]| Effect {
                    db,
                    argv: vec![w.to_vec()],
                };
                let (first, last) = (effects[0].db, effects[effects.len() - 1].db);
                let unit = std::iter::once(word(first, b"MULTI"))
                    .chain(effects.drain(..))
                    .chain(std::iter::once(word(last, b"EXEC")));
                keyspace.effects.emit_all(unit);
            } else {
                keyspace.effects.emit_all(effects.drain(..));
            }
        }
        if let Some(batch) = self.announcements.as_mut().filter(|a| !a.is_empty()) {
            if let Some(listener) = keyspace.listener.get() {
                listener.announce(batch);
            }
            batch.clear();
        }
    }
}
