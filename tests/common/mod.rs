//! Test harness: starts the real `ferrodis` binary on a free loopback port
//! and talks to it with the `redis` crate or raw RESP bytes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestServer {
    child: Child,
    pub port: u16,
    /// The server's working directory: whatever it writes lands here, not
    /// in the repository, and goes when the server does.
    dir: Option<std::path::PathBuf>,
}

/// A fresh scratch directory for one server.
fn scratch_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-{what}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port the OS just handed out, so it is very likely still free.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts the binary with extra `--option value` arguments.
    pub fn start_with(extra: &[&str]) -> TestServer {
        let dir = scratch_dir("server");
        let (child, port) = spawn_until_pong("ferrodis", |port| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrodis"));
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(extra)
                .current_dir(&dir);
            cmd
        });
        TestServer {
            child,
            port,
            dir: Some(dir),
        }
    }

    /// Starts the binary with `leading` arguments (a config file, `-`)
    /// before the port flags, then the extra `--option value` arguments.
    pub fn start_with_args(leading: &[&str], extra: &[&str]) -> TestServer {
        let (child, port) = spawn_until_pong("ferrodis", |port| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrodis"));
            cmd.args(leading)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(extra);
            cmd
        });
        TestServer {
            child,
            port,
            dir: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `within` for the server to exit on its own.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Starts the binary listening only on the unix socket `path` (port 0).
    pub fn start_unix_only(path: &str, extra: &[&str]) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
            .args(["--port", "0", "--unixsocket", path])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ferrodis");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut s) = std::os::unix::net::UnixStream::connect(path) {
                let _ = s.write_all(b"PING\r\n");
                let mut buf = [0u8; 7];
                if s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                    return TestServer {
                        child,
                        port: 0,
                        dir: None,
                    };
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("ferrodis did not start on {path}");
    }

    /// Resident memory of the server process in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    pub fn raw(&self) -> RawConn {
        RawConn::connect(self.port)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs the binary to completion (for start-up failures, --version...),
/// feeding `stdin` when given.
pub fn run_ferrodis(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferrodis");
    let input = child.stdin.take();
    if let (Some(mut pipe), Some(text)) = (input, stdin) {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Spawns the command `make(port)` builds on a fresh free port and waits
/// until it answers PING; retries on another port if it dies or if the
/// port turns out to belong to another process (tests start servers in
/// parallel, and a PONG from someone else's server is the worst outcome).
fn spawn_until_pong(what: &str, make: impl Fn(u16) -> Command) -> (Child, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut child = make(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"PING\r\n");
                // A server with requirepass answers NOAUTH: alive all the same.
                let mut buf = [0u8; 7];
                if s.read_exact(&mut buf).is_ok() && (&buf == b"+PONG\r\n" || &buf == b"-NOAUTH") {
                    if listens_on(child.id(), port) {
                        return (child, port);
                    }
                    break;
                }
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("{what} did not start");
}

/// Whether process `pid` owns the loopback TCP listener on `port`, from
/// /proc (true where /proc cannot tell).
fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return true;
    };
    let local = format!("0100007F:{port:04X}");
    // Columns: sl local_address rem_address st ... inode (10th).
    let inode = table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        (cols.len() > 9 && cols[1] == local && cols[3] == "0A").then(|| cols[9].to_string())
    });
    let Some(inode) = inode else {
        return true;
    };
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return true;
    };
    let wanted = format!("socket:[{inode}]");
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == wanted))
}

/// A real `redis-server` used as the reference implementation by the
/// differential tests. Runs in its own temporary directory with persistence
/// off, and is killed on drop.
pub struct RedisOracle {
    child: Child,
    pub port: u16,
    /// `redis-server --version`'s `v=` field, e.g. "7.0.15".
    pub version: String,
    dir: std::path::PathBuf,
}

impl RedisOracle {
    /// The binary to run: `$FERRODIS_ORACLE` if set, else `redis-server`
    /// from PATH. None if it cannot be run.
    pub fn binary() -> Option<(String, String)> {
        let bin = std::env::var("FERRODIS_ORACLE").unwrap_or_else(|_| "redis-server".into());
        let out = Command::new(&bin).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let version = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("v="))?
            .to_string();
        Some((bin, version))
    }

    /// Starts an oracle, or None when no redis-server is installed.
    pub fn start() -> Option<RedisOracle> {
        let (bin, version) = RedisOracle::binary()?;
        let dir = std::env::temp_dir().join(format!(
            "ferrodis-oracle-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (child, port) = spawn_until_pong("redis-server", |port| {
            let mut cmd = Command::new(&bin);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--enable-debug-command", "yes"])
                .arg("--dir")
                .arg(&dir);
            cmd
        });
        Some(RedisOracle {
            child,
            port,
            version,
            dir,
        })
    }

    pub fn raw(&self) -> RawConn {
        RawConn::connect(self.port)
    }

    /// A `redis` crate connection.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for RedisOracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A connection that sends bytes and reads whole RESP replies back as bytes,
/// for asserting exact wire output.
pub struct RawConn {
    reader: BufReader<TcpStream>,
}

impl RawConn {
    pub fn connect(port: u16) -> RawConn {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        RawConn {
            reader: BufReader::new(stream),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// Sends one command as a RESP multibulk.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.send(&out);
    }

    /// Sends a command and returns its whole reply, exactly as on the wire.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_cmd(&args);
        String::from_utf8_lossy(&self.read_reply()).into_owned()
    }

    /// Reads one complete RESP2/RESP3 reply.
    pub fn read_reply(&mut self) -> Vec<u8> {
        self.try_read_reply().unwrap()
    }

    /// Reads one complete reply; an error if the connection closed, timed
    /// out or sent something that is not RESP.
    pub fn try_read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_into(&mut out)?;
        Ok(out)
    }

    fn read_into(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        use std::io::{Error, ErrorKind};
        let bad = |what: &str| Error::new(ErrorKind::InvalidData, what.to_string());
        let start = out.len();
        self.reader.read_until(b'\n', out)?;
        let line = &out[start..];
        if line.is_empty() {
            return Err(Error::new(ErrorKind::UnexpectedEof, "connection closed"));
        }
        if line.len() < 3 || !line.ends_with(b"\r\n") {
            return Err(bad("reply line without CRLF"));
        }
        let kind = line[0];
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        let count = || body.parse::<i64>().map_err(|_| bad("bad length"));
        match kind {
            b'$' | b'=' | b'!' => {
                let n = count()?;
                if n >= 0 {
                    let mut data = vec![0u8; n as usize + 2];
                    self.reader.read_exact(&mut data)?;
                    out.extend_from_slice(&data);
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = count()?;
                let items = if kind == b'%' || kind == b'|' {
                    2 * n
                } else {
                    n
                };
                for _ in 0..items.max(0) {
                    self.read_into(out)?;
                }
                if kind == b'|' {
                    self.read_into(out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// True once the server has closed the connection.
    /// Whether the server closed the connection (a reset, when it closed
    /// with our request unread, counts too).
    pub fn is_closed(&mut self) -> bool {
        use std::io::ErrorKind::{ConnectionAborted, ConnectionReset};
        let mut b = [0u8; 1];
        match self.reader.read(&mut b) {
            Ok(0) => true,
            Err(e) => matches!(e.kind(), ConnectionReset | ConnectionAborted),
            Ok(_) => false,
        }
    }
}
