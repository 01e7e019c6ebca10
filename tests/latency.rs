//! LATENCY against the real binary, replies checked against redis-server.

mod common;
use common::TestServer;

#[test]
fn histogram_has_redis_shape_from_the_commands_that_ran() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for _ in 0..3 {
        raw.cmd(&["SET", "k", "v"]);
    }
    raw.cmd(&["DEBUG", "SLEEP", "0.02"]);
    let reply = raw.cmd(&["LATENCY", "HISTOGRAM", "SET", "debug", "nosuch", "get"]);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(lines[0], "*4", "{reply:?}");
    assert_eq!(&lines[1..7], ["$3", "set", "*4", "$5", "calls", ":3"]);
    assert_eq!(&lines[7..9], ["$14", "histogram_usec"]);
    let debug_at = lines.iter().position(|l| *l == "debug").unwrap();
    // 20 ms falls in the level Redis labels 33816 µs (2^25 ns).
    assert_eq!(
        &lines[debug_at + 1..],
        [
            "*4",
            "$5",
            "calls",
            ":1",
            "$14",
            "histogram_usec",
            "*2",
            ":33816",
            ":1",
            ""
        ]
    );
    raw.cmd(&["HELLO", "3"]);
    let reply = raw.cmd(&["LATENCY", "HISTOGRAM", "debug"]);
    assert_eq!(
        reply,
        "%1\r\n$5\r\ndebug\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%1\r\n:33816\r\n:1\r\n"
    );
}

#[test]
fn without_a_threshold_nothing_is_recorded() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["DEBUG", "SLEEP", "0.02"]);
    assert_eq!(raw.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
    assert_eq!(raw.cmd(&["LATENCY", "HISTORY", "command"]), "*0\r\n");
    assert_eq!(
        raw.cmd(&["LATENCY", "GRAPH", "command"]),
        "-ERR No samples available for event 'command'\r\n"
    );
    assert_eq!(raw.cmd(&["LATENCY", "RESET"]), ":0\r\n");
    assert!(
        raw.cmd(&["LATENCY", "DOCTOR"])
            .contains("latency-monitor-threshold")
    );
    assert_eq!(
        raw.cmd(&["LATENCY", "nosuch"]),
        "-ERR unknown subcommand 'nosuch'. Try LATENCY HELP.\r\n"
    );
    let help = raw.cmd(&["LATENCY", "HELP"]);
    assert!(
        help.contains("\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
            && help.ends_with("+HELP\r\n+    Prints this help.\r\n"),
        "{help:?}"
    );
}

#[test]
fn slow_commands_become_latency_events() {
    let server = TestServer::start_with(&["--latency-monitor-threshold", "10"]);
    let mut raw = server.raw();
    raw.cmd(&["DEBUG", "SLEEP", "0.03"]);
    let latest = raw.cmd(&["LATENCY", "LATEST"]);
    let lines: Vec<&str> = latest.split("\r\n").collect();
    assert_eq!(&lines[..4], ["*1", "*4", "$7", "command"], "{latest:?}");
    let ms: u64 = lines[5][1..].parse().unwrap();
    assert!((30..1000).contains(&ms), "{ms}");
    assert!(
        raw.cmd(&["LATENCY", "HISTORY", "command"])
            .starts_with("*1\r\n*2\r\n:")
    );
    assert!(
        raw.cmd(&["LATENCY", "GRAPH", "command"])
            .contains("command - high ")
    );
    assert!(raw.cmd(&["LATENCY", "DOCTOR"]).contains("command:"));
    assert_eq!(
        raw.cmd(&["LATENCY", "RESET", "command", "nosuch"]),
        ":1\r\n"
    );
    assert_eq!(raw.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
}
