//! The server process: worker threads, listeners, background threads, and
//! the requests only the process can carry out.
//!
//! Thread per core: each worker thread runs its own single-threaded tokio
//! runtime, and a connection lives on one worker for its whole life. It
//! reads, parses and executes commands inline on that thread, so the hot
//! path has no hand-off between threads and no work-stealing wake-ups;
//! cores meet only on the shard locks of keys they share. One acceptor
//! hands new sockets to workers in turn, which balances connections across
//! cores for TCP and unix sockets alike; it also runs the clients cron
//! (idle timeouts) and serves the process requests of `state::control`
//! (rebinding on CONFIG SET bind/port, shutdown).

pub mod conn;
pub mod listener;
pub mod park;
pub mod process;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::dispatch::Dispatcher;
use crate::state::Shared;
use crate::state::control::{Answer, Request};
use crate::state::registry::{Push, flags};
use crate::util::time::coarse_now_ms;
use listener::Accepted;

/// Worker threads to run: `io-threads` if set, else one per core we may use.
fn worker_count(shared: &Shared) -> usize {
    if shared.config.io_threads() > 0 {
        return shared.config.io_threads();
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Starts the workers and serves until the process exits.
pub fn run(dispatcher: Dispatcher) -> std::io::Result<()> {
    let dispatcher = Arc::new(dispatcher);
    process::handle_signals(dispatcher.clone())?;
    let hz_source = dispatcher.clone();
    crate::keyspace::expire::spawn(dispatcher.shared.keyspace.clone(), move || {
        hz_source.shared.config.hz()
    });
    spawn_metrics(dispatcher.clone());

    let workers: Vec<mpsc::UnboundedSender<Accepted>> = (0..worker_count(&dispatcher.shared))
        .map(|i| spawn_worker(i, dispatcher.clone()))
        .collect::<std::io::Result<_>>()?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(accept_loop(dispatcher, workers))
}

fn spawn_worker(
    index: usize,
    dispatcher: Arc<Dispatcher>,
) -> std::io::Result<mpsc::UnboundedSender<Accepted>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Accepted>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_unpark(park::after_wake)
        .build()?;
    std::thread::Builder::new()
        .name(format!("worker-{index}"))
        .spawn(move || {
            // Tasks spawned here stay on this runtime, and so on this thread.
            runtime.block_on(async move {
                tokio::spawn(park::poll_while_busy());
                tokio::spawn(tidy_memory());
                while let Some(accepted) = rx.recv().await {
                    tokio::spawn(conn::serve(accepted, dispatcher.clone()));
                }
            });
        })?;
    Ok(tx)
}

/// Runs the allocator's tidy-up on this worker once a second.
async fn tidy_memory() {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        crate::alloc::tidy_freed_memory();
    }
}

/// Samples the instantaneous metrics every 100 ms (less often when `hz` is
/// below 10, as Redis's cron would) and tracks the memory peak.
fn spawn_metrics(dispatcher: Arc<Dispatcher>) {
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            loop {
                let hz = u64::from(dispatcher.shared.config.hz().clamp(1, 500));
                std::thread::sleep(Duration::from_millis((1000 / hz).max(100)));
                dispatcher.shared.stats.sample();
            }
        })
        .expect("spawning the metrics thread");
}

async fn accept_loop(
    dispatcher: Arc<Dispatcher>,
    workers: Vec<mpsc::UnboundedSender<Accepted>>,
) -> std::io::Result<()> {
    let shared = &dispatcher.shared;
    let listeners = listener::bind_all(&shared.config)?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut tcp_tasks = Vec::new();
    for l in listeners {
        let tcp = matches!(l, listener::Listener::Tcp(_));
        let task = serve_listener(&dispatcher, l, &tx);
        if tcp {
            tcp_tasks.push(task);
        }
    }
    let mut requests = shared.control.serve();
    tokio::spawn(clients_cron(dispatcher.clone()));
    let mut next = 0;
    loop {
        tokio::select! {
            accepted = rx.recv() => {
                let Some(accepted) = accepted else { return Ok(()) };
                if let Err(mpsc::error::SendError(_)) = workers[next].send(accepted) {
                    shared.clients.release();
                    return Ok(());
                }
                next = (next + 1) % workers.len();
            }
            Some((request, done)) = requests.recv() => {
                let answer = match request {
                    Request::Rebind { bind, port } => {
                        rebind(&dispatcher, &mut tcp_tasks, &tx, &bind, port).await
                    }
                    Request::Shutdown(flags) => process::shutdown(shared, flags),
                };
                let _ = done.send(answer);
            }
        }
    }
}

/// CONFIG SET bind/port: like Redis, closes the TCP listeners, binds the
/// new addresses and, if that fails, binds the old ones again; the error
/// is Redis's reason text.
async fn rebind(
    dispatcher: &Arc<Dispatcher>,
    tcp_tasks: &mut Vec<tokio::task::JoinHandle<()>>,
    admitted: &mpsc::UnboundedSender<Accepted>,
    bind: &[String],
    port: u16,
) -> Answer {
    for task in tcp_tasks.drain(..) {
        task.abort();
        // The listener closes when its cancelled task is dropped.
        let _ = task.await;
    }
    let config = &dispatcher.shared.config;
    let backlog = config.tcp_backlog();
    let (fresh, answer) = match listener::bind_tcp_all(bind, port, backlog) {
        Ok(fresh) => (fresh, Ok(())),
        Err(e) => {
            crate::log::warning(&e.to_string());
            let old = listener::bind_tcp_all(&config.bind(), config.port(), backlog);
            let reason = if port != config.port() {
                "Unable to listen on this port. Check server logs."
            } else {
                "Failed to bind to specified addresses."
            };
            (old.unwrap_or_default(), Err(reason))
        }
    };
    for l in fresh {
        if let Ok(l) = tokio::net::TcpListener::from_std(l) {
            tcp_tasks.push(serve_listener(
                dispatcher,
                listener::Listener::Tcp(l),
                admitted,
            ));
        }
    }
    answer
}

fn serve_listener(
    dispatcher: &Arc<Dispatcher>,
    l: listener::Listener,
    admitted: &mpsc::UnboundedSender<Accepted>,
) -> tokio::task::JoinHandle<()> {
    crate::log::notice(&format!("Ready to accept connections {}", l.describe()));
    tokio::spawn(l.run(dispatcher.clone(), admitted.clone()))
}

/// Redis's clientsCron, for what cannot wait for a client's next request:
/// closing idle clients. Reads `timeout` on every pass, so CONFIG SET
/// takes effect at once.
async fn clients_cron(dispatcher: Arc<Dispatcher>) {
    let shared = &dispatcher.shared;
    loop {
        let period = Duration::from_millis(1000 / u64::from(shared.config.hz().max(1)));
        tokio::time::sleep(period).await;
        let timeout_ms = shared.config.timeout().saturating_mul(1000) as i64;
        if timeout_ms == 0 {
            continue;
        }
        let now = coarse_now_ms();
        shared.clients.for_each(|client| {
            let idle = now - client.last_interaction_ms.load(Ordering::Relaxed);
            // Monitors count as replicas in Redis, which never time out.
            if idle > timeout_ms && !client.has_flag(flags::MONITOR) {
                crate::log::verbose("Closing idle client");
                client.push(Push::Kill);
            }
        });
    }
}
