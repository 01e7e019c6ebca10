//! SLOWLOG against the real binary, replies checked against redis-server.

mod common;
use common::TestServer;

/// A command slower than the default threshold (10 ms).
fn sleep_50ms(raw: &mut common::RawConn) {
    assert_eq!(raw.cmd(&["DEBUG", "SLEEP", "0.05"]), "+OK\r\n");
}

#[test]
fn slow_commands_are_logged_with_their_client_newest_first() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["SLOWLOG", "LEN"]), ":0\r\n");
    raw.cmd(&["SET", "fast", "v"]);
    sleep_50ms(&mut raw);
    sleep_50ms(&mut raw);
    assert_eq!(raw.cmd(&["SLOWLOG", "LEN"]), ":2\r\n");
    let reply = raw.cmd(&["SLOWLOG", "GET", "1"]);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(&lines[..3], ["*1", "*6", ":1"], "{reply:?}");
    let micros: u64 = lines[4][1..].parse().unwrap();
    assert!((50_000..1_000_000).contains(&micros), "{micros}");
    assert_eq!(
        &lines[5..12],
        ["*3", "$5", "DEBUG", "$5", "SLEEP", "$4", "0.05"]
    );
    assert!(lines[13].starts_with("127.0.0.1:"), "{reply:?}");
    assert_eq!(&lines[14..], ["$0", "", ""]);
    assert!(raw.cmd(&["SLOWLOG", "GET", "-1"]).starts_with("*2\r\n"));
    assert!(raw.cmd(&["SLOWLOG", "GET"]).starts_with("*2\r\n"));
    assert_eq!(raw.cmd(&["SLOWLOG", "RESET"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["SLOWLOG", "GET"]), "*0\r\n");
}

#[test]
fn bad_counts_and_arguments_get_redis_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for bad in ["-2", "x", "99999999999999999999"] {
        assert_eq!(
            raw.cmd(&["SLOWLOG", "GET", bad]),
            "-ERR count should be greater than or equal to -1\r\n"
        );
    }
    assert_eq!(
        raw.cmd(&["SLOWLOG", "get", "1", "2"]),
        "-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n"
    );
    assert_eq!(
        raw.cmd(&["SLOWLOG", "LEN", "1"]),
        "-ERR wrong number of arguments for 'slowlog|len' command\r\n"
    );
    let help = raw.cmd(&["SLOWLOG", "HELP"]);
    assert!(
        help.contains("\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
            && help.ends_with("+HELP\r\n+    Prints this help.\r\n"),
        "{help:?}"
    );
}

#[test]
fn the_client_name_is_recorded() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["CLIENT", "SETNAME", "worker"]), "+OK\r\n");
    sleep_50ms(&mut raw);
    assert!(
        raw.cmd(&["SLOWLOG", "GET", "1"])
            .ends_with("$6\r\nworker\r\n")
    );
}

#[test]
fn zero_threshold_logs_every_command_and_trims_long_ones() {
    let server = TestServer::start_with(&["--slowlog-log-slower-than", "0"]);
    let mut raw = server.raw();
    let mut args: Vec<String> = vec!["DEL".into(), "k".into()];
    args.extend((0..40).map(|i| i.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    raw.cmd(&refs);
    let long = "x".repeat(200);
    raw.cmd(&["SET", "k2", &long]);
    let reply = raw.cmd(&["SLOWLOG", "GET", "2"]);
    assert!(reply.contains("... (72 more bytes)"), "{reply:?}");
    assert!(reply.contains("... (11 more arguments)"), "{reply:?}");
}

#[test]
fn max_len_bounds_the_log() {
    let server =
        TestServer::start_with(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"]);
    let mut raw = server.raw();
    for _ in 0..10 {
        raw.cmd(&["PING"]);
    }
    assert_eq!(raw.cmd(&["SLOWLOG", "LEN"]), ":3\r\n");
}
