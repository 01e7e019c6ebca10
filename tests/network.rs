//! Listeners and connection limits against the real binary: several binds,
//! IPv6, unix sockets, protected mode, maxclients, idle timeout, output
//! buffer limits and back-pressure.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::TestServer;

/// Sends `request` and reads until `expect.len()` bytes arrived.
fn exchange(mut stream: impl Read + Write, request: &[u8], reply_len: usize) -> Vec<u8> {
    stream.write_all(request).unwrap();
    let mut reply = vec![0u8; reply_len];
    stream.read_exact(&mut reply).unwrap();
    reply
}

fn tcp(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Whether the peer closed the stream (after any bytes it still sends).
fn closed_after(mut stream: impl Read, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

fn ipv6_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[test]
fn several_binds_serve_ipv4_and_ipv6_loopback() {
    if !ipv6_available() {
        return;
    }
    let server = TestServer::start_with(&["--bind", "127.0.0.1", "::1"]);
    let v6 = tcp(&format!("[::1]:{}", server.port));
    assert_eq!(exchange(v6, b"PING\r\n", 7), b"+PONG\r\n");
    let v4 = tcp(&format!("127.0.0.1:{}", server.port));
    assert_eq!(exchange(v4, b"PING\r\n", 7), b"+PONG\r\n");
}

#[test]
fn ipv6_clients_show_bracketed_addresses() {
    if !ipv6_available() {
        return;
    }
    let server = TestServer::start_with(&["--bind", "127.0.0.1", "::1"]);
    let mut v6 = tcp(&format!("[::1]:{}", server.port));
    v6.write_all(b"CLIENT INFO\r\n").unwrap();
    let mut buf = vec![0u8; 4096];
    let n = v6.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.contains(" addr=[::1]:"), "{text}");
    assert!(
        text.contains(&format!(" laddr=[::1]:{} ", server.port)),
        "{text}"
    );
}

#[test]
fn optional_bind_address_that_cannot_be_bound_is_skipped() {
    // 192.0.2.123 is TEST-NET-1: not an address of this machine.
    let server = TestServer::start_with(&["--bind", "127.0.0.1", "-192.0.2.123"]);
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

/// A non-loopback address of this machine, if it has one.
fn non_loopback_ipv4() -> Option<String> {
    let out = std::process::Command::new("ip")
        .args(["-o", "-4", "addr"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .filter_map(|cidr| cidr.split('/').next())
        .find(|ip| !ip.starts_with("127."))
        .map(str::to_string)
}

#[test]
fn protected_mode_denies_non_loopback_clients_without_password() {
    let Some(ip) = non_loopback_ipv4() else {
        return;
    };
    let server = TestServer::start_with(&["--bind", "127.0.0.1", &ip]);
    let mut remote = tcp(&format!("{ip}:{}", server.port));
    remote.write_all(b"PING\r\n").unwrap();
    let mut reply = Vec::new();
    remote.read_to_end(&mut reply).unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."),
        "{reply}"
    );
    assert!(reply.ends_with("NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"));
    // Loopback clients are still served.
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn protected_mode_off_lets_non_loopback_clients_in() {
    let Some(ip) = non_loopback_ipv4() else {
        return;
    };
    let server = TestServer::start_with(&["--bind", "127.0.0.1", &ip, "--protected-mode", "no"]);
    let remote = tcp(&format!("{ip}:{}", server.port));
    assert_eq!(exchange(remote, b"PING\r\n", 7), b"+PONG\r\n");
}

#[test]
fn protected_mode_lets_non_loopback_clients_in_when_a_password_is_set() {
    let Some(ip) = non_loopback_ipv4() else {
        return;
    };
    let server = TestServer::start_with(&["--bind", "127.0.0.1", &ip, "--requirepass", "pw"]);
    let remote = tcp(&format!("{ip}:{}", server.port));
    assert_eq!(exchange(remote, b"AUTH pw\r\n", 5), b"+OK\r\n");
}

fn socket_path(tag: &str) -> String {
    format!(
        "{}/ferrodis-net-{tag}-{}.sock",
        std::env::temp_dir().display(),
        std::process::id()
    )
}

#[test]
fn unix_socket_clients_are_served_with_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path("perm");
    std::fs::write(&path, b"stale").unwrap();
    let server = TestServer::start_with(&["--unixsocket", &path, "--unixsocketperm", "700"]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let mut unix = UnixStream::connect(&path).unwrap();
    unix.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(
        exchange(&mut unix, b"SET k v\r\nGET k\r\n", 12),
        b"+OK\r\n$1\r\nv\r\n"
    );
    unix.write_all(b"CLIENT INFO\r\n").unwrap();
    let mut buf = vec![0u8; 4096];
    let n = unix.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(
        text.contains(&format!(" addr={path}:0 laddr={path}:0 ")),
        "{text}"
    );
    assert!(text.contains(" flags=U "), "{text}");
    drop(server);
}

#[test]
fn port_zero_serves_only_the_unix_socket() {
    let path = socket_path("only");
    let server = TestServer::start_unix_only(&path, &[]);
    let unix = UnixStream::connect(&path).unwrap();
    assert_eq!(exchange(unix, b"PING\r\n", 7), b"+PONG\r\n");
    drop(server);
}

#[test]
fn maxclients_turns_away_the_extra_client() {
    let server = TestServer::start_with(&["--maxclients", "2"]);
    let mut first = server.raw();
    assert_eq!(first.cmd(&["PING"]), "+PONG\r\n");
    let mut second = server.raw();
    assert_eq!(second.cmd(&["PING"]), "+PONG\r\n");
    let mut third = tcp(&format!("127.0.0.1:{}", server.port));
    let mut reply = Vec::new();
    third.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"-ERR max number of clients reached\r\n");
    let stats = first.cmd(&["INFO", "stats"]);
    assert!(stats.contains("rejected_connections:1"), "{stats}");
    drop(second);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn idle_clients_are_closed_after_timeout_but_monitors_are_not() {
    let server = TestServer::start_with(&["--timeout", "1"]);
    let mut idle = server.raw();
    assert_eq!(idle.cmd(&["PING"]), "+PONG\r\n");
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    std::thread::sleep(Duration::from_millis(2600));
    assert!(idle.is_closed());
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
    let line = String::from_utf8(monitor.read_reply()).unwrap();
    assert!(line.ends_with("\"PING\"\r\n"), "{line}");
}

#[test]
fn slow_reader_is_cut_off_at_its_output_limit_while_others_are_served() {
    let server = TestServer::start_with(&["--client-output-buffer-limit", "normal 1mb 512kb 1"]);
    let mut setup = server.raw();
    let big = "x".repeat(100_000);
    assert_eq!(setup.cmd(&["SET", "big", &big]), "+OK\r\n");
    let mut slow = tcp(&format!("127.0.0.1:{}", server.port));
    slow.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = slow.write_all(&b"GET big\r\n".repeat(200));
    let mut other = server.raw();
    for _ in 0..50 {
        assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    }
    // Everything the slow client is still owed is well past 1mb: it gets cut.
    assert!(closed_after(slow, Duration::from_secs(5)));
}

#[test]
fn a_client_that_never_reads_stalls_only_itself_and_memory_stays_bounded() {
    let server = TestServer::start();
    let mut setup = server.raw();
    let big = "x".repeat(1 << 20);
    assert_eq!(setup.cmd(&["SET", "big", &big]), "+OK\r\n");
    let before = server.rss_kib();
    let mut slow = tcp(&format!("127.0.0.1:{}", server.port));
    slow.set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    // 2000 replies of 1 MiB asked for, none read: the server must stop
    // reading this client rather than buffer 2 GiB.
    let request = b"GET big\r\n".repeat(2000);
    let _ = slow.write_all(&request);
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..20 {
        assert_eq!(setup.cmd(&["PING"]), "+PONG\r\n");
    }
    let grown_mib = server.rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 64, "server grew by {grown_mib} MiB");
}

#[test]
fn config_set_port_moves_the_listener_and_a_busy_port_keeps_the_old_one() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "port", &busy_port]),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
    );
    assert_eq!(
        server.raw().cmd(&["PING"]),
        "+PONG\r\n",
        "the old port still serves"
    );
    let fresh = common::free_port();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "port", &fresh.to_string()]),
        "+OK\r\n"
    );
    assert_eq!(common::RawConn::connect(fresh).cmd(&["PING"]), "+PONG\r\n");
    assert!(std::net::TcpStream::connect(("127.0.0.1", server.port)).is_err());
    assert_eq!(
        raw.cmd(&["PING"]),
        "+PONG\r\n",
        "existing clients stay connected"
    );
    let reply = raw.cmd(&["CONFIG", "GET", "port"]);
    assert!(reply.ends_with(&format!("{fresh}\r\n")), "{reply}");
}

#[test]
fn config_set_bind_that_cannot_be_bound_keeps_the_old_addresses() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "bind", "192.0.2.123"]),
        "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n"
    );
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -192.0.2.123"]),
        "+OK\r\n"
    );
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}
