//! MONITOR against the real binary: line format, quoting, redaction, and
//! which commands are left out.

mod common;

use common::TestServer;

/// Strips the `+<secs>.<micros> ` timestamp, checking its shape.
fn body(line: &[u8]) -> String {
    let line = String::from_utf8_lossy(line).into_owned();
    let (stamp, rest) = line.split_once(' ').unwrap();
    let (secs, micros) = stamp.strip_prefix('+').unwrap().split_once('.').unwrap();
    assert!(
        secs.len() >= 10 && secs.bytes().all(|b| b.is_ascii_digit()),
        "{line}"
    );
    assert!(
        micros.len() == 6 && micros.bytes().all(|b| b.is_ascii_digit()),
        "{line}"
    );
    rest.to_string()
}

#[test]
fn monitor_streams_other_clients_commands_in_redis_format() {
    let server = TestServer::start();
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    let mut c = server.raw();
    let addr = c.cmd(&["CLIENT", "INFO"]);
    let addr = addr
        .split(" addr=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    c.send_cmd(&[b"set", b"k\x00", b"a\"b\\\n\r\t\x07\x08\xff"]);
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.cmd(&["SELECT", "3"]), "+OK\r\n");
    // Admin commands and rejected commands never show.
    c.cmd(&["CLIENT", "LIST"]);
    c.cmd(&["GET"]);
    c.cmd(&["NOSUCH"]);
    c.cmd(&["AUTH", "default", "secret"]);
    c.cmd(&["HELLO", "2", "AUTH", "default", "secret", "SETNAME", "x"]);
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    let expected = [
        format!("[0 {addr}] \"set\" \"k\\x00\" \"a\\\"b\\\\\\n\\r\\t\\a\\b\\xff\"\r\n"),
        format!("[0 {addr}] \"CLIENT\" \"INFO\"\r\n"),
        format!("[3 {addr}] \"SELECT\" \"3\"\r\n"),
        format!("[3 {addr}] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"),
        format!(
            "[3 {addr}] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"x\"\r\n"
        ),
        format!("[3 {addr}] \"PING\"\r\n"),
    ];
    let mut got: Vec<String> = Vec::new();
    for _ in 0..expected.len() {
        got.push(body(&monitor.read_reply()));
    }
    // CLIENT INFO ran first; put the lines in the order the commands ran.
    let mut want = expected.to_vec();
    want.swap(0, 1);
    assert_eq!(got, want);
}

#[test]
fn second_monitor_gets_no_reply_and_reset_stops_monitoring() {
    let server = TestServer::start();
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    monitor.send(b"MONITOR\r\nRESET\r\n");
    assert_eq!(monitor.read_reply(), b"+RESET\r\n");
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(monitor.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn monitor_shows_up_in_client_list_with_flag_o() {
    let server = TestServer::start();
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    let list = server.raw().cmd(&["CLIENT", "LIST"]);
    assert!(
        list.contains(" flags=O ") && list.contains(" cmd=monitor "),
        "{list}"
    );
}
