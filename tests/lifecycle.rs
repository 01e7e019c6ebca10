//! The process around the server: --version and --help, configuration from
//! stdin, the pid file, SIGTERM/SIGINT, daemonizing and SHUTDOWN.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestServer, free_port, run_ferrodis};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-life-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pings(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: sends a signal to a process this test started.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn version_prints_one_line_and_exits_zero() {
    for flag in ["--version", "-v"] {
        let out = run_ferrodis(&[flag], None);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("Ferrodis server v="), "{text}");
        for part in [
            " sha=",
            " malloc=mimalloc ",
            " bits=64 ",
            " build=",
            "Redis server v=7.2",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        assert_eq!(text.lines().count(), 1);
    }
}

#[test]
fn help_prints_usage_and_exits_zero() {
    for flag in ["--help", "-h"] {
        let out = run_ferrodis(&[flag], None);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("Usage: ./ferrodis [/path/to/redis.conf] [options] [-]\n"));
        assert!(text.contains("(read config from stdin)"));
    }
}

/// Starts ferrodis with `args`, feeding `stdin`, and waits until `port` answers.
fn start_fed(args: &[&str], stdin: &str, port: u16) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    eventually("PONG", || pings(port));
    child
}

fn config_get(port: u16, name: &str) -> String {
    let mut raw = common::RawConn::connect(port);
    raw.cmd(&["CONFIG", "GET", name])
}

#[test]
fn dash_reads_the_config_from_stdin_after_the_file_and_before_flags() {
    let port = free_port();
    let text = format!("port {port}\nbind 127.0.0.1\nmaxmemory-samples 7\nhz 20\n");
    let mut child = start_fed(&["-", "--hz", "30"], &text, port);
    assert!(config_get(port, "maxmemory-samples").ends_with("$1\r\n7\r\n"));
    assert!(config_get(port, "hz").ends_with("$2\r\n30\r\n"));
    let _ = child.kill();
    let _ = child.wait();

    let dir = temp_dir("stdin");
    let file = dir.join("a.conf");
    std::fs::write(&file, "maxmemory-samples 3\nhz 15\n").unwrap();
    let port = free_port();
    let text = format!("port {port}\nbind 127.0.0.1\nmaxmemory-samples 8\n");
    let mut child = start_fed(&[file.to_str().unwrap(), "-"], &text, port);
    assert!(config_get(port, "maxmemory-samples").ends_with("$1\r\n8\r\n"));
    assert!(config_get(port, "hz").ends_with("$2\r\n15\r\n"));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server with a pid file and a unix socket path in a fresh directory.
fn start_with_files(name: &str) -> (TestServer, PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let pidfile = dir.join("ferrodis.pid");
    let socket = dir.join("ferrodis.sock");
    let server = TestServer::start_with(&[
        "--pidfile",
        pidfile.to_str().unwrap(),
        "--unixsocket",
        socket.to_str().unwrap(),
    ]);
    (server, dir, pidfile, socket)
}

#[test]
fn pidfile_is_written_at_start_and_removed_on_sigterm() {
    let (mut server, dir, pidfile, socket) = start_with_files("term");
    let written = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(written.trim(), server.pid().to_string());
    if !socket.exists() {
        // Until a unix listener exists, a stand-in shows the file is removed.
        std::fs::write(&socket, "").unwrap();
    }
    signal(server.pid(), libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(10)).expect("exited");
    assert_eq!(status.code(), Some(0));
    assert!(!pidfile.exists());
    assert!(!socket.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigint_shuts_down_cleanly_too() {
    let (mut server, dir, pidfile, _) = start_with_files("int");
    signal(server.pid(), libc::SIGINT);
    let status = server.wait_exit(Duration::from_secs(10)).expect("exited");
    assert_eq!(status.code(), Some(0));
    assert!(!pidfile.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_exits_zero_and_removes_the_pidfile() {
    for variant in [
        &["SHUTDOWN"][..],
        &["SHUTDOWN", "NOSAVE"],
        &["shutdown", "now", "force"],
        &["SHUTDOWN", "SAVE", "FORCE"],
    ] {
        let (mut server, dir, pidfile, _) = start_with_files("shutdown");
        let mut raw = server.raw();
        raw.send_cmd(&variant.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
        let status = server.wait_exit(Duration::from_secs(10)).expect("exited");
        assert_eq!(status.code(), Some(0), "{variant:?}");
        assert!(raw.is_closed(), "{variant:?}");
        assert!(!pidfile.exists(), "{variant:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn shutdown_refusals_keep_the_server_running() {
    let (mut server, dir, pidfile, _) = start_with_files("refuse");
    let mut raw = server.raw();
    let cases = [
        (
            &["SHUTDOWN", "ABORT"][..],
            "-ERR No shutdown in progress.\r\n",
        ),
        (&["SHUTDOWN", "ABORT", "NOW"], "-ERR syntax error\r\n"),
        (&["SHUTDOWN", "SAVE", "NOSAVE"], "-ERR syntax error\r\n"),
        (&["SHUTDOWN", "FOO"], "-ERR syntax error\r\n"),
        // No persistence: the final save fails, as Redis answers when it does.
        (
            &["SHUTDOWN", "SAVE"],
            "-ERR Errors trying to SHUTDOWN. Check logs.\r\n",
        ),
    ];
    for (args, reply) in cases {
        assert_eq!(raw.cmd(args), reply, "{args:?}");
    }
    assert!(server.is_running());
    assert!(pidfile.exists());
    assert_eq!(raw.cmd(&["PING"]), "+PONG\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn daemonize_returns_at_once_and_the_daemon_serves_until_shutdown() {
    let dir = temp_dir("daemon");
    let pidfile = dir.join("d.pid");
    let logfile = dir.join("d.log");
    let port = free_port();
    let status = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .args([
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args([
            "--pidfile",
            pidfile.to_str().unwrap(),
            "--logfile",
            logfile.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    eventually("daemon PONG", || pings(port));
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid));
    let mut raw = common::RawConn::connect(port);
    raw.send_cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(raw.is_closed());
    eventually("daemon exit", || !alive(pid) && !pidfile.exists());
    let log = std::fs::read_to_string(&logfile).unwrap();
    for line in [
        "just started",
        "Running mode=standalone",
        "Server initialized",
        "bye bye",
    ] {
        assert!(log.contains(line), "{line} in {log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn log_lines_have_redis_shape_and_respect_loglevel() {
    let dir = temp_dir("log");
    let logfile = dir.join("f.log");
    let mut server = TestServer::start_with(&[
        "--logfile",
        logfile.to_str().unwrap(),
        "--loglevel",
        "warning",
    ]);
    signal(server.pid(), libc::SIGTERM);
    server.wait_exit(Duration::from_secs(10)).expect("exited");
    let log = std::fs::read_to_string(&logfile).unwrap();
    let pid = server.pid();
    for line in log.lines() {
        // pid:role dd Mon yyyy hh:mm:ss.mmm <level> message
        let (head, _) = line.split_once(' ').unwrap();
        assert!(
            head == format!("{pid}:C") || head == format!("{pid}:M"),
            "{line}"
        );
        let fields: Vec<&str> = line.splitn(7, ' ').collect();
        assert_eq!(fields[4].len(), 12, "{line}");
        assert_eq!(fields[5], "#", "only warnings at loglevel warning: {line}");
    }
    assert!(log.contains("Received SIGTERM scheduling shutdown..."));
    assert!(!log.contains("Removing the pid file."), "a notice line");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn start_up_logs_the_pid_banner_then_initialized_then_ready_in_order() {
    let dir = temp_dir("banner");
    let logfile = dir.join("f.log");
    let mut server = TestServer::start_with(&[
        "--logfile",
        logfile.to_str().unwrap(),
        "--always-show-logo",
        "yes",
    ]);
    let log = std::fs::read_to_string(&logfile).unwrap();
    let at = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in the log:\n{log}"))
    };
    let pid = at(&format!("PID: {}\n", server.pid()));
    let initialized = at("Server initialized");
    let ready = at("Ready to accept connections");
    assert!(pid < initialized && initialized < ready, "{log}");
    signal(server.pid(), libc::SIGTERM);
    server.wait_exit(Duration::from_secs(10)).expect("exited");
    // Without the logo, the banner is Redis's one-line summary.
    let plain = dir.join("plain.log");
    let mut server = TestServer::start_with(&["--logfile", plain.to_str().unwrap()]);
    let log = std::fs::read_to_string(&plain).unwrap();
    assert!(log.contains("Running mode=standalone, port="), "{log}");
    assert!(!log.contains("PID: "), "{log}");
    signal(server.pid(), libc::SIGTERM);
    server.wait_exit(Duration::from_secs(10)).expect("exited");
    let _ = std::fs::remove_dir_all(&dir);
}
