//! The one ordered stream of effects.
//!
//! Every write that changes the keyspace emits a deterministic record of
//! itself (absolute expiry times, computed results, expiries as DEL) while it
//! still holds the shard locks of its keys. Records go through one mutex, so
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

    /// Appends a record to the stream. Call while holding the locks of the keys it touches.
    pub fn emit(&self, db: usize, argv: &[&[u8]]) {
        if !self.active() {
            return;
        }
        let effect = Effect {
            db,
            argv: argv.iter().map(|a| a.to_vec()).collect(),
        };
        let mut subs = self.subscribers.lock();
        subs.retain(|s| s.send(effect.clone()).is_ok());
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
