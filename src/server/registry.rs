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
use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU8, AtomicU32, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::command::Command;

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
    /// The last command run, from the server's command table; null before any.
    last_cmd: AtomicPtr<Command>,
    /// Bytes buffered: unparsed input, its capacity, unsent output.
    pub qbuf: AtomicUsize,
    pub rbs: AtomicUsize,
    pub omem: AtomicUsize,
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
            last_cmd: AtomicPtr::new(std::ptr::null_mut()),
            qbuf: AtomicUsize::new(0),
            rbs: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
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

    /// Records the last command; `cmd` must come from the server's command table.
    pub fn set_last_cmd(&self, cmd: &Command) {
        self.last_cmd
            .store(cmd as *const Command as *mut Command, Ordering::Relaxed);
    }

    /// The last command's full name (`client|list`), `NULL` before any, as Redis prints it.
    pub fn last_cmd_name(&self) -> &str {
        let ptr = self.last_cmd.load(Ordering::Relaxed);
        // SAFETY: only pointers into the server's command table are stored,
        // and the table is built once and lives as long as the server that
        // owns this registry; entries are never moved or mutated after build.
        match unsafe { ptr.as_ref() } {
            Some(cmd) => &cmd.fullname,
            None => "NULL",
        }
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
    /// run, for the client asking about itself.
    pub fn info_line_with(&self, argv_mem: usize) -> Vec<u8> {
        let now = coarse_now_ms();
        let meta = self.meta.lock();
        let text =
            |v: &Option<Vec<u8>>| String::from_utf8_lossy(v.as_deref().unwrap_or(b"")).into_owned();
        let qbuf = self.qbuf.load(Ordering::Relaxed);
        let rbs = self.rbs.load(Ordering::Relaxed);
        let omem = self.omem.load(Ordering::Relaxed);
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi=-1 \
             qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl=0 oll=0 omem={} tot-mem={} \
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
            qbuf,
            rbs.saturating_sub(qbuf),
            argv_mem,
            rbs,
            rbs,
            omem,
            rbs + omem + argv_mem + std::mem::size_of::<ClientHandle>(),
            if omem > 0 { "rw" } else { "r" },
            self.last_cmd_name(),
            self.resp.load(Ordering::Relaxed),
            text(&meta.lib_name),
            text(&meta.lib_ver),
        )
        .into_bytes()
    }

    pub fn info_line(&self) -> Vec<u8> {
        self.info_line_with(0)
    }
}

/// Coarse wall-clock milliseconds (vDSO, no system call): good enough for
/// idle times in seconds and cheap enough to read once per batch.
pub fn coarse_now_ms() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

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
