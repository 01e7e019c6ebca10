//! Connection-level behaviour: pipelining, inline commands, protocol errors, HELLO.

mod common;
use common::TestServer;

#[test]
fn pipelined_commands_answer_in_order() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n");
    assert_eq!(raw.read_reply(), b"+OK\r\n");
    assert_eq!(raw.read_reply(), b"$1\r\nv\r\n");
    assert_eq!(raw.read_reply(), b"+PONG\r\n");
}

#[test]
fn inline_commands_honour_quotes() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"SET k \"a b\\x41\"\r\nGET k\r\n");
    assert_eq!(raw.read_reply(), b"+OK\r\n");
    assert_eq!(raw.read_reply(), b"$4\r\na bA\r\n");
}

#[test]
fn protocol_error_replies_then_closes() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"PING\r\n*1\r\n$x\r\n");
    assert_eq!(raw.read_reply(), b"+PONG\r\n");
    assert_eq!(raw.read_reply(), b"-ERR Protocol error: invalid bulk length\r\n");
    assert!(raw.is_closed());
}

#[test]
fn huge_declared_bulk_is_refused_without_allocating() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n$4294967296\r\n");
    assert_eq!(raw.read_reply(), b"-ERR Protocol error: invalid bulk length\r\n");
    let mut other = server.raw();
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn unknown_command_error_quotes_its_arguments() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["foo", "a", "b"]),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        raw.cmd(&["get"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
}

#[test]
fn hello_3_switches_to_resp3_maps() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let reply = raw.cmd(&["HELLO", "3"]);
    assert!(reply.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"), "{reply}");
    assert_eq!(raw.cmd(&["GET", "missing"]), "_\r\n");
    assert_eq!(raw.cmd(&["HELLO", "4"]), "-NOPROTO unsupported protocol version\r\n");
}

#[test]
fn redis_crate_client_round_trips_binary_values() {
    let server = TestServer::start();
    let mut con = server.conn();
    let value: Vec<u8> = (0..=255u8).collect();
    let _: () = redis::cmd("SET").arg(b"bin\0key").arg(&value).query(&mut con).unwrap();
    let got: Vec<u8> = redis::cmd("GET").arg(b"bin\0key").query(&mut con).unwrap();
    assert_eq!(got, value);
}
