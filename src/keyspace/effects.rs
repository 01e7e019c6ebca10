//! The one ordered stream of effects.
//!
//! Every write that changes the keyspace emits a deterministic record of
//! itself (absolute expiry times, computed results, expiries as DEL) into its
//! lock set's journal, which hands them here while the locks are still held.
//! Records go through one mutex, so
//! two writes to the same key appear in the order they were applied and the
//! stream replays to the same dataset. AOF and replicas subscribe here; with
//! no subscriber, emitting is one relaxed atomic load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use parking_lot::Mutex;

/// One replayable write: the database it applies to and its command words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    pub db: usize,
    pub argv: Vec<Vec<u8>>,
}

#[derive(Default)]
pub struct Effects {
    active: AtomicBool,
    subscribers: Mutex<Vec<Sender<Effect>>>,
}

impl Effects {
    /// Whether anyone consumes effects; writers skip building records otherwise.
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Appends one lock set's records to the stream, in order. Called while
    /// the lock set is still held, so writes to the same key reach the
    /// stream in the order they were applied.
    pub fn emit_all(&self, effects: impl Iterator<Item = Effect>) {
        let mut subs = self.subscribers.lock();
        for effect in effects {
            subs.retain(|s| s.send(effect.clone()).is_ok());
        }
        if subs.is_empty() {
            self.active.store(false, Ordering::Relaxed);
        }
    }

    /// A new consumer of every effect emitted from now on.
    pub fn subscribe(&self) -> Receiver<Effect> {
        let (tx, rx) = channel();
        let mut subs = self.subscribers.lock();
        subs.push(tx);
        self.active.store(true, Ordering::Relaxed);
        rx
    }
}
