//! Busy-polling while a worker has work, instead of sleeping between requests.
//!
//! A worker with nothing to run blocks in epoll until a socket is ready,
//! and waking it again costs a few microseconds of latency. Under load,
//! with one request in flight per client, that wake-up sits on every round
//! trip, so an efficient server that idles between requests answers later
//! than a busier one. So once a worker wakes, a poller task keeps yielding
//! (each yield makes the runtime poll epoll without blocking, so a request
//! that arrives is seen at once) until no connection has done any work for
//! a short while; then the worker sleeps as usual, and an idle server burns
//! nothing.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How long a worker keeps polling after its last piece of work.
const LINGER: Duration = Duration::from_micros(20);

thread_local! {
    /// Batches this worker's connections have run, so the poller sees work.
    static WORK: Cell<u64> = const { Cell::new(0) };
    /// Wakes this worker's poller when the thread wakes from a sleep.
    static WOKEN: std::cell::RefCell<Option<Arc<Notify>>> = const { std::cell::RefCell::new(None) };
}

/// Connections call this after running a batch of commands.
pub fn did_work() {
    WORK.set(WORK.get().wrapping_add(1));
}

/// Runs when the worker thread wakes from a sleep (tokio's `on_thread_unpark`).
pub fn after_wake() {
    WOKEN.with_borrow(|n| {
        if let Some(n) = n {
            n.notify_one();
        }
    });
}

/// The poller task of one worker; spawn it on the worker's runtime.
pub async fn poll_while_busy() {
    let woken = Arc::new(Notify::new());
    WOKEN.set(Some(woken.clone()));
    loop {
        woken.notified().await;
        let mut seen = WORK.get();
        let mut last_work = Instant::now();
        while last_work.elapsed() < LINGER {
            tokio::task::yield_now().await;
            if WORK.get() != seen {
                seen = WORK.get();
                last_work = Instant::now();
            }
        }
    }
}
