//! `DbView`: one database as a command sees it through its lock set.
//!
//! Reads go through `get`/`peek`/`lookup_read` and return shared
//! references; lazy expiry happens on the way. Every change goes through a
//! method that records it in the journal: `set`, `take`/`remove`,
//! `set_expire`, the whole-database operations, and `get_mut`, whose
//! [`ValueMut`] guard announces the key when it is dropped if the value was
//! written through it. So a command cannot change a key without WATCH,
//! notifications, the effect stream and `dirty` hearing of it.

use std::marker::PhantomData;
use std::ptr::NonNull;

use super::journal::{Change, Journal, Presence};
use super::lock::Locked;
use super::{Dict, SHARD_BITS, SHARDS, Shard, Value, hash_key};
use crate::util::glob::glob_match;

/// Whether a write keeps the key's time to live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ttl {
    /// Drop any existing expiry (plain SET).
    Clear,
    /// Keep the existing expiry (KEEPTTL, APPEND, INCR...).
    Keep,
    /// Expire at this unix time in ms.
    At(i64),
}

/// The access clock kept in each entry's meta word: seconds, wrapping at 2^32.
fn lru_clock(now_ms: i64) -> u32 {
    (now_ms / 1000) as u32
}

/// What INFO's keyspace section shows of one database.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DbSummary {
    pub keys: usize,
    pub expires: usize,
    /// Average remaining time to live (ms) of a sample of volatile keys.
    pub avg_ttl: i64,
}

/// One database as seen by a command holding its locks.
pub struct DbView<'l, 'a> {
    locked: &'l mut Locked<'a>,
    db: usize,
}

impl<'l, 'a> DbView<'l, 'a> {
    pub(super) fn new(locked: &'l mut Locked<'a>, db: usize) -> Self {
        DbView { locked, db }
    }

    pub fn index(&self) -> usize {
        self.db
    }

    pub fn now(&self) -> i64 {
        self.locked.now()
    }

    /// The key's value if it exists and has not expired; expired keys are
    /// deleted here. Counts as an access for OBJECT IDLETIME.
    pub fn get(&mut self, key: &[u8]) -> Option<&Value> {
        self.entry(key, false).map(|(value, _)| value)
    }

    /// Like [`get`](Self::get) without counting an access (EXISTS, OBJECT, TYPE).
    pub fn peek(&mut self, key: &[u8]) -> Option<&Value> {
        let hash = self.live(key);
        let db = self.db;
        self.locked.shard(db, hash).data.get_hashed(hash, key)
    }

    /// Like [`get`](Self::get), counting a keyspace hit or miss as reads do.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Value> {
        self.entry(key, true).map(|(value, _)| value)
    }

    /// Like [`peek`](Self::peek), counting a keyspace hit or miss: the
    /// reads that never refresh a key's access time (TYPE, TTL).
    pub fn peek_read(&mut self, key: &[u8]) -> Option<&Value> {
        let found = self.peek(key).is_some();
        self.locked.journal().read(found);
        if found { self.peek(key) } else { None }
    }

    /// The key's value for writing in place. The returned guard announces
    /// the key when dropped, if anything was written through it, and
    /// removes the key if it leaves an empty collection behind (Redis never
    /// keeps an empty list, hash, set or sorted set).
    pub fn get_mut<'g>(&'g mut self, key: &'g [u8]) -> Option<ValueMut<'g>> {
        let hash = self.live(key);
        let (db, clock, no_touch) = (self.db, lru_clock(self.locked.now()), self.locked.no_touch);
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
        ValueMut::find(shard, journal, (db, key, hash), |data| {
            let mut entry = data.entry_hashed(hash, key)?;
            if !no_touch {
                entry.set_meta(clock);
            }
            Some((entry.into_value_mut(), false))
        })
    }

    /// The key's value for writing in place, created with `make()` first if
    /// the key is missing (LPUSH, SADD, HSET...). Creating counts as a
    /// change; a created value left empty is removed again on drop, unseen.
    pub fn get_or_insert_with<'g>(
        &'g mut self,
        key: &'g [u8],
        make: impl FnOnce() -> Value,
    ) -> ValueMut<'g> {
        let hash = self.live(key);
        let (db, clock) = (self.db, lru_clock(self.locked.now()));
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
        let found = ValueMut::find(shard, journal, (db, key, hash), |data| {
            let (_, created) = data.get_or_insert_with_hashed(hash, key, make);
            data.set_meta_hashed(hash, key, clock);
            data.get_mut_hashed(hash, key).map(|v| (v, created))
        });
        found.expect("the key was just inserted")
    }

    /// The live entry of `key`, its access clock updated (unless the client
    /// asked for NO-TOUCH), with the journal beside it; `count_read`
    /// records a keyspace hit or miss.
    fn entry(&mut self, key: &[u8], count_read: bool) -> Option<(&Value, &mut Journal)> {
        let hash = self.live(key);
        let (db, clock, no_touch) = (self.db, lru_clock(self.locked.now()), self.locked.no_touch);
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
        let entry = shard.data.entry_hashed(hash, key);
        if count_read {
            journal.read(entry.is_some());
        }
        let mut entry = entry?;
        if !no_touch {
            entry.set_meta(clock);
        }
        Some((entry.into_value_mut(), journal))
    }

    /// Milliseconds since the key was last read or written (second resolution, as Redis).
    pub fn idle_ms(&mut self, key: &[u8]) -> Option<i64> {
        let hash = self.live(key);
        let (db, now) = (self.db, self.locked.now());
        let meta = self.locked.shard(db, hash).data.meta_hashed(hash, key)?;
        Some(i64::from(lru_clock(now).wrapping_sub(meta)) * 1000)
    }

    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.peek(key).is_some()
    }

    /// Whether the key is still stored although its time to live has run
    /// out. Deletes nothing and counts nothing: WATCH remembers this, as
    /// Redis does, so that the key's later removal does not count as a change.
    pub fn expired_in_place(&mut self, key: &[u8]) -> bool {
        let hash = self.locked.hash(key);
        let (db, now) = (self.db, self.locked.now());
        let shard = self.locked.shard(db, hash);
        presence(shard, hash, key, now) == Presence::Expired
    }

    /// Stores a value, replacing any old one of any type.
    pub fn set(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        let hash = self.live(key);
        let db = self.db;
        let clock = lru_clock(self.locked.now());
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
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
        journal.announce(db, key, Change::Written, 1);
    }

    /// Removes a key; true if it existed (and had not expired).
    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.take(key).is_some()
    }

    /// Removes a key and returns its value.
    pub fn take(&mut self, key: &[u8]) -> Option<Value> {
        let hash = self.live(key);
        let db = self.db;
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
        let value = shard.data.remove_hashed(hash, key)?;
        shard.expires.remove_hashed(hash, key);
        journal.announce(db, key, Change::Deleted, 1);
        Some(value)
    }

    /// The key's absolute expiry in unix ms, if it exists and has one.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<i64> {
        let hash = self.live(key);
        let db = self.db;
        self.locked
            .shard(db, hash)
            .expires
            .get_hashed(hash, key)
            .copied()
    }

    /// Sets or clears the expiry of an existing key; false if the key is missing.
    pub fn set_expire(&mut self, key: &[u8], at: Option<i64>) -> bool {
        let hash = self.live(key);
        let db = self.db;
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
        if shard.data.get_hashed(hash, key).is_none() {
            return false;
        }
        match at {
            Some(at) => shard.expires.insert_hashed(hash, key, at),
            None => shard.expires.remove_hashed(hash, key),
        };
        journal.announce(db, key, Change::Written, 1);
        true
    }

    /// Records an effect for this database (a replayable rewrite of a write).
    pub fn emit(&mut self, argv: &[&[u8]]) {
        let db = self.db;
        self.locked.emit(db, argv);
    }

    /// Hashes the key once per command and deletes it first if it has expired.
    fn live(&mut self, key: &[u8]) -> u64 {
        let hash = self.locked.hash(key);
        let (db, now) = (self.db, self.locked.now());
        let (shard, journal) = self.locked.shard_and_journal(db, hash);
        if shard.expires.is_empty() {
            return hash;
        }
        match shard.expires.get_hashed(hash, key) {
            Some(&at) if at <= now => {}
            _ => return hash,
        }
        shard.expires.remove_hashed(hash, key);
        shard.data.remove_hashed(hash, key);
        journal.expired(db, key);
        hash
    }

    // ---- whole-database operations: they need every shard of the database

    /// Keys in the database (DBSIZE).
    pub fn len(&mut self) -> usize {
        let db = self.db;
        self.locked.db_shards(db).map(|s| s.data.len()).sum()
    }

    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with every live key matching `pattern` (all keys for `*`),
    /// as KEYS does: expired keys are hidden but not deleted.
    pub fn keys(&mut self, pattern: &[u8], mut f: impl FnMut(&[u8])) {
        let every_key = pattern == b"*";
        let (db, now) = (self.db, self.locked.now());
        for shard in self.locked.db_shards(db) {
            for (key, _) in shard.data.iter() {
                let expired = !shard.expires.is_empty()
                    && shard
                        .expires
                        .get_hashed(hash_key(key), key)
                        .is_some_and(|&at| at <= now);
                if !expired && (every_key || glob_match(pattern, key, false)) {
                    f(key);
                }
            }
        }
    }

    /// One SCAN step from `cursor`: visits about `count` keys, shard after
    /// shard, each with the dict's reverse-binary cursor, and returns the
    /// next cursor with the keys `wanted` accepts. A key present for the
    /// whole iteration is in some shard whose dict scan reports it, so a
    /// full iteration returns it however tables grow or shrink. Expired
    /// keys are deleted on the way, as Redis's SCAN does.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        mut wanted: impl FnMut(&[u8], &Value) -> bool,
    ) -> (u64, Vec<Vec<u8>>) {
        let (mut shard, mut inner) = split_cursor(cursor);
        let mut visited = 0usize;
        // Bounds the work on sparse tables, as Redis bounds its bucket visits.
        let mut steps_left = count.saturating_mul(10);
        let mut found = Vec::new();
        loop {
            let mut batch = Vec::new();
            let state = self.whole_db_shard(shard);
            loop {
                inner = state.data.scan(inner, |key, value| {
                    visited += 1;
                    if wanted(key, value) {
                        batch.push(key.to_vec());
                    }
                });
                steps_left = steps_left.saturating_sub(1);
                if inner == 0 || visited >= count || steps_left == 0 {
                    break;
                }
            }
            found.extend(batch.into_iter().filter(|key| self.exists(key)));
            if inner == 0 {
                shard += 1;
                if shard == SHARDS {
                    return (0, found);
                }
            }
            if visited >= count || steps_left == 0 {
                return (join_cursor(shard, inner), found);
            }
        }
    }

    /// A random live key (RANDOMKEY); expired draws are deleted and drawn again.
    pub fn random_key(&mut self, rng: &mut impl rand::Rng) -> Option<Vec<u8>> {
        use rand::RngExt;
        // Starting at a random shard and taking the first non-empty one
        // favours shards after empty ones a little; on a well-filled
        // database shards are evenly loaded.
        let start = rng.random_range(0..SHARDS);
        for i in 0..SHARDS {
            let shard = (start + i) % SHARDS;
            loop {
                let drawn = self
                    .whole_db_shard(shard)
                    .data
                    .random_entry(rng)
                    .map(|(key, _)| key.to_vec());
                let Some(key) = drawn else {
                    break;
                };
                // An expired draw is deleted here, so the loop ends: each retry has one key fewer.
                if self.exists(&key) {
                    return Some(key);
                }
            }
        }
        None
    }

    /// Empties the database; returns the old shards (for freeing off the
    /// request path) and how many keys they held.
    pub fn flush(&mut self) -> (Vec<ShardContents>, usize) {
        let db = self.db;
        if self.locked.journal().announces() {
            self.locked.announce_tracked(db, None);
        }
        let old: Vec<ShardContents> = self
            .locked
            .db_shards(db)
            .map(|s| ShardContents(std::mem::take(s)))
            .collect();
        let removed: usize = old.iter().map(|s| s.0.data.len()).sum();
        self.locked
            .journal()
            .announce_db(db, Change::Flushed, removed as u64);
        (old, removed)
    }

    /// Key and expiry counts, and the average TTL of a sample of volatile keys.
    pub fn summary(&mut self) -> DbSummary {
        const SAMPLE_PER_SHARD: i64 = 16;
        let (db, now) = (self.db, self.locked.now());
        let mut summary = DbSummary::default();
        // Summed wide: a few keys expiring near the end of time overflow i64.
        let (mut ttl_sum, mut ttl_n) = (0i128, 0i128);
        for shard in self.locked.db_shards(db) {
            summary.keys += shard.data.len();
            summary.expires += shard.expires.len();
            if shard.expires.is_empty() {
                continue;
            }
            let (mut cursor, mut seen) = (0u64, 0i64);
            loop {
                cursor = shard.expires.scan(cursor, |_, &at| {
                    seen += 1;
                    if at > now {
                        ttl_sum += i128::from(at) - i128::from(now);
                        ttl_n += 1;
                    }
                });
                if cursor == 0 || seen >= SAMPLE_PER_SHARD {
                    break;
                }
            }
        }
        summary.avg_ttl = if ttl_n > 0 {
            (ttl_sum / ttl_n) as i64
        } else {
            0
        };
        summary
    }

    fn whole_db_shard(&mut self, shard: usize) -> &mut Shard {
        let db = self.db;
        match self.locked.shard_at(db, shard) {
            Some(s) => s,
            None => panic!("whole-database operation on db {db} without its locks"),
        }
    }
}

/// How `key` (hashed as `hash`) is stored in `shard` at `now`.
pub(super) fn presence(shard: &Shard, hash: u64, key: &[u8], now: i64) -> Presence {
    if shard.data.get_hashed(hash, key).is_none() {
        Presence::Absent
    } else if shard
        .expires
        .get_hashed(hash, key)
        .is_some_and(|&at| at <= now)
    {
        Presence::Expired
    } else {
        Presence::Live
    }
}

/// A database's old contents after a flush: dropping it frees them.
pub struct ShardContents(Shard);

/// Splits a SCAN cursor into (shard, the shard dict's own cursor).
fn split_cursor(cursor: u64) -> (usize, u64) {
    ((cursor % SHARDS as u64) as usize, cursor >> SHARD_BITS)
}

/// The inverse of [`split_cursor`]. A dict cursor stays below its table
/// size, so shifting it left by the shard bits loses nothing.
fn join_cursor(shard: usize, inner: u64) -> u64 {
    (inner << SHARD_BITS) | shard as u64
}

/// A value being written in place. Dropping it announces the key (once,
/// with the number of changes) if it was written through `DerefMut` or
/// [`ValueMut::changed`], and deletes the key if the value is an emptied
/// collection.
pub struct ValueMut<'v> {
    /// Points into the dict entry for `key` in the shard `shard` points to.
    /// The guard holds the only borrow of the lock set for `'v`, and no
    /// reference to the shard exists while `value` is in use: both are raw
    /// pointers from one exclusive borrow, and the shard is touched again
    /// only in `drop`, after the last use of `value`.
    value: NonNull<Value>,
    shard: NonNull<Shard>,
    _borrow: PhantomData<&'v mut Shard>,
    journal: &'v mut Journal,
    db: usize,
    key: &'v [u8],
    hash: u64,
    changes: u64,
    /// The key did not exist before this guard made it.
    created: bool,
}

impl<'v> ValueMut<'v> {
    /// A guard over the value `locate` finds in `shard`'s dict (and
    /// whether it created it), or `None` when it finds none.
    fn find(
        shard: &'v mut Shard,
        journal: &'v mut Journal,
        (db, key, hash): (usize, &'v [u8], u64),
        locate: impl FnOnce(&mut Dict<Value>) -> Option<(&mut Value, bool)>,
    ) -> Option<Self> {
        let mut shard = NonNull::from(shard);
        // SAFETY: `shard` comes from an exclusive borrow held for `'v`; this
        // reborrow ends before `value` is used.
        let (value, created) = locate(unsafe { &mut shard.as_mut().data })?;
        Some(ValueMut {
            value: NonNull::from(value),
            shard,
            _borrow: PhantomData,
            journal,
            db,
            key,
            hash,
            changes: created as u64,
            created,
        })
    }

    /// Whether this guard created the key.
    pub fn created(&self) -> bool {
        self.created
    }

    /// Counts `n` changes (Redis counts one per element for some writes);
    /// zero means nothing changed after all.
    pub fn changed(&mut self, n: u64) {
        self.changes = n;
    }
}

impl std::ops::Deref for ValueMut<'_> {
    type Target = Value;
    fn deref(&self) -> &Value {
        // SAFETY: see the `value` field: the entry is alive and not moved,
        // and this guard's borrow of the shard is exclusive.
        unsafe { self.value.as_ref() }
    }
}

impl std::ops::DerefMut for ValueMut<'_> {
    fn deref_mut(&mut self) -> &mut Value {
        if self.changes == 0 {
            self.changes = 1;
        }
        // SAFETY: as in `deref`; `&mut self` makes this the only access.
        unsafe { self.value.as_mut() }
    }
}

impl Drop for ValueMut<'_> {
    fn drop(&mut self) {
        // SAFETY: as in `deref`; this is the last use of `value`.
        let emptied = unsafe { self.value.as_ref() }.is_empty_collection();
        let (db, key, hash) = (self.db, self.key, self.hash);
        if emptied {
            // SAFETY: see the `value` field; `value` is not used any more.
            let shard = unsafe { self.shard.as_mut() };
            shard.data.remove_hashed(hash, key);
            shard.expires.remove_hashed(hash, key);
            if self.created {
                // Made and emptied within one command: nothing was ever seen.
                return;
            }
        }
        if self.changes > 0 {
            self.journal
                .announce(db, key, Change::Written, self.changes);
            if emptied {
                self.journal.announce(db, key, Change::Deleted, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_shard_and_dict_cursor() {
        for (shard, inner) in [(0, 0), (63, 1), (5, (1 << 40) + 3)] {
            assert_eq!(split_cursor(join_cursor(shard, inner)), (shard, inner));
        }
    }
}
