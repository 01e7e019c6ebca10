//! Listening sockets and the admission of new connections.
//!
//! The acceptor binds every `bind` address on `port` and the `unixsocket`,
//! sets Redis's options on each accepted TCP socket (TCP_NODELAY, keepalive
//! probes), applies the admission rules (`maxclients`, protected mode) and
//! hands admitted sockets to the workers in turn.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::state::Shared;

/// An admitted socket on its way to a worker, with the addresses CLIENT LIST shows.
pub enum Accepted {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

const MAXCLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";

const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Binds every configured listener: TCP on each `bind` address unless
/// `port` is 0, and the unix socket if one is configured. Runs inside the
/// acceptor's runtime, which then owns the sockets.
pub fn bind_all(config: &Config) -> std::io::Result<Vec<Listener>> {
    let mut listeners = Vec::new();
    for l in bind_tcp_all(&config.bind(), config.port(), config.tcp_backlog())? {
        listeners.push(Listener::Tcp(TcpListener::from_std(l)?));
    }
    if let Some(path) = config.unixsocket() {
        listeners.push(Listener::Unix(bind_unix(&path, config.unixsocketperm())?));
    }
    Ok(listeners)
}

/// The TCP sockets for `bind` on `port` (none for port 0), bound and
/// listening. Blocking name resolution is fine here: it runs at start-up
/// and for CONFIG SET bind/port, as in Redis.
pub fn bind_tcp_all(
    bind: &[String],
    port: u16,
    backlog: u32,
) -> std::io::Result<Vec<std::net::TcpListener>> {
    if port == 0 {
        return Ok(Vec::new());
    }
    let mut listeners = Vec::new();
    for entry in bind {
        if let Some(l) = bind_tcp_entry(entry, port, backlog)? {
            listeners.push(l);
        }
    }
    Ok(listeners)
}

/// One `bind` entry; a `-` prefix marks an address that may be missing.
fn bind_tcp_entry(
    entry: &str,
    port: u16,
    backlog: u32,
) -> std::io::Result<Option<std::net::TcpListener>> {
    let (optional, host) = match entry.strip_prefix('-') {
        Some(host) => (true, host),
        None => (false, entry),
    };
    let host = match host {
        "*" => "0.0.0.0",
        "::*" => "::",
        other => other,
    };
    let target = match host.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, port)),
        Err(_) => resolve(host, port),
    };
    let bound = target.and_then(|addr| bind_tcp(addr, backlog));
    match bound {
        Ok(l) => Ok(Some(l)),
        Err(e) if optional || unsupported_family(&e) => {
            crate::log::warning(&format!(
                "Warning: Could not create server TCP listening socket {host}:{port}: {e}"
            ));
            Ok(None)
        }
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!("Could not create server TCP listening socket {host}:{port}: {e}"),
        )),
    }
}

/// A missing IPv6 stack is not fatal, as in Redis.
fn unsupported_family(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::EAFNOSUPPORT)
}

fn resolve(host: &str, port: u16) -> std::io::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))
}

fn bind_tcp(addr: SocketAddr, backlog: u32) -> std::io::Result<std::net::TcpListener> {
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
    socket.listen(backlog.min(i32::MAX as u32) as i32)?;
    Ok(socket.into())
}

/// Binds the unix socket, replacing a stale file, and applies `perm` (octal
/// permission bits; 0 leaves the umask's).
fn bind_unix(path: &str, perm: u32) -> std::io::Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let listener = std::os::unix::net::UnixListener::bind(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("Failed opening Unix socket: {e}")))?;
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))?;
    }
    listener.set_nonblocking(true)?;
    UnixListener::from_std(listener)
}

impl Listener {
    pub fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => match l.local_addr() {
                Ok(a) => format!("tcp on {a}"),
                Err(_) => "tcp".into(),
            },
            Listener::Unix(l) => match l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| p.to_string_lossy().into_owned()))
            {
                Some(path) => format!("unix on {path}"),
                None => "unix".into(),
            },
        }
    }

    /// Accepts connections forever, passing admitted ones to `admitted`.
    pub async fn run(
        self,
        dispatcher: std::sync::Arc<Dispatcher>,
        admitted: mpsc::UnboundedSender<Accepted>,
    ) {
        let server = &dispatcher.shared;
        loop {
            let accepted = match &self {
                Listener::Tcp(l) => l
                    .accept()
                    .await
                    .and_then(|(s, peer)| tcp_accepted(server, s, peer)),
                Listener::Unix(l) => l
                    .accept()
                    .await
                    .and_then(|(s, _)| s.into_std().map(Accepted::Unix)),
            };
            match accepted {
                Ok(conn) => {
                    if let Some(conn) = admit(server, conn)
                        && admitted.send(conn).is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    crate::log::warning(&format!("Accepting client connection: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

/// Redis's options for a client TCP socket, then the protected-mode rule.
fn tcp_accepted(
    server: &Shared,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) -> std::io::Result<Accepted> {
    stream.set_nodelay(true)?;
    let stream = stream.into_std()?;
    set_keepalive(&stream, server.config.tcp_keepalive());
    if denied_by_protected_mode(&server.config, peer.ip()) {
        reject(Accepted::Tcp(stream), PROTECTED_MODE_DENIED);
        return Err(std::io::Error::other("protected mode"));
    }
    Ok(Accepted::Tcp(stream))
}

/// Keepalive probes as Redis sets them: first after `interval` seconds of
/// silence, then every third of it, giving up after three unanswered.
fn set_keepalive(stream: &std::net::TcpStream, interval: u64) {
    if interval == 0 {
        return;
    }
    let secs = Duration::from_secs(interval);
    let params = socket2::TcpKeepalive::new()
        .with_time(secs)
        .with_interval(Duration::from_secs((interval / 3).max(1)))
        .with_retries(3);
    let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&params);
}

/// Redis 7.2 turns away non-loopback clients while protected mode is on
/// and the default user has no password, whatever the bind addresses.
fn denied_by_protected_mode(config: &Config, peer: IpAddr) -> bool {
    config.protected_mode()
        && crate::security::auth::default_user_nopass(config)
        && !is_loopback(peer)
}

/// Redis's test: an IPv4 address in 127/8 or exactly `::1`.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 127,
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// Takes a `maxclients` slot for the connection, or turns it away.
fn admit(server: &Shared, conn: Accepted) -> Option<Accepted> {
    if server.clients.admit(server.config.maxclients()) {
        return Some(conn);
    }
    server
        .stats
        .rejected_connections
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    reject(conn, MAXCLIENTS_REACHED);
    None
}

/// Sends a refused client its error line, then closes the connection
/// gracefully in the background: whatever the client already sent is read
/// and dropped first, since closing over unread input resets the
/// connection and can destroy the line before the client reads it.
fn reject(conn: Accepted, line: &'static [u8]) {
    tokio::spawn(async move {
        match conn {
            Accepted::Tcp(s) => {
                if let Ok(s) = tokio::net::TcpStream::from_std(s) {
                    say_and_close(s, line).await;
                }
            }
            Accepted::Unix(s) => {
                if let Ok(s) = tokio::net::UnixStream::from_std(s) {
                    say_and_close(s, line).await;
                }
            }
        }
    });
}

async fn say_and_close(mut stream: impl AsyncRead + AsyncWrite + Unpin, line: &[u8]) {
    if stream.write_all(line).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let drain = async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_127_slash_8_and_ipv6_one() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("127.8.9.10".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.2".parse().unwrap()));
        assert!(!is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_loopback("fd00::2".parse().unwrap()));
    }
}
