//! The consumers of the keyspace's write announcements, behind the one
//! `keyspace::Listener` the state layer installs.
//!
//! Each consumer (WATCH invalidation, keyspace notifications, client-side
//! caching invalidations, blocked-client wake-ups) is a field here with its
//! own cheap "anyone interested?" check; a lock set copies its changed keys
//! only when one of them is interested. `announce` runs while the writer
//! still holds its locks, so a consumer sees each change before any other
//! command can observe it.

use std::sync::{Arc, OnceLock};

use super::watch::Watches;
use crate::keyspace::{Announcement, Listener};

#[derive(Default)]
pub struct Hooks {
    /// WATCH: the clients whose transactions a change of their keys dooms.
    pub watches: Arc<Watches>,
    /// One more consumer, attached once (tests observe announcements so).
    attached: OnceLock<Arc<dyn Listener>>,
}

impl Hooks {
    /// Adds a consumer beside the built-in ones; only one can be attached.
    pub fn attach(&self, listener: Arc<dyn Listener>) {
        if self.attached.set(listener).is_err() {
            panic!("a listener is already attached");
        }
    }
}

impl Listener for Hooks {
    fn interested(&self) -> bool {
        self.watches.interested() || self.attached.get().is_some_and(|l| l.interested())
    }

    fn announce(&self, batch: &[Announcement]) {
        if self.watches.interested() {
            self.watches.announce(batch);
        }
        if let Some(listener) = self.attached.get() {
            listener.announce(batch);
        }
    }

    fn tracked_keys(&self, db: usize) -> Vec<Box<[u8]>> {
        let mut keys = self.watches.keys_in(db);
        if let Some(listener) = self.attached.get() {
            keys.extend(listener.tracked_keys(db));
            keys.sort_unstable();
            keys.dedup();
        }
        keys
    }
}
