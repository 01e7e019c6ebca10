//! The keyspace: databases split into shards, each behind its own lock.
//!
//! A key's hash picks its shard (high bits) and its bucket in the shard's
//! dict (low bits), so it is hashed once. A command locks only the shards of
//! its keys, several in ascending (db, shard) order so multi-key commands
//! never deadlock; whole-database commands lock every shard of the database.
//! While the locks are held, command code sees a [`DbView`] and reads as if
//! single-threaded. Every change goes through the view, which is where lazy
//! expiry happens and where effects, notifications and WATCH hear of writes.

pub mod dict;
pub mod effects;
pub mod expire;
pub mod types;
pub mod value;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};

pub use dict::{Dict, hash_key};
pub use effects::Effects;
pub use value::{Kind, Value};

/// Shards per database: enough that 16+ cores rarely meet on one lock.
pub const SHARD_BITS: u32 = 6;
pub const SHARDS: usize = 1 << SHARD_BITS;

#[inline]
pub fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// One lock's worth of a database.
#[derive(Default)]
pub struct Shard {
    pub data: Dict<Value>,
    /// Absolute expiry (unix ms) of the keys that have one.
    pub expires: Dict<i64>,
    /// Where the active expiry cycle resumes scanning `expires`.
    pub expire_cursor: u64,
}

/// Keeps each shard lock on its own cache line so cores do not false-share.
#[repr(align(64))]
#[derive(Default)]
struct Padded(Mutex<Shard>);

pub struct Db {
    shards: Box<[Padded]>,
}

impl Db {
    fn new() -> Db {
        Db {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
        }
    }
}

/// Counters the keyspace keeps for INFO.
#[derive(Default)]
pub struct KeyspaceStats {
    pub expired_keys: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    /// Changes since start (Redis's `dirty`), for persistence to compare against.
    pub dirty: AtomicU64,
}

pub struct Keyspace {
    dbs: Box<[Db]>,
    pub effects: Effects,
    pub stats: KeyspaceStats,
    /// DEBUG SET-ACTIVE-EXPIRE switches the background expiry cycle off for tests.
    pub active_expire: AtomicBool,
}

/// A key's identity within a lock set; ordered as locks must be taken.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    db: usize,
    shard: usize,
}

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(|_| Db::new()).collect(),
            effects: Effects::default(),
            stats: KeyspaceStats::default(),
            active_expire: AtomicBool::new(true),
        }
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    fn guard(&self, slot: Slot) -> MutexGuard<'_, Shard> {
        self.dbs[slot.db].shards[slot.shard].0.lock()
    }

    /// Locks the shards holding `keys` in database `db`.
    pub fn lock_keys<'k>(&self, db: usize, keys: impl IntoIterator<Item = &'k [u8]>) -> Locked<'_> {
        self.lock_slots(
            keys.into_iter()
                .map(|k| (db, shard_of(hash_key(k))))
                .collect(),
        )
    }

    /// Locks one key's shard: the common case, without allocating.
    pub fn lock_key(&self, db: usize, key: &[u8]) -> Locked<'_> {
        let slot = Slot {
            db,
            shard: shard_of(hash_key(key)),
        };
        Locked::new(self, Guards::One([(slot, self.guard(slot))]))
    }

    /// Locks every shard of the given databases (whole-database commands).
    pub fn lock_dbs(&self, dbs: &[usize]) -> Locked<'_> {
        self.lock_slots(
            dbs.iter()
                .flat_map(|&db| (0..SHARDS).map(move |s| (db, s)))
                .collect(),
        )
    }

    /// Locks nothing: for commands without keys that still run through a view.
    pub fn lock_none(&self) -> Locked<'_> {
        Locked::new(self, Guards::Many(Vec::new()))
    }

    fn lock_slots(&self, slots: Vec<(usize, usize)>) -> Locked<'_> {
        let slots = slots
            .into_iter()
            .map(|(db, shard)| Slot { db, shard })
            .collect();
        Locked::new(self, Guards::Many(self.guards_in_order(slots)))
    }

    fn guards_in_order(&self, mut slots: Vec<Slot>) -> Vec<(Slot, MutexGuard<'_, Shard>)> {
        slots.sort_unstable();
        slots.dedup();
        slots
            .into_iter()
            .map(|slot| (slot, self.guard(slot)))
            .collect()
    }

    fn try_guard(&self, slot: Slot) -> Option<MutexGuard<'_, Shard>> {
        self.dbs[slot.db].shards[slot.shard].0.try_lock()
    }

    /// Runs `f` on each shard of `db` in turn, one lock at a time.
    pub fn for_each_shard(&self, db: usize, mut f: impl FnMut(&mut Shard)) {
        for padded in self.dbs[db].shards.iter() {
            f(&mut padded.0.lock());
        }
    }

    /// Locks a single shard by index (SCAN cursors and the expiry cycle address shards directly).
    pub fn lock_shard(&self, db: usize, shard: usize) -> Locked<'_> {
        let slot = Slot { db, shard };
        Locked::new(self, Guards::One([(slot, self.guard(slot))]))
    }
}

/// Held shard guards; a single-key command, the common case, needs no allocation.
enum Guards<'a> {
    One([(Slot, MutexGuard<'a, Shard>); 1]),
    Many(Vec<(Slot, MutexGuard<'a, Shard>)>),
}

impl<'a> Guards<'a> {
    fn as_mut_slice(&mut self) -> &mut [(Slot, MutexGuard<'a, Shard>)] {
        match self {
            Guards::One(one) => one,
            Guards::Many(many) => many,
        }
    }

    /// The guards as a growable list, for lock sets that change mid-command.
    fn as_vec(&mut self) -> &mut Vec<(Slot, MutexGuard<'a, Shard>)> {
        if let Guards::One(_) = self {
            let Guards::One([one]) = std::mem::replace(self, Guards::Many(Vec::new())) else {
                unreachable!("matched One above");
            };
            *self = Guards::Many(vec![one]);
        }
        match self {
            Guards::Many(many) => many,
            Guards::One(_) => unreachable!("converted to Many above"),
        }
    }
}

/// The access clock kept in each entry's meta word: seconds, wrapping at 2^32.
fn lru_clock(now_ms: i64) -> u32 {
    (now_ms / 1000) as u32
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The shards a command holds, and the clock it sees (one instant per command, as Redis).
pub struct Locked<'a> {
    keyspace: &'a Keyspace,
    guards: Guards<'a>,
    pub now: i64,
    /// Changes made under these locks; the dispatcher propagates writes that changed something.
    pub dirty: u64,
    /// Set when the command emitted its own effect records instead of its argv.
    pub effects_emitted: bool,
    /// CLIENT NO-TOUCH: reads leave keys' access clocks alone.
    pub no_touch: bool,
}

impl<'a> Locked<'a> {
    fn new(keyspace: &'a Keyspace, guards: Guards<'a>) -> Self {
        Locked {
            keyspace,
            guards,
            now: now_ms(),
            dirty: 0,
            effects_emitted: false,
            no_touch: false,
        }
    }

    pub fn keyspace(&self) -> &'a Keyspace {
        self.keyspace
    }

    /// The view of database `db` through these locks.
    pub fn db(&mut self, db: usize) -> DbView<'_, 'a> {
        DbView { locked: self, db }
    }

    /// The locked shards of `db`, for whole-database iteration.
    pub fn shards_mut(&mut self, db: usize) -> impl Iterator<Item = &mut Shard> {
        self.guards
            .as_mut_slice()
            .iter_mut()
            .filter(move |(slot, _)| slot.db == db)
            .map(|(_, g)| &mut **g)
    }

    /// Adds the shards of `keys`, given as (db, key), to this lock set, for
    /// commands that reach a key in another database (MOVE, COPY ... DB).
    /// A shard ordered after every held one is waited for; any other is only
    /// taken if free at once, and if it is not, every lock is released and
    /// the whole set taken again in (db, shard) order. So a command waits
    /// only for shards above all it holds, and no two commands can wait on
    /// each other in a cycle. Call it before reading anything: after a
    /// retake, what was read under the old locks may be stale.
    pub fn lock_more<'k>(&mut self, keys: impl IntoIterator<Item = (usize, &'k [u8])>) {
        let mut missing: Vec<Slot> = keys
            .into_iter()
            .map(|(db, key)| Slot {
                db,
                shard: shard_of(hash_key(key)),
            })
            .filter(|slot| {
                !self
                    .guards
                    .as_mut_slice()
                    .iter()
                    .any(|(held, _)| held == slot)
            })
            .collect();
        missing.sort_unstable();
        missing.dedup();
        for (i, &slot) in missing.iter().enumerate() {
            let above_all = self
                .guards
                .as_mut_slice()
                .iter()
                .all(|(held, _)| *held < slot);
            let guard = if above_all {
                Some(self.keyspace.guard(slot))
            } else {
                self.keyspace.try_guard(slot)
            };
            match guard {
                Some(guard) => self.guards.as_vec().push((slot, guard)),
                None => {
                    let mut all: Vec<Slot> = self
                        .guards
                        .as_vec()
                        .drain(..)
                        .map(|(held, _)| held)
                        .collect();
                    all.extend_from_slice(&missing[i..]);
                    self.guards = Guards::Many(self.keyspace.guards_in_order(all));
                    return;
                }
            }
        }
    }

    /// Emits an effect record for a write made under these locks.
    pub fn emit(&mut self, db: usize, argv: &[&[u8]]) {
        self.effects_emitted = true;
        self.keyspace.effects.emit(db, argv);
    }

    fn shard(&mut self, db: usize, hash: u64) -> &mut Shard {
        let shard = shard_of(hash);
        let found = self
            .guards
            .as_mut_slice()
            .iter_mut()
            .find(|(slot, _)| slot.db == db && slot.shard == shard);
        match found {
            Some((_, guard)) => guard,
            None => panic!("key of db {db} shard {shard} used without its lock"),
        }
    }
}

/// Whether a write keeps the key's time to live.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// Drop any existing expiry (plain SET).
    Clear,
    /// Keep the existing expiry (KEEPTTL, APPEND, INCR...).
    Keep,
    /// Expire at this unix time in ms.
    At(i64),
}

/// One database as seen by a command holding its keys' locks.
pub struct DbView<'l, 'a> {
    locked: &'l mut Locked<'a>,
    db: usize,
}

impl DbView<'_, '_> {
    pub fn index(&self) -> usize {
        self.db
    }

    pub fn now(&self) -> i64 {
        self.locked.now
    }

    /// The key's value if it exists and has not expired; expired keys are
    /// deleted here. Counts as an access for OBJECT IDLETIME.
    pub fn get(&mut self, key: &[u8]) -> Option<&mut Value> {
        if self.locked.no_touch {
            return self.peek(key);
        }
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let (db, clock) = (self.db, lru_clock(self.locked.now));
        let mut entry = self.locked.shard(db, hash).data.entry_hashed(hash, key)?;
        entry.set_meta(clock);
        Some(entry.into_value_mut())
    }

    /// Like [`get`](Self::get) without counting an access (OBJECT, TYPE-free peeks).
    pub fn peek(&mut self, key: &[u8]) -> Option<&mut Value> {
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let db = self.db;
        self.locked.shard(db, hash).data.get_mut_hashed(hash, key)
    }

    /// Milliseconds since the key was last read or written (second resolution, as Redis).
    pub fn idle_ms(&mut self, key: &[u8]) -> Option<i64> {
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let (db, now) = (self.db, self.locked.now);
        let meta = self.locked.shard(db, hash).data.meta_hashed(hash, key)?;
        Some(i64::from(lru_clock(now).wrapping_sub(meta)) * 1000)
    }

    /// Like [`get`](Self::get), counting a keyspace hit or miss as reads do.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Value> {
        let keyspace = self.locked.keyspace;
        let stats = &keyspace.stats;
        let value = self.get(key);
        let counter = if value.is_some() {
            &stats.keyspace_hits
        } else {
            &stats.keyspace_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        value
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Stores a value, replacing any old one of any type.
    pub fn set(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let db = self.db;
        let clock = lru_clock(self.locked.now);
        let shard = self.locked.shard(db, hash);
        shard.data.insert_hashed(hash, key, value);
        shard.data.set_meta_hashed(hash, key, clock);
        match ttl {
            Ttl::Keep => {}
            Ttl::Clear => {
                shard.expires.remove_hashed(hash, key);
            }
            Ttl::At(at) => {
                shard.expires.insert_hashed(hash, key, at);
            }
        }
        self.modified(key);
    }

    /// Removes a key; true if it existed (and had not expired).
    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.take(key).is_some()
    }

    /// Removes a key and returns its value.
    pub fn take(&mut self, key: &[u8]) -> Option<Value> {
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let db = self.db;
        let shard = self.locked.shard(db, hash);
        let value = shard.data.remove_hashed(hash, key)?;
        shard.expires.remove_hashed(hash, key);
        self.modified(key);
        Some(value)
    }

    /// The key's absolute expiry in unix ms, if it exists and has one.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<i64> {
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let db = self.db;
        self.locked
            .shard(db, hash)
            .expires
            .get_hashed(hash, key)
            .copied()
    }

    /// Sets or clears the expiry of an existing key; false if the key is missing.
    pub fn set_expire(&mut self, key: &[u8], at: Option<i64>) -> bool {
        let hash = hash_key(key);
        self.expire_if_due(hash, key);
        let db = self.db;
        let shard = self.locked.shard(db, hash);
        if shard.data.get_hashed(hash, key).is_none() {
            return false;
        }
        match at {
            Some(at) => shard.expires.insert_hashed(hash, key, at),
            None => shard.expires.remove_hashed(hash, key),
        };
        self.modified(key);
        true
    }

    /// Records that `key` changed: counts it for propagation and persistence.
    /// Keyspace notifications, WATCH and blocked clients will hook in here.
    pub fn modified(&mut self, _key: &[u8]) {
        self.locked.dirty += 1;
        self.locked
            .keyspace
            .stats
            .dirty
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Emits an effect record for this database.
    pub fn emit(&mut self, argv: &[&[u8]]) {
        let db = self.db;
        self.locked.emit(db, argv);
    }

    fn expire_if_due(&mut self, hash: u64, key: &[u8]) {
        let db = self.db;
        let now = self.locked.now;
        let shard = self.locked.shard(db, hash);
        if shard.expires.is_empty() {
            return;
        }
        match shard.expires.get_hashed(hash, key) {
            Some(&at) if at <= now => {}
            _ => return,
        }
        shard.expires.remove_hashed(hash, key);
        shard.data.remove_hashed(hash, key);
        let keyspace = self.locked.keyspace;
        keyspace.stats.expired_keys.fetch_add(1, Ordering::Relaxed);
        keyspace.effects.emit(db, &[b"DEL", key]);
        keyspace.stats.dirty.fetch_add(1, Ordering::Relaxed);
    }
}
