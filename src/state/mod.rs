//! The state every connection and command shares, below the dispatcher:
//! the keyspace, the configuration, the client registry, statistics,
//! CLIENT PAUSE, and the channel to the process for what only it can do.
//!
//! Nothing here knows about threads, sockets or the command table; the
//! server layer builds a [`Shared`] and hands it to the dispatcher.

pub mod control;
pub mod hooks;
pub mod multi;
pub mod pause;
pub mod registry;
pub mod session;
pub mod stats;
pub mod watch;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

pub use session::Session;

use crate::config::Config;
use crate::keyspace::Keyspace;

pub struct Shared {
    pub keyspace: Arc<Keyspace>,
    pub config: Config,
    pub started: Instant,
    next_client_id: AtomicU64,
    /// Unix time (s) of the last successful save; start time until persistence exists.
    pub lastsave: AtomicI64,
    pub clients: registry::ClientRegistry,
    pub stats: stats::ServerStats,
    pub pause: pause::Pause,
    pub control: control::Control,
    /// What hears of every write (installed as the keyspace's listener).
    pub hooks: Arc<hooks::Hooks>,
}

impl Shared {
    /// Shared state for a command table of `commands` ids (statistics are kept per id).
    pub fn new(config: Config, commands: usize) -> Shared {
        let keyspace = Arc::new(Keyspace::new(config.databases()));
        let hooks = Arc::new(hooks::Hooks::default());
        keyspace.set_listener(hooks.clone());
        Shared {
            keyspace,
            hooks,
            config,
            started: Instant::now(),
            next_client_id: AtomicU64::new(1),
            lastsave: AtomicI64::new(crate::util::time::now_ms() / 1000),
            clients: registry::ClientRegistry::default(),
            stats: stats::ServerStats::new(commands),
            pause: pause::Pause::default(),
            control: control::Control::default(),
        }
    }

    pub fn new_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }
}
