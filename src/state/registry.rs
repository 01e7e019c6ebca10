//! Every connected client, for CLIENT LIST/KILL, INFO, MONITOR and limits.
//!
//! A connection registers when accepted and unregisters when it ends. What
//! other threads need to see of a client (its address, name, database,
//! last command...) lives in its shared `ClientHandle`, refreshed by the
//! connection at most once per batch of commands; the connection's own hot
//! state stays in its `Client`, private to its thread. Each handle carries
//! the sending half of the client's push channel: other threads use it to
//! hand the connection data (MONITOR lines, later pub/sub messages) or to
//! close it (CLIENT KILL, idle timeout).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::util::time::coarse_now_ms;

/// What another thread may hand a connection.
pub enum Push {
    /// Bytes to append to the client's output.
    Data(Bytes),
    /// Close the connection (CLIENT KILL, timeout).
    Kill,
}

/// Flags that show in CLIENT LIST and that other threads test.
pub mod flags {
    pub const MONITOR: u32 = 1 << 0;
    pub const UNIX: u32 = 1 << 1;
    pub const NO_EVICT: u32 = 1 << 2;
    pub const NO_TOUCH: u32 = 1 << 3;
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 4;
    pub const CLOSE_ASAP: u32 = 1 << 5;
    /// Between MULTI and the end of EXEC (CLIENT LIST's `x`).
    pub const MULTI: u32 = 1 << 6;
    /// A watched key changed: EXEC will refuse (`d`). Set by writers.
    pub const DIRTY_CAS: u32 = 1 << 7;
}

/// The client's own metadata that changes rarely (names set by commands).
#[derive(Default)]
pub struct Meta {
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
}

/// What the rest of the server may see of one connection.
pub struct ClientHandle {
    pub id: u64,
    /// `ip:port`, or `path:0` for a unix socket client (CLIENT LIST's form).
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created_ms: i64,
    pub last_interaction_ms: AtomicI64,
    pub flags: AtomicU32,
    pub db: AtomicUsize,
    pub resp: AtomicU8,
    /// The id of the last command run in the command table; [`NO_COMMAND`] before any.
    last_cmd: AtomicU32,
    /// Bytes buffered: unparsed input, its capacity, unsent output.
    pub qbuf: AtomicUsize,
    pub rbs: AtomicUsize,
    pub omem: AtomicUsize,
    /// Commands queued in the open transaction, -1 outside one; and what
    /// they take (CLIENT LIST's `multi` and `multi-mem`).
    pub multi: AtomicI64,
    pub multi_mem: AtomicUsize,
    pub meta: Mutex<Meta>,
    push: mpsc::UnboundedSender<Push>,
}

impl ClientHandle {
    pub fn new(
        id: u64,
        addr: String,
        laddr: String,
        fd: i32,
        push: mpsc::UnboundedSender<Push>,
    ) -> ClientHandle {
        let now = coarse_now_ms();
        ClientHandle {
            id,
            addr,
            laddr,
            fd,
            created_ms: now,
            last_interaction_ms: AtomicI64::new(now),
            flags: AtomicU32::new(0),
            db: AtomicUsize::new(0),
            resp: AtomicU8::new(2),
            last_cmd: AtomicU32::new(NO_COMMAND),
            qbuf: AtomicUsize::new(0),
            rbs: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            multi: AtomicI64::new(-1),
            multi_mem: AtomicUsize::new(0),
            meta: Mutex::new(Meta::default()),
            push,
        }
    }

    pub fn has_flag(&self, flag: u32) -> bool {
        self.flags.load(Ordering::Relaxed) & flag != 0
    }

    pub fn set_flag(&self, flag: u32, on: bool) {
        if on {
            self.flags.fetch_or(flag, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!flag, Ordering::Relaxed);
        }
    }

    /// Records the last command by its id in the command table.
    pub fn set_last_cmd(&self, id: u32) {
        self.last_cmd.store(id, Ordering::Relaxed);
    }

    /// After a command Redis did not recognise: CLIENT LIST shows `NULL`.
    pub fn forget_last_cmd(&self) {
        self.last_cmd.store(NO_COMMAND, Ordering::Relaxed);
    }

    /// The id of the last command, `None` before any.
    pub fn last_cmd(&self) -> Option<u32> {
        Some(self.last_cmd.load(Ordering::Relaxed)).filter(|&id| id != NO_COMMAND)
    }

    /// Hands the connection something to do; false once it has gone.
    pub fn push(&self, push: Push) -> bool {
        self.push.send(push).is_ok()
    }

    pub fn is_unix(&self) -> bool {
        self.has_flag(flags::UNIX)
    }

    /// CLIENT LIST's flag letters, in Redis's order; `N` when none.
    fn flag_letters(&self) -> String {
        let f = self.flags.load(Ordering::Relaxed);
        let letters = [
            (flags::MONITOR, 'O'),
            (flags::MULTI, 'x'),
            (flags::DIRTY_CAS, 'd'),
            (flags::CLOSE_AFTER_REPLY, 'c'),
            (flags::CLOSE_ASAP, 'A'),
            (flags::UNIX, 'U'),
            (flags::NO_EVICT, 'e'),
            (flags::NO_TOUCH, 'T'),
        ];
        let out: String = letters
            .iter()
            .filter(|(bit, _)| f & bit != 0)
            .map(|&(_, c)| c)
            .collect();
        if out.is_empty() { "N".into() } else { out }
    }

    /// One CLIENT LIST line (without the newline), every field Redis 7.2
    /// prints, in its order. `argv_mem` is the size of the command being
    /// run, for the client asking about itself; `cmd_name` the full name
    /// of the last command (`NULL` before any, as Redis prints it).
    pub fn info_line_with(&self, argv_mem: usize, cmd_name: &str) -> Vec<u8> {
        let now = coarse_now_ms();
        let meta = self.meta.lock();
        let text =
            |v: &Option<Vec<u8>>| String::from_utf8_lossy(v.as_deref().unwrap_or(b"")).into_owned();
        let qbuf = self.qbuf.load(Ordering::Relaxed);
        let rbs = self.rbs.load(Ordering::Relaxed);
        let omem = self.omem.load(Ordering::Relaxed);
        let multi_mem = self.multi_mem.load(Ordering::Relaxed);
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi={} \
             qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl=0 oll=0 omem={} tot-mem={} \
             events={} cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            text(&meta.name),
            (now - self.created_ms).max(0) / 1000,
            (now - self.last_interaction_ms.load(Ordering::Relaxed)).max(0) / 1000,
            self.flag_letters(),
            self.db.load(Ordering::Relaxed),
            self.multi.load(Ordering::Relaxed),
            qbuf,
            rbs.saturating_sub(qbuf),
            argv_mem,
            multi_mem,
            rbs,
            rbs,
            omem,
            rbs + omem + argv_mem + multi_mem + std::mem::size_of::<ClientHandle>(),
            if omem > 0 { "rw" } else { "r" },
            cmd_name,
            self.resp.load(Ordering::Relaxed),
            text(&meta.lib_name),
            text(&meta.lib_ver),
        )
        .into_bytes()
    }

    /// The line the log prints of a client being closed.
    pub fn info_line(&self, cmd_name: &str) -> Vec<u8> {
        self.info_line_with(0, cmd_name)
    }
}

/// `last_cmd` before the client ran anything.
const NO_COMMAND: u32 = u32::MAX;

#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    /// Connections admitted, registered or about to be: what `maxclients` counts.
    count: AtomicUsize,
    monitors: Mutex<Vec<Arc<ClientHandle>>>,
    monitor_count: AtomicUsize,
}

impl ClientRegistry {
    /// Takes a connection slot if fewer than `max` are in use.
    pub fn admit(&self, max: usize) -> bool {
        let previous = self.count.fetch_add(1, Ordering::Relaxed);
        if previous >= max {
            self.count.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Gives back a slot taken by `admit` for a connection that never registered.
    pub fn release(&self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds an admitted connection.
    pub fn register(&self, handle: Arc<ClientHandle>) {
        self.clients.lock().insert(handle.id, handle);
    }

    /// Removes a connection and frees its slot.
    pub fn unregister(&self, id: u64) {
        if self.clients.lock().remove(&id).is_some() {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        self.stop_monitor(id);
    }

    /// Connected clients, without taking the lock.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.lock().get(&id).cloned()
    }

    /// Every client, in id order.
    pub fn snapshot(&self) -> Vec<Arc<ClientHandle>> {
        let mut all: Vec<Arc<ClientHandle>> = self.clients.lock().values().cloned().collect();
        all.sort_by_key(|h| h.id);
        all
    }

    /// Calls `f` on each client, in id order.
    pub fn for_each(&self, mut f: impl FnMut(&ClientHandle)) {
        for handle in &self.snapshot() {
            f(handle);
        }
    }

    pub fn start_monitor(&self, handle: Arc<ClientHandle>) {
        handle.set_flag(flags::MONITOR, true);
        let mut monitors = self.monitors.lock();
        if monitors.iter().all(|m| m.id != handle.id) {
            monitors.push(handle);
            self.monitor_count.store(monitors.len(), Ordering::Relaxed);
        }
    }

    /// Takes a client out of MONITOR mode (RESET, disconnect).
    pub fn stop_monitor(&self, id: u64) {
        if !self.monitoring() {
            return;
        }
        let mut monitors = self.monitors.lock();
        monitors.retain(|m| m.id != id);
        self.monitor_count.store(monitors.len(), Ordering::Relaxed);
    }

    /// Whether any client is in MONITOR mode: the one check the hot path pays.
    pub fn monitoring(&self) -> bool {
        self.monitor_count.load(Ordering::Relaxed) != 0
    }

    /// Sends one line to every monitor.
    pub fn feed_monitors(&self, line: Bytes) {
        for monitor in self.monitors.lock().iter() {
            monitor.push(Push::Data(line.clone()));
        }
    }
}
