//! Every connected client, for CLIENT LIST/KILL, INFO and connection limits.
//!
//! A connection registers when accepted and unregisters when it ends. What
//! other threads need to see of a client (its address, name, database,
//! last command...) lives in its shared `ClientHandle`; the connection's
//! own hot state stays in its `Client`, private to its thread.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// What the rest of the server may see of one connection.
pub struct ClientHandle {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
}

#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    count: AtomicUsize,
}

impl ClientRegistry {
    pub fn register(&self, handle: Arc<ClientHandle>) {
        self.clients.lock().insert(handle.id, handle);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn unregister(&self, id: u64) {
        if self.clients.lock().remove(&id).is_some() {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Connected clients, without taking the lock.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Calls `f` on each client, in id order.
    pub fn for_each(&self, mut f: impl FnMut(&ClientHandle)) {
        let mut all: Vec<Arc<ClientHandle>> = self.clients.lock().values().cloned().collect();
        all.sort_by_key(|h| h.id);
        for handle in &all {
            f(handle);
        }
    }
}
