//! The server process: shared state, worker threads and listeners.
//!
//! Thread per core: each worker thread runs its own single-threaded tokio
//! runtime, and a connection lives on one worker for its whole life. It
//! reads, parses and executes commands inline on that thread, so the hot
//! path has no hand-off between threads and no work-stealing wake-ups;
//! cores meet only on the shard locks of keys they share. One acceptor
//! hands new sockets to workers in turn, which balances connections across
//! cores for TCP and unix sockets alike.

pub mod client;
pub mod connection;
pub mod registry;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub use client::Client;

use crate::command::CommandTable;
use crate::config::Config;
use crate::keyspace::Keyspace;

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
    let hz_source = server.config.hz();
    crate::keyspace::expire::spawn(server.keyspace.clone(), move || hz_source);
    crate::observe::spawn_tick(server.clone());

    let workers: Vec<mpsc::UnboundedSender<std::net::TcpStream>> =
        (0..worker_count(&server.config))
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
) -> std::io::Result<mpsc::UnboundedSender<std::net::TcpStream>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<std::net::TcpStream>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("worker-{index}"))
        .spawn(move || {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                while let Some(stream) = rx.recv().await {
                    let server = server.clone();
                    tokio::task::spawn_local(async move {
                        if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
                            connection::serve(stream, server).await;
                        }
                    });
                }
            });
        })?;
    Ok(tx)
}

/// Binds every configured address; a `-` prefix marks an address that may be missing.
async fn bind_all(config: &Config) -> std::io::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    for addr in config.bind() {
        let (optional, host) = match addr.strip_prefix('-') {
            Some(host) => (true, host),
            None => (false, addr.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        let target: SocketAddr = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, config.port()),
            Err(_) => match tokio::net::lookup_host((host, config.port())).await?.next() {
                Some(a) => a,
                None => continue,
            },
        };
        match bind_one(target) {
            Ok(l) => listeners.push(l),
            Err(_) if optional => {}
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!(
                        "Could not create server TCP listening socket {host}:{}: {e}",
                        config.port()
                    ),
                ));
            }
        }
    }
    Ok(listeners)
}

fn bind_one(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(511)?;
    TcpListener::from_std(socket.into())
}

async fn accept_loop(
    server: Arc<Server>,
    workers: Vec<mpsc::UnboundedSender<std::net::TcpStream>>,
) -> std::io::Result<()> {
    let listeners = bind_all(&server.config).await?;
    for l in &listeners {
        crate::log::notice(&format!(
            "Ready to accept connections tcp on {}",
            l.local_addr()?
        ));
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    for listener in listeners {
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        if tx.send(stream).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        crate::log::warning(&format!("Accepting client connection: {e}"));
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                }
            }
        });
    }
    drop(tx);
    let mut next = 0;
    while let Some(stream) = rx.recv().await {
        let _ = stream.set_nodelay(true);
        let Ok(std_stream) = stream.into_std() else {
            continue;
        };
        if workers[next].send(std_stream).is_err() {
            break;
        }
        next = (next + 1) % workers.len();
    }
    let _ = server;
    Ok(())
}
