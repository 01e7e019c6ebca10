//! Lock plans and lock sets.
//!
//! A [`LockPlan`] names the shards a command needs: its keys' shards, whole
//! databases, or every shard there is. [`Locked`] is a plan acquired: the
//! guards, taken in ascending (db, shard) order so that two lock sets can
//! never wait on each other, plus the command's clock and its [`Journal`].
//! A runner that already holds a superset of a command's plan (EXEC, a
//! script) runs it inside its own `Locked` without locking again; `covers`
//! tells whether it may.

use parking_lot::MutexGuard;

use super::journal::{Change, Journal, Presence};
use super::view::{DbView, presence};
use super::{Keyspace, SHARDS, Shard, hash_key, shard_of};
use crate::util::time::now_ms;

/// A shard's identity; ordered as locks must be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub db: usize,
    pub shard: usize,
}

/// The shards a command needs. A single key, the common case, does not allocate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockPlan {
    one: Option<Slot>,
    more: Vec<Slot>,
    hint: HashHint,
}

impl LockPlan {
    /// A plan that locks nothing.
    pub fn none() -> LockPlan {
        LockPlan::default()
    }

    /// The shard of one key, remembering its hash for the command's view
    /// calls: `key` must stay in place while the lock set holds the hint.
    pub fn key(db: usize, key: &[u8]) -> LockPlan {
        let hash = hash_key(key);
        let mut plan = LockPlan::none();
        plan.add_slot(Slot {
            db,
            shard: shard_of(hash),
        });
        plan.hint = HashHint::of(key, hash);
        plan
    }

    pub fn add_key(&mut self, db: usize, key: &[u8]) {
        self.add_slot(Slot {
            db,
            shard: shard_of(hash_key(key)),
        });
    }

    /// One shard by index (the expiry cycle walks shards directly).
    pub fn add_shard(&mut self, db: usize, shard: usize) {
        self.add_slot(Slot { db, shard });
    }

    /// Every shard of database `db`.
    pub fn add_db(&mut self, db: usize) {
        for shard in 0..SHARDS {
            self.add_slot(Slot { db, shard });
        }
    }

    /// Every shard of every database.
    pub fn add_all(&mut self, databases: usize) {
        for db in 0..databases {
            self.add_db(db);
        }
    }

    /// Adds everything `other` needs.
    pub fn union(&mut self, other: &LockPlan) {
        for &slot in other.slots() {
            self.add_slot(slot);
        }
    }

    fn add_slot(&mut self, slot: Slot) {
        match self.one {
            None => self.one = Some(slot),
            Some(first) if first == slot => {}
            Some(_) => self.more.push(slot),
        }
    }

    fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.one.iter().chain(self.more.iter())
    }

    pub fn is_empty(&self) -> bool {
        self.one.is_none()
    }

    /// The slots sorted and without repeats: the order locks are taken in.
    fn ordered(&self) -> Vec<Slot> {
        let mut slots: Vec<Slot> = self.slots().copied().collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }
}

/// Held shard guards, sorted by slot; a single-key command, the common case,
/// needs no allocation.
enum Guards<'a> {
    None,
    One(Slot, MutexGuard<'a, Shard>),
    Many(Vec<(Slot, MutexGuard<'a, Shard>)>),
}

impl Guards<'_> {
    fn position(&self, slot: Slot) -> Option<usize> {
        match self {
            Guards::None => None,
            Guards::One(held, _) => (*held == slot).then_some(0),
            Guards::Many(many) => many.binary_search_by_key(&slot, |(s, _)| *s).ok(),
        }
    }

    #[inline]
    fn get_mut(&mut self, slot: Slot) -> Option<&mut Shard> {
        match self {
            Guards::None => None,
            Guards::One(held, guard) => (*held == slot).then_some(&mut **guard),
            Guards::Many(many) => {
                let at = many.binary_search_by_key(&slot, |(s, _)| *s).ok()?;
                Some(&mut many[at].1)
            }
        }
    }
}

/// A key's hash, remembered so that a command hashes its key once although
/// locking and every view call need it. Only [`LockPlan::key`] records one,
/// from the running command's own argument, and the key is recognised by
/// address and length: arguments stay in place for the whole command, so no
/// other live buffer can share that address, and the runner forgets the
/// hint when the command is done ([`Locked::forget_hint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct HashHint {
    ptr: usize,
    len: usize,
    hash: u64,
}

impl HashHint {
    fn of(key: &[u8], hash: u64) -> HashHint {
        HashHint {
            ptr: key.as_ptr() as usize,
            len: key.len(),
            hash,
        }
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        if key.as_ptr() as usize == self.ptr && key.len() == self.len && self.ptr != 0 {
            return self.hash;
        }
        hash_key(key)
    }
}

/// The shards a command holds, the clock it sees (one instant per command,
/// as Redis fixes it) and the journal of what it changed.
pub struct Locked<'a> {
    keyspace: &'a Keyspace,
    guards: Guards<'a>,
    hint: HashHint,
    now: i64,
    journal: Journal,
    /// CLIENT NO-TOUCH: reads leave keys' access clocks alone.
    pub no_touch: bool,
}

impl<'a> Locked<'a> {
    pub(super) fn acquire(keyspace: &'a Keyspace, plan: &LockPlan) -> Locked<'a> {
        let guards = match (plan.one, plan.more.is_empty()) {
            (None, _) => Guards::None,
            (Some(slot), true) => Guards::One(slot, keyspace.mutex(slot.db, slot.shard).lock()),
            (Some(_), false) => Guards::Many(
                plan.ordered()
                    .into_iter()
                    .map(|slot| (slot, keyspace.mutex(slot.db, slot.shard).lock()))
                    .collect(),
            ),
        };
        Locked {
            keyspace,
            guards,
            hint: plan.hint,
            now: now_ms(),
            journal: Journal::new(keyspace),
            no_touch: false,
        }
    }

    pub fn keyspace(&self) -> &'a Keyspace {
        self.keyspace
    }

    /// The command's clock (unix ms), fixed when the locks were taken.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Whether these locks include every shard `plan` needs.
    pub fn covers(&self, plan: &LockPlan) -> bool {
        plan.slots().all(|slot| self.position(*slot).is_some())
    }

    /// The view of database `db` through these locks.
    pub fn db(&mut self, db: usize) -> DbView<'_, 'a> {
        DbView::new(self, db)
    }

    /// Changes recorded so far (for a runner deciding what a command did).
    pub fn changes(&self) -> u64 {
        self.journal.dirty()
    }

    /// Records an effect for the stream (a rewritten, replayable form of a write).
    pub fn emit(&mut self, db: usize, argv: &[&[u8]]) {
        self.journal.emit(db, argv);
    }

    /// Whether effect records are kept (the effect stream has a consumer);
    /// when not, building one is wasted work.
    pub fn records_effects(&self) -> bool {
        self.journal.records_effects()
    }

    /// How many effect records commands have emitted themselves so far: a
    /// runner compares it before and after a command to know whether the
    /// command rewrote its own effects.
    pub fn own_emits(&self) -> usize {
        self.journal.own_emits()
    }

    /// The effect records leave as one MULTI ... EXEC unit when there are
    /// several: a transaction's writes, as Redis propagates them.
    pub fn emit_as_unit(&mut self) {
        self.journal.emit_as_unit();
    }

    /// Exchanges the contents of two databases, both wholly locked.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if a != b && self.journal.announces() {
            self.announce_tracked(a, Some(b));
            self.announce_tracked(b, Some(a));
        }
        if a != b {
            let from_a: Vec<Shard> = self.db_shards(a).map(std::mem::take).collect();
            let from_b: Vec<Shard> = self
                .db_shards(b)
                .zip(from_a)
                .map(|(slot, incoming)| std::mem::replace(slot, incoming))
                .collect();
            for (slot, incoming) in self.db_shards(a).zip(from_b) {
                *slot = incoming;
            }
        }
        self.journal.announce_db(a, Change::Swapped(b), 0);
        self.force_propagation();
    }

    /// Counts one change, so the dispatcher propagates the command even if
    /// it changed nothing (Redis forces FLUSHALL, FLUSHDB and SWAPDB into
    /// the stream this way).
    pub fn force_propagation(&mut self) {
        self.journal.force_change();
    }

    /// Hands the journal's records to their consumers and releases the
    /// locks. Dropping a `Locked` does the same; this names the moment.
    pub fn finish(self) {}

    /// Announces, for each key of `db` the listener tracks, what emptying
    /// `db` (`with: None`) or filling it with database `with`'s contents is
    /// about to do to it. Runs before the change, on whole-database locks.
    pub(super) fn announce_tracked(&mut self, db: usize, with: Option<usize>) {
        let now = self.now;
        for key in self.keyspace.listener.tracked_keys(db) {
            let hash = hash_key(&key);
            let mut presence_in = |db: usize| {
                let slot = Slot {
                    db,
                    shard: shard_of(hash),
                };
                match self.guards.get_mut(slot) {
                    Some(shard) => presence(shard, hash, &key, now),
                    None => unlocked(slot),
                }
            };
            let before = presence_in(db);
            let after = with.map_or(Presence::Absent, presence_in);
            if (before, after) != (Presence::Absent, Presence::Absent) {
                self.journal
                    .announce(db, &key, Change::Replaced { before, after }, 0);
            }
        }
    }

    #[inline]
    pub(super) fn hash(&mut self, key: &[u8]) -> u64 {
        self.hint.hash(key)
    }

    /// Forgets the remembered key hash: a runner calls it after each
    /// command, so the next command's keys are never taken for it.
    pub fn forget_hint(&mut self) {
        self.hint = HashHint::default();
    }

    fn position(&self, slot: Slot) -> Option<usize> {
        self.guards.position(slot)
    }

    /// The locked shard holding `hash` in `db`. Using a key whose shard is
    /// not locked is a bug in a lock plan; it panics, and the dispatcher
    /// turns the panic into an error reply.
    pub(super) fn shard(&mut self, db: usize, hash: u64) -> &mut Shard {
        self.shard_and_journal(db, hash).0
    }

    /// Splits the borrow: a locked shard and the journal, for a write guard.
    #[inline]
    pub(super) fn shard_and_journal(&mut self, db: usize, hash: u64) -> (&mut Shard, &mut Journal) {
        let slot = Slot {
            db,
            shard: shard_of(hash),
        };
        match self.guards.get_mut(slot) {
            Some(shard) => (shard, &mut self.journal),
            None => unlocked(slot),
        }
    }

    /// Every shard of `db`, in index order; panics unless all are held.
    pub(super) fn db_shards(&mut self, db: usize) -> impl Iterator<Item = &mut Shard> {
        let held: Vec<&mut Shard> = match &mut self.guards {
            Guards::Many(many) => many
                .iter_mut()
                .filter(|(slot, _)| slot.db == db)
                .map(|(_, g)| &mut **g)
                .collect(),
            _ => Vec::new(),
        };
        assert!(
            held.len() == SHARDS,
            "whole-database operation on db {db} without all its locks"
        );
        held.into_iter()
    }

    /// One shard of `db` by index, if held.
    pub(super) fn shard_at(&mut self, db: usize, shard: usize) -> Option<&mut Shard> {
        self.guards.get_mut(Slot { db, shard })
    }

    pub(super) fn journal(&mut self) -> &mut Journal {
        &mut self.journal
    }
}

/// A key used without its shard's lock: a bug in a lock plan. It panics,
/// and the dispatcher turns the panic into an error reply.
#[cold]
#[inline(never)]
fn unlocked(slot: Slot) -> ! {
    panic!(
        "key of db {} shard {} used without its lock",
        slot.db, slot.shard
    )
}

impl Drop for Locked<'_> {
    /// The journal is flushed while the guards are still held (fields drop
    /// after this body runs), so consumers see changes in the order the
    /// shards were written.
    fn drop(&mut self) {
        self.journal.flush(self.keyspace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_dedup_and_cover() {
        let ks = Keyspace::new(2);
        let mut plan = LockPlan::key(0, b"a");
        plan.add_key(0, b"a");
        plan.add_key(1, b"b");
        let mut whole = LockPlan::none();
        whole.add_all(2);
        let locked = ks.lock(&whole);
        assert!(locked.covers(&plan));
        drop(locked);
        let locked = ks.lock(&plan);
        assert!(locked.covers(&LockPlan::key(0, b"a")));
        assert!(!locked.covers(&whole));
    }

    #[test]
    fn the_hash_hint_serves_only_the_remembered_argument() {
        let ks = Keyspace::new(1);
        let arg = b"key:1".to_vec();
        let mut locked = ks.lock(&LockPlan::key(0, &arg));
        assert_eq!(locked.hash(&arg), hash_key(b"key:1"));
        // Equal bytes elsewhere, and other keys, are hashed afresh.
        assert_eq!(locked.hash(b"key:1"), hash_key(b"key:1"));
        assert_eq!(locked.hash(&arg[..4]), hash_key(b"key:"));
        locked.forget_hint();
        assert_eq!(locked.hint, HashHint::default());
    }
}
