//! WATCH: which clients watch which keys, and marking a client's
//! transaction as doomed when one of its keys changes.
//!
//! The registry hears every write through [`Hooks`](super::hooks::Hooks),
//! the keyspace's one listener, while the writer still holds its locks, so
//! a change is marked before any other command can see it, and EXEC (which
//! locks its watched keys' shards) finds every change made before it. When
//! nobody watches, [`Watches::interested`] is one relaxed load and writers
//! copy no keys. The map is split into 64 shards by key hash, each behind
//! its own lock on its own cache line, so writers of different keys rarely
//! meet here either.
//!
//! A change marks the watcher's [`flags::DIRTY_CAS`] on its client handle
//! (CLIENT LIST's `d`). Redis 7.2's rules, which the watcher's `expired`
//! bit follows: a key that was already expired (stored past its time to
//! live) when it was watched is not changed by its removal (lazy or active
//! expiry, a flush); once removed, later writes count again. A flush or
//! swap marks the watchers of keys that were stored before it or are
//! after it, except that an expired key staying expired, or arriving in
//! place of a missing one, is no change.
//!
//! Memory: per watched key and client, one map entry (the key bytes once
//! per key) plus a 24-byte watcher record; the session keeps its own copy
//! of each key for UNWATCH and EXEC.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use super::registry::{ClientHandle, flags};
use crate::keyspace::{Announcement, Change, Presence, hash_key, shard_of};

const SHARDS: usize = crate::keyspace::SHARDS;

/// One client watching one key of one database.
struct Watcher {
    db: usize,
    client: Arc<ClientHandle>,
    /// The key was stored but already expired when it was watched.
    expired: bool,
}

type Shard = HashMap<Box<[u8]>, Vec<Watcher>, ahash::RandomState>;

#[repr(align(64))]
#[derive(Default)]
struct Padded(Mutex<Shard>);

/// Every watched key, by key, across databases.
pub struct Watches {
    shards: Box<[Padded]>,
    /// (client, key) pairs registered: zero means writes need not announce.
    entries: AtomicUsize,
}

impl Default for Watches {
    fn default() -> Self {
        Watches {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
            entries: AtomicUsize::new(0),
        }
    }
}

impl Watches {
    /// Whether anyone watches anything: the check every lock set pays.
    #[inline]
    pub fn interested(&self) -> bool {
        self.entries.load(Ordering::Relaxed) != 0
    }

    fn shard(&self, key: &[u8]) -> parking_lot::MutexGuard<'_, Shard> {
        self.shards[shard_of(hash_key(key))].0.lock()
    }

    /// Registers `client` as watching `key` of `db`; false if it already
    /// did (the first WATCH's `expired` stands, as in Redis). The caller
    /// holds the key's shard lock, so no write to it is in flight.
    fn watch(&self, client: &Arc<ClientHandle>, db: usize, key: &[u8], expired: bool) -> bool {
        let mut shard = self.shard(key);
        let watchers = shard.entry(key.into()).or_default();
        if watchers
            .iter()
            .any(|w| w.db == db && w.client.id == client.id)
        {
            return false;
        }
        watchers.push(Watcher {
            db,
            client: client.clone(),
            expired,
        });
        self.entries.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn unwatch(&self, client: u64, db: usize, key: &[u8]) {
        let mut shard = self.shard(key);
        let Some(watchers) = shard.get_mut(key) else {
            return;
        };
        let before = watchers.len();
        watchers.retain(|w| !(w.db == db && w.client.id == client));
        self.entries
            .fetch_sub(before - watchers.len(), Ordering::Relaxed);
        if watchers.is_empty() {
            shard.remove(key);
        }
    }

    /// Whether `client` watched `key` of `db` while it was stored but
    /// expired, and it has not been removed since.
    fn watched_expired(&self, client: u64, db: usize, key: &[u8]) -> bool {
        self.shard(key).get(key).is_some_and(|watchers| {
            watchers
                .iter()
                .any(|w| w.db == db && w.client.id == client && w.expired)
        })
    }

    /// Every key someone watches in `db`.
    pub fn keys_in(&self, db: usize) -> Vec<Box<[u8]>> {
        let mut keys = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.0.lock();
            keys.extend(
                shard
                    .iter()
                    .filter(|(_, watchers)| watchers.iter().any(|w| w.db == db))
                    .map(|(key, _)| key.clone()),
            );
        }
        keys
    }

    /// Marks the watchers of every key the batch changed.
    pub fn announce(&self, batch: &[Announcement]) {
        for a in batch {
            if matches!(a.change, Change::Flushed | Change::Swapped(_)) {
                // Detailed per watched key by the `Replaced` announcements.
                continue;
            }
            let mut shard = self.shard(&a.key);
            if let Some(watchers) = shard.get_mut(&a.key) {
                for w in watchers.iter_mut().filter(|w| w.db == a.db) {
                    if touches(w, a.change) {
                        w.client.set_flag(flags::DIRTY_CAS, true);
                    }
                }
            }
        }
    }
}

/// Whether `change` counts as a change of the watched key for `w`,
/// updating what `w` remembers of the key having been expired.
fn touches(w: &mut Watcher, change: Change) -> bool {
    match change {
        Change::Written | Change::Deleted => true,
        // An expired key that was already expired when watched: no change.
        Change::Expired => !std::mem::take(&mut w.expired),
        Change::Replaced { before, after } => match (w.expired, after) {
            (true, Presence::Absent) => {
                w.expired = false;
                false
            }
            (true, Presence::Expired) => false,
            (false, Presence::Expired) if before == Presence::Absent => {
                w.expired = true;
                false
            }
            _ => true,
        },
        Change::Flushed | Change::Swapped(_) => false,
    }
}

/// The keys one session watches; dropping it (disconnect) unwatches them.
#[derive(Default)]
pub struct Watched {
    keys: Vec<(usize, Box<[u8]>)>,
    /// The registry and the client's id, once it watched anything.
    owner: Option<(Arc<Watches>, u64)>,
}

impl Watched {
    /// Watches `key` of `db` for `client`; `expired` says whether it is
    /// stored past its time to live right now.
    pub fn add(
        &mut self,
        registry: &Arc<Watches>,
        client: &Arc<ClientHandle>,
        db: usize,
        key: &[u8],
        expired: bool,
    ) {
        if registry.watch(client, db, key, expired) {
            self.owner
                .get_or_insert_with(|| (registry.clone(), client.id));
            self.keys.push((db, key.into()));
        }
    }

    /// Forgets every watched key. The caller clears the client's dirty
    /// mark afterwards: a writer that still saw a key has marked it by then.
    pub fn clear(&mut self) {
        if let Some((registry, client)) = &self.owner {
            for (db, key) in self.keys.drain(..) {
                registry.unwatch(*client, db, &key);
            }
        }
    }

    /// Whether `key` of `db` was stored but expired when it was watched,
    /// and has not been removed since.
    pub fn was_expired(&self, db: usize, key: &[u8]) -> bool {
        self.owner
            .as_ref()
            .is_some_and(|(registry, client)| registry.watched_expired(*client, db, key))
    }

    /// (db, key) of every watched key.
    pub fn keys(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.keys.iter().map(|(db, key)| (*db, &key[..]))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.clear();
    }
}
