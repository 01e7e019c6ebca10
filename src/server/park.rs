//! Adaptive spinning before a worker sleeps.
//!
//! A worker with nothing to run blocks in epoll until a socket is ready,
//! and waking it again costs a few microseconds of latency. Under load,
//! with one request in flight per client, that wake-up sits on every round
//! trip, so an efficient server that idles between requests answers later
//! than a busier one. Like an adaptive mutex, a worker whose last sleep
//! was short (it is busy) spins briefly before sleeping, in case the next
//! request is already on its way; a worker whose last sleep was long (it is
//! idle) sleeps at once, so an idle server burns nothing.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// A sleep shorter than this means the worker is busy.
const BUSY_SLEEP: Duration = Duration::from_micros(50);
/// How long a busy worker spins before sleeping.
const SPIN: Duration = Duration::from_micros(20);

thread_local! {
    /// When this worker last went to sleep, and whether it should spin next time.
    static STATE: Cell<(Option<Instant>, bool)> = const { Cell::new((None, false)) };
}

/// Runs just before the worker sleeps (tokio's `on_thread_park`).
pub fn before_sleep() {
    let (_, spin) = STATE.get();
    if spin {
        let start = Instant::now();
        while start.elapsed() < SPIN {
            std::hint::spin_loop();
        }
    }
    STATE.set((Some(Instant::now()), spin));
}

/// Runs when the worker wakes (tokio's `on_thread_unpark`).
pub fn after_wake() {
    let (slept_since, _) = STATE.get();
    let busy = slept_since.is_some_and(|t| t.elapsed() < BUSY_SLEEP);
    STATE.set((None, busy));
}
