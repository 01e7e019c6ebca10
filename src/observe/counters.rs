//! Per-command accounting without cross-core contention.
//!
//! Every worker thread owns one block of counters (calls, time, rejected
//! and failed calls and a latency histogram per command; error replies by
//! code; network bytes). Only the owner writes its block, with plain loads
//! and stores on memory no other core writes, so a command's accounting
//! costs a few instructions and no cache-line ping-pong. Readers (INFO,
//! LATENCY HISTOGRAM, the metrics tick) sum all blocks.
//!
//! Commands are known by their id, a number the command table gives each
//! entry (subcommands included); `Counters` is told how many there are.
//!
//! CONFIG RESETSTAT bumps an epoch instead of writing other threads'
//! counters: readers ignore blocks of an older epoch, and each owner clears
//! its block at its next command.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::ThreadId;

use parking_lot::Mutex;

use super::histogram::{Histogram, Merged};

/// Redis stops tracking new error codes past this many.
const MAX_ERROR_CODES: usize = 128;

/// A counter written by one thread only: no atomic read-modify-write needed.
#[inline]
fn bump(c: &AtomicU64, by: u64) {
    c.store(
        c.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

#[derive(Default)]
struct CommandCell {
    calls: AtomicU64,
    ns: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    /// Allocated at the command's first call: most commands never run.
    histogram: OnceLock<Box<Histogram>>,
}

impl CommandCell {
    fn clear(&self) {
        for c in [&self.calls, &self.ns, &self.rejected, &self.failed] {
            c.store(0, Ordering::Relaxed);
        }
        if let Some(h) = self.histogram.get() {
            h.clear();
        }
    }
}

/// One thread's counters.
pub struct ThreadCounters {
    epoch: AtomicU64,
    /// Sized at this thread's first command, once the table is known.
    commands: OnceLock<Box<[CommandCell]>>,
    error_replies: AtomicU64,
    errors: Mutex<BTreeMap<Box<[u8]>, u64>>,
    net_input: AtomicU64,
    net_output: AtomicU64,
    reads: AtomicU64,
    writes: AtomicU64,
}

impl ThreadCounters {
    fn new(epoch: u64) -> ThreadCounters {
        ThreadCounters {
            epoch: AtomicU64::new(epoch),
            commands: OnceLock::new(),
            error_replies: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            net_input: AtomicU64::new(0),
            net_output: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    fn clear(&self) {
        for cell in self.cells() {
            cell.clear();
        }
        for c in [
            &self.error_replies,
            &self.net_input,
            &self.net_output,
            &self.reads,
            &self.writes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
    }

    fn cells(&self) -> &[CommandCell] {
        self.commands.get().map_or(&[], |c| c)
    }

    #[inline]
    fn cell(&self, commands: usize, id: u32) -> &CommandCell {
        let cells = self
            .commands
            .get_or_init(|| (0..commands).map(|_| CommandCell::default()).collect());
        &cells[id as usize]
    }

    fn count_error(&self, code: &[u8]) {
        bump(&self.error_replies, 1);
        let mut errors = self.errors.lock();
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < MAX_ERROR_CODES {
            errors.insert(code.into(), 1);
        }
    }
}

/// Summed statistics of one command.
#[derive(Default)]
pub struct CommandTotals {
    pub calls: u64,
    pub ns: u64,
    pub rejected: u64,
    pub failed: u64,
    pub histogram: Option<Merged>,
}

/// Summed network and error counters.
#[derive(Default, Clone, Copy)]
pub struct Totals {
    pub commands: u64,
    pub command_ns: u64,
    pub error_replies: u64,
    pub net_input: u64,
    pub net_output: u64,
    pub reads: u64,
    pub writes: u64,
}

thread_local! {
    /// This thread's block and the id of the `Counters` it belongs to. A
    /// plain pointer, not an `Arc`: no destructor and no borrow flag to
    /// check on every command; `Counters::threads` keeps the block alive.
    static LOCAL: Cell<(u64, *const ThreadCounters)> = const { Cell::new((0, std::ptr::null())) };
}

static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// All threads' counters of one server.
pub struct Counters {
    instance: u64,
    epoch: AtomicU64,
    /// How many command ids there are.
    commands: usize,
    threads: Mutex<Vec<(ThreadId, Arc<ThreadCounters>)>>,
}

impl Counters {
    /// Counters for commands with ids `0..commands`.
    pub fn new(commands: usize) -> Counters {
        Counters {
            instance: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
            epoch: AtomicU64::new(0),
            commands,
            threads: Mutex::new(Vec::new()),
        }
    }

    /// This thread's block, created on first use.
    #[inline]
    fn local(&self) -> &ThreadCounters {
        let (instance, ptr) = LOCAL.get();
        let block = if instance == self.instance {
            // SAFETY: `ptr` was stored below from an `Arc` that
            // `self.threads` holds until `self` drops, and instance numbers
            // are never reused, so a matching number means a live block.
            unsafe { &*ptr }
        } else {
            let block = self.block_for_this_thread();
            LOCAL.set((self.instance, Arc::as_ptr(&block)));
            // SAFETY: as above; `self.threads` now holds `block`.
            unsafe { &*Arc::as_ptr(&block) }
        };
        let epoch = self.epoch.load(Ordering::Relaxed);
        if block.epoch.load(Ordering::Relaxed) != epoch {
            block.clear();
            block.epoch.store(epoch, Ordering::Relaxed);
        }
        block
    }

    fn block_for_this_thread(&self) -> Arc<ThreadCounters> {
        let me = std::thread::current().id();
        let mut threads = self.threads.lock();
        if let Some((_, block)) = threads.iter().find(|(id, _)| *id == me) {
            return block.clone();
        }
        let block = Arc::new(ThreadCounters::new(self.epoch.load(Ordering::Relaxed)));
        threads.push((me, block.clone()));
        block
    }

    /// A command ran for `ns`; `failed` if it replied with an error.
    #[inline]
    pub fn call(&self, id: u32, ns: u64, failed: bool) {
        let cell = self.local().cell(self.commands, id);
        bump(&cell.calls, 1);
        bump(&cell.ns, ns);
        if failed {
            bump(&cell.failed, 1);
        }
        cell.histogram.get_or_init(Box::default).record(ns);
    }

    /// A command was refused before it ran (arity, authentication...).
    pub fn rejected(&self, id: u32) {
        bump(&self.local().cell(self.commands, id).rejected, 1);
    }

    /// An error reply with this code (`ERR`, `WRONGTYPE`...) was sent.
    pub fn error_reply(&self, code: &[u8]) {
        self.local().count_error(code);
    }

    pub fn net_input(&self, bytes: u64) {
        let t = self.local();
        bump(&t.net_input, bytes);
        bump(&t.reads, 1);
    }

    pub fn net_output(&self, bytes: u64) {
        let t = self.local();
        bump(&t.net_output, bytes);
        bump(&t.writes, 1);
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        self.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// Blocks of the current epoch.
    fn current(&self) -> Vec<Arc<ThreadCounters>> {
        let epoch = self.epoch.load(Ordering::Relaxed);
        self.threads
            .lock()
            .iter()
            .filter(|(_, b)| b.epoch.load(Ordering::Relaxed) == epoch)
            .map(|(_, b)| b.clone())
            .collect()
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for b in self.current() {
            let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
            for cell in b.cells() {
                t.commands += load(&cell.calls);
                t.command_ns += load(&cell.ns);
            }
            t.error_replies += load(&b.error_replies);
            t.net_input += load(&b.net_input);
            t.net_output += load(&b.net_output);
            t.reads += load(&b.reads);
            t.writes += load(&b.writes);
        }
        t
    }

    /// Per-command sums, by command id; histograms are merged only when
    /// `histograms` is set.
    pub fn per_command(&self, histograms: bool) -> Vec<CommandTotals> {
        let mut out: Vec<CommandTotals> = (0..self.commands)
            .map(|_| CommandTotals::default())
            .collect();
        for b in self.current() {
            for (sum, cell) in out.iter_mut().zip(b.cells()) {
                sum.calls += cell.calls.load(Ordering::Relaxed);
                sum.ns += cell.ns.load(Ordering::Relaxed);
                sum.rejected += cell.rejected.load(Ordering::Relaxed);
                sum.failed += cell.failed.load(Ordering::Relaxed);
                if let (true, Some(h)) = (histograms, cell.histogram.get()) {
                    h.add_to(sum.histogram.get_or_insert_with(Merged::default));
                }
            }
        }
        out
    }

    /// Error replies by code, in code order.
    pub fn errors(&self) -> Vec<(Vec<u8>, u64)> {
        let mut all: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for b in self.current() {
            for (code, n) in b.errors.lock().iter() {
                *all.entry(code.to_vec()).or_default() += n;
            }
        }
        all.into_iter().take(MAX_ERROR_CODES).collect()
    }
}
