//! The server process: shared state, worker threads and listeners.
//!
//! Thread per core: each worker thread runs its own single-threaded tokio
//! runtime, and a connection lives on one worker for its whole life. It
//! reads, parses and executes commands inline on that thread, so the hot
//! path has no hand-off between threads and no work-stealing wake-ups;
//! cores meet only on the shard locks of keys they share. One acceptor
//! hands new sockets to workers in turn, which balances connections across
//! cores for TCP and unix sockets alike; it also runs the clients cron
//! (idle timeouts).

pub mod client;
pub mod connection;
pub mod lifecycle;
pub mod listener;
pub mod monitor;
pub mod park;
pub mod pause;
pub mod registry;
pub mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

pub use client::Client;

use crate::command::CommandTable;
use crate::config::Config;
use crate::keyspace::Keyspace;
use listener::Accepted;
use registry::{Push, coarse_now_ms, flags};

/// State every connection shares.
pub struct Server {
    pub keyspace: Arc<Keyspace>,
    pub commands: CommandTable,
    pub config: Config,
    pub started: Instant,
    pub next_client_id: AtomicU64,
    /// Unix time (s) of the last successful save; start time until persistence exists.
    pub lastsave: AtomicI64,
    pub clients: registry::ClientRegistry,
    pub stats: stats::ServerStats,
    pub pause: pause::Pause,
    /// How CONFIG SET bind/port reaches the acceptor; set once it runs.
    pub listener_changes: parking_lot::Mutex<Option<mpsc::UnboundedSender<ListenerChange>>>,
}

impl Server {
    pub fn new(config: Config) -> Server {
        Server {
            keyspace: Arc::new(Keyspace::new(config.databases())),
            commands: CommandTable::build(),
            config,
            started: Instant::now(),
            next_client_id: AtomicU64::new(1),
            lastsave: AtomicI64::new(crate::keyspace::now_ms() / 1000),
            clients: registry::ClientRegistry::default(),
            listener_changes: parking_lot::Mutex::new(None),
            stats: stats::ServerStats::default(),
            pause: pause::Pause::default(),
        }
    }

    /// CONFIG SET bind/port: like Redis, closes the TCP listeners, binds the
    /// new addresses and, if that fails, binds the old ones again; the
    /// error is Redis's reason text.
    pub fn rebind(&self, bind: &[String], port: u16) -> Result<(), &'static str> {
        let Some(changes) = self.listener_changes.lock().clone() else {
            return Err("the server is not listening yet");
        };
        let (done, closed) = std::sync::mpsc::channel();
        if changes.send(ListenerChange::CloseTcp(done)).is_err() || closed.recv().is_err() {
            return Err("the server is not listening");
        }
        let backlog = self.config.tcp_backlog();
        let result = listener::bind_tcp_all(bind, port, backlog);
        let (listeners, outcome) = match result {
            Ok(fresh) => (fresh, Ok(())),
            Err(e) => {
                crate::log::warning(&e.to_string());
                let old = listener::bind_tcp_all(&self.config.bind(), self.config.port(), backlog);
                let reason = if port != self.config.port() {
                    "Unable to listen on this port. Check server logs."
                } else {
                    "Failed to bind to specified addresses."
                };
                (old.unwrap_or_default(), Err(reason))
            }
        };
        let _ = changes.send(ListenerChange::ServeTcp(listeners));
        outcome
    }

    pub fn new_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// Worker threads to run: `io-threads` if set, else one per core we may use.
fn worker_count(config: &Config) -> usize {
    if config.io_threads() > 0 {
        return config.io_threads();
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Starts the workers and serves until the process exits.
pub fn run(config: Config) -> std::io::Result<()> {
    let server = Arc::new(Server::new(config));
    lifecycle::handle_signals(server.clone())?;
    let hz_source = server.clone();
    crate::keyspace::expire::spawn(server.keyspace.clone(), move || hz_source.config.hz());
    crate::observe::spawn_tick(server.clone());

    let workers: Vec<mpsc::UnboundedSender<Accepted>> = (0..worker_count(&server.config))
        .map(|i| spawn_worker(i, server.clone()))
        .collect::<std::io::Result<_>>()?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(accept_loop(server, workers))
}

fn spawn_worker(
    index: usize,
    server: Arc<Server>,
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
                while let Some(accepted) = rx.recv().await {
                    tokio::spawn(connection::serve(accepted, server.clone()));
                }
            });
        })?;
    Ok(tx)
}

/// What CONFIG SET bind/port asks of the acceptor.
pub enum ListenerChange {
    /// Close the TCP listeners, then acknowledge.
    CloseTcp(std::sync::mpsc::Sender<()>),
    /// Serve these freshly bound TCP listeners.
    ServeTcp(Vec<std::net::TcpListener>),
}

async fn accept_loop(
    server: Arc<Server>,
    workers: Vec<mpsc::UnboundedSender<Accepted>>,
) -> std::io::Result<()> {
    let listeners = listener::bind_all(&server.config)?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut tcp_tasks = Vec::new();
    for l in listeners {
        let tcp = matches!(l, listener::Listener::Tcp(_));
        let task = serve_listener(&server, l, &tx);
        if tcp {
            tcp_tasks.push(task);
        }
    }
    let (change_tx, mut changes) = mpsc::unbounded_channel();
    *server.listener_changes.lock() = Some(change_tx);
    tokio::spawn(clients_cron(server.clone()));
    let mut next = 0;
    loop {
        tokio::select! {
            accepted = rx.recv() => {
                let Some(accepted) = accepted else { return Ok(()) };
                if let Err(mpsc::error::SendError(_)) = workers[next].send(accepted) {
                    server.clients.release();
                    return Ok(());
                }
                next = (next + 1) % workers.len();
            }
            Some(change) = changes.recv() => match change {
                ListenerChange::CloseTcp(done) => {
                    for task in tcp_tasks.drain(..) {
                        task.abort();
                        // The listener closes when its cancelled task is dropped.
                        let _ = task.await;
                    }
                    let _ = done.send(());
                }
                ListenerChange::ServeTcp(fresh) => {
                    for l in fresh {
                        if let Ok(l) = tokio::net::TcpListener::from_std(l) {
                            tcp_tasks.push(serve_listener(&server, listener::Listener::Tcp(l), &tx));
                        }
                    }
                }
            },
        }
    }
}

fn serve_listener(
    server: &Arc<Server>,
    l: listener::Listener,
    admitted: &mpsc::UnboundedSender<Accepted>,
) -> tokio::task::JoinHandle<()> {
    crate::log::notice(&format!("Ready to accept connections {}", l.describe()));
    tokio::spawn(l.run(server.clone(), admitted.clone()))
}

/// Redis's clientsCron, for what cannot wait for a client's next request:
/// closing idle clients. Reads `timeout` on every pass, so CONFIG SET
/// takes effect at once.
async fn clients_cron(server: Arc<Server>) {
    loop {
        let period = Duration::from_millis(1000 / u64::from(server.config.hz().max(1)));
        tokio::time::sleep(period).await;
        let timeout_ms = server.config.timeout().saturating_mul(1000) as i64;
        if timeout_ms == 0 {
            continue;
        }
        let now = coarse_now_ms();
        server.clients.for_each(|client| {
            let idle = now - client.last_interaction_ms.load(Ordering::Relaxed);
            // Monitors count as replicas in Redis, which never time out.
            if idle > timeout_ms && !client.has_flag(flags::MONITOR) {
                crate::log::verbose("Closing idle client");
                client.push(Push::Kill);
            }
        });
    }
}
