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
            stats: stats::ServerStats::default(),
            pause: pause::Pause::default(),
        }
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
        .build()?;
    std::thread::Builder::new()
        .name(format!("worker-{index}"))
        .spawn(move || {
            // Tasks spawned here stay on this runtime, and so on this thread.
            runtime.block_on(async move {
                while let Some(accepted) = rx.recv().await {
                    tokio::spawn(connection::serve(accepted, server.clone()));
                }
            });
        })?;
    Ok(tx)
}

async fn accept_loop(
    server: Arc<Server>,
    workers: Vec<mpsc::UnboundedSender<Accepted>>,
) -> std::io::Result<()> {
    let listeners = listener::bind_all(&server.config).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    for l in listeners {
        crate::log::notice(&format!("Ready to accept connections {}", l.describe()));
        tokio::spawn(l.run(server.clone(), tx.clone()));
    }
    drop(tx);
    tokio::spawn(clients_cron(server.clone()));
    let mut next = 0;
    while let Some(accepted) = rx.recv().await {
        if let Err(mpsc::error::SendError(_)) = workers[next].send(accepted) {
            server.clients.release();
            break;
        }
        next = (next + 1) % workers.len();
    }
    Ok(())
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
