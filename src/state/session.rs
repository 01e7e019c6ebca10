//! Per-connection state that commands read and change.
//!
//! `Session` is private to the connection's thread; what other threads must
//! see (name, flags, last command...) goes to its shared `ClientHandle`.
//! Its transaction (MULTI ... EXEC) and watched keys live here too; while
//! a transaction is open, and while EXEC runs it, [`Session::in_multi`] is
//! true: blocking commands check it and answer as if their wait timed out.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::multi::Transaction;
use super::registry::{ClientHandle, Push, flags};
use super::watch::{Watched, Watches};

/// Whether replies reach the client (CLIENT REPLY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Set by CLIENT REPLY SKIP: the next command's reply is dropped.
    SkipNext,
    /// The command now running has its reply dropped.
    Skip,
    /// Set by an EXEC during which CLIENT REPLY OFF ran: the replies EXEC
    /// sent before that stay; replies are off from the next command.
    OffFromNext,
}

/// One connected client.
pub struct Session {
    pub id: u64,
    /// Selected database.
    pub db: usize,
    /// Whether the client switched to RESP3 with HELLO 3.
    pub resp3: bool,
    /// Set by QUIT: close once the pending replies are written.
    pub close_after_reply: bool,
    pub addr: String,
    pub laddr: String,
    /// Whether the client may run commands that need authentication.
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    /// CLIENT NO-TOUCH: reads do not update keys' access clocks.
    pub no_touch: bool,
    pub handle: Arc<ClientHandle>,
    /// The open transaction, between MULTI and the end of EXEC.
    pub multi: Option<Box<Transaction>>,
    /// The keys WATCH registered, until EXEC, DISCARD, UNWATCH or RESET.
    pub watched: Watched,
}

impl Session {
    /// A client outside any connection (tests, in-process request feeds):
    /// authenticated, with a handle nobody else can see.
    pub fn new(id: u64, addr: String, laddr: String) -> Session {
        let (tx, _rx) = mpsc::unbounded_channel::<Push>();
        let handle = ClientHandle::new(id, addr.clone(), laddr.clone(), -1, tx);
        Session::with_handle(Arc::new(handle), true)
    }

    /// The client of a registered connection.
    pub fn with_handle(handle: Arc<ClientHandle>, authenticated: bool) -> Session {
        Session {
            id: handle.id,
            db: 0,
            resp3: false,
            close_after_reply: false,
            addr: handle.addr.clone(),
            laddr: handle.laddr.clone(),
            authenticated,
            reply_mode: ReplyMode::On,
            no_touch: false,
            handle,
            multi: None,
            watched: Watched::default(),
        }
    }

    /// SELECT: the database, also for CLIENT LIST.
    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }

    pub fn set_resp3(&mut self, on: bool) {
        self.resp3 = on;
        self.handle
            .resp
            .store(if on { 3 } else { 2 }, Ordering::Relaxed);
    }

    pub fn name(&self) -> Option<Vec<u8>> {
        self.handle.meta.lock().name.clone()
    }

    /// Sets the name; an empty name clears it, as Redis does.
    pub fn set_name(&mut self, name: &[u8]) {
        self.handle.meta.lock().name = Some(name.to_vec()).filter(|n| !n.is_empty());
    }

    pub fn set_no_touch(&mut self, on: bool) {
        self.no_touch = on;
        self.handle.set_flag(flags::NO_TOUCH, on);
    }

    /// Whether a transaction is open (or being executed).
    #[inline]
    pub fn in_multi(&self) -> bool {
        self.multi.is_some()
    }

    /// MULTI: commands are queued from now on.
    pub fn begin_transaction(&mut self) {
        self.multi = Some(Box::default());
        self.handle.set_flag(flags::MULTI, true);
        self.handle.multi.store(0, Ordering::Relaxed);
    }

    /// Queues a command of the open transaction; `writes` if it may write.
    /// A doomed transaction queues nothing, as Redis saves the memory.
    pub fn queue<'a>(&mut self, id: u32, argv: impl Iterator<Item = &'a [u8]>, writes: bool) {
        let dirty = self.watch_broken();
        let Some(tx) = self.multi.as_mut().filter(|tx| !tx.aborted && !dirty) else {
            return;
        };
        tx.queue.push(id, argv, writes);
        let handle = &self.handle;
        handle.multi.store(tx.queue.len() as i64, Ordering::Relaxed);
        handle.multi_mem.store(tx.queue.mem(), Ordering::Relaxed);
    }

    /// A command was refused while queuing: EXEC will answer EXECABORT.
    pub fn abort_transaction(&mut self) {
        if let Some(tx) = &mut self.multi {
            tx.aborted = true;
        }
    }

    /// The end of EXEC, DISCARD, RESET: no transaction, no watched keys.
    pub fn end_transaction(&mut self) {
        self.multi = None;
        self.unwatch();
        let handle = &self.handle;
        handle.set_flag(flags::MULTI, false);
        handle.multi.store(-1, Ordering::Relaxed);
        handle.multi_mem.store(0, Ordering::Relaxed);
    }

    /// WATCH of `key` in the selected database; `expired` if it is stored
    /// past its time to live right now.
    pub fn watch(&mut self, registry: &Arc<Watches>, key: &[u8], expired: bool) {
        self.watched
            .add(registry, &self.handle, self.db, key, expired);
    }

    /// Forgets the watched keys and whether one changed.
    pub fn unwatch(&mut self) {
        if !self.watched.is_empty() || self.watch_broken() {
            self.watched.clear();
            self.handle.set_flag(flags::DIRTY_CAS, false);
        }
    }

    /// Whether a watched key changed since it was watched.
    pub fn watch_broken(&self) -> bool {
        self.handle.has_flag(flags::DIRTY_CAS)
    }

    /// RESET: back to the state of a fresh connection, keeping identity.
    /// `authenticated` is what a new connection would start with.
    pub fn reset(&mut self, authenticated: bool) {
        self.end_transaction();
        self.select(0);
        self.set_resp3(false);
        self.authenticated = authenticated;
        self.reply_mode = ReplyMode::On;
        self.set_no_touch(false);
        self.set_name(b"");
        self.handle.set_flag(flags::NO_EVICT, false);
    }
}
