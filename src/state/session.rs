//! Per-connection state that commands read and change.
//!
//! `Session` is private to the connection's thread; what other threads must
//! see (name, flags, last command...) goes to its shared `ClientHandle`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::registry::{ClientHandle, Push, flags};

/// Whether replies reach the client (CLIENT REPLY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Set by CLIENT REPLY SKIP: the next command's reply is dropped.
    SkipNext,
    /// The command now running has its reply dropped.
    Skip,
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

    /// RESET: back to the state of a fresh connection, keeping identity.
    /// `authenticated` is what a new connection would start with.
    pub fn reset(&mut self, authenticated: bool) {
        self.select(0);
        self.set_resp3(false);
        self.authenticated = authenticated;
        self.reply_mode = ReplyMode::On;
        self.set_no_touch(false);
        self.set_name(b"");
        self.handle.set_flag(flags::NO_EVICT, false);
    }
}
