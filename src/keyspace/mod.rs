//! The keyspace: databases split into shards, each behind its own lock.
//!
//! A key's hash picks its shard (high bits) and its bucket in the shard's
//! dict (low bits). Commands never lock anything themselves: the dispatcher
//! turns what a command needs into a [`LockPlan`] and acquires it here in
//! ascending (db, shard) order, so no two lock sets can wait on each other.
//! While the locks are held, command code sees a [`DbView`] and reads as if
//! single-threaded; the whole-database operations (scan, keys, random key,
//! length, flush, swap) work over whatever the lock set holds.
//!
//! Every change goes through the view and is recorded in the lock set's
//! [`journal`]: the one write-announcement point that counts `dirty`, feeds
//! the effect stream and tells the installed [`Listener`] (WATCH,
//! notifications, tracking, blocked clients) which keys changed.

pub mod dict;
pub mod effects;
pub mod expire;
pub mod journal;
pub mod lock;
pub mod types;
pub mod value;
pub mod view;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use parking_lot::Mutex;

pub use dict::{Dict, hash_key};
pub use effects::Effects;
pub use journal::{Announcement, Change, Listener, Presence};
pub use lock::{LockPlan, Locked};
pub use value::{Kind, Value};
pub use view::{DbSummary, DbView, Ttl, ValueMut};

use crate::util::striped::Counter;

/// Shards per database: enough that 16+ cores rarely meet on one lock.
pub const SHARD_BITS: u32 = 6;
pub const SHARDS: usize = 1 << SHARD_BITS;

#[inline]
pub fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// One lock's worth of a database. Only the keyspace's own modules see
/// inside: commands reach it through a [`DbView`].
#[derive(Default)]
struct Shard {
    data: Dict<Value>,
    /// Absolute expiry (unix ms) of the keys that have one.
    expires: Dict<i64>,
    /// Where the active expiry cycle resumes scanning `expires`.
    expire_cursor: u64,
}

/// Keeps each shard lock on its own cache line so cores do not false-share.
#[repr(align(64))]
#[derive(Default)]
struct Padded(Mutex<Shard>);

struct Db {
    shards: Box<[Padded]>,
}

impl Db {
    fn new() -> Db {
        Db {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
        }
    }
}

/// Counters the keyspace keeps for INFO; striped, so cores do not share a
/// cache line on every read and write.
#[derive(Default)]
pub struct KeyspaceStats {
    pub expired_keys: Counter,
    pub keyspace_hits: Counter,
    pub keyspace_misses: Counter,
    /// Changes since start (Redis's `dirty`), for persistence to compare against.
    pub dirty: Counter,
}

pub struct Keyspace {
    dbs: Box<[Db]>,
    pub effects: Effects,
    pub stats: KeyspaceStats,
    /// DEBUG SET-ACTIVE-EXPIRE switches the background expiry cycle off for tests.
    pub active_expire: AtomicBool,
    listener: journal::ListenerSlot,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(|_| Db::new()).collect(),
            effects: Effects::default(),
            stats: KeyspaceStats::default(),
            active_expire: AtomicBool::new(true),
            listener: journal::ListenerSlot::default(),
        }
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Installs the consumer of write announcements (replacing any earlier one).
    pub fn set_listener(&self, listener: Arc<dyn Listener>) {
        self.listener.set(listener);
    }

    /// Takes every lock `plan` names, in (db, shard) order.
    pub fn lock(&self, plan: &LockPlan) -> Locked<'_> {
        Locked::acquire(self, plan)
    }

    fn mutex(&self, db: usize, shard: usize) -> &Mutex<Shard> {
        &self.dbs[db].shards[shard].0
    }
}
