//! Hostile clients against the real binary: the server keeps serving others,
//! never panics, and gives memory back.

mod common;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::TestServer;

fn assert_serving(server: &TestServer) {
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn malformed_requests_close_only_their_connection() {
    let mut server = TestServer::start();
    let garbage: &[&[u8]] = &[
        b"*-5\r\n*2\r\n$3\r\nfoo\r\n$-7\r\n",
        b"*1\r\n$3\r\nabcdef\r\n",
        b"*99999999999999999999\r\n",
        b"$5\r\nhello\r\n",
        b"*1\r\n:3\r\n",
        b"\"unterminated\r\n",
        b"*2\r\n$1\r\na\r\n*1\r\n",
        &[0xff, 0x00, b'\r', b'\n', b'*', b'\r', b'\n'],
    ];
    for bytes in garbage {
        let mut raw = server.raw();
        raw.send(bytes);
        raw.send(b"PING\r\n");
        // Whatever it answered, the server is alive and the others are served.
        assert_serving(&server);
    }
    assert!(server.is_running());
}

#[test]
fn four_gigabyte_bulk_is_refused_and_memory_stays_flat() {
    let server = TestServer::start();
    let before = server.rss_kib();
    for _ in 0..20 {
        let mut raw = server.raw();
        raw.send(b"*2\r\n$3\r\nSET\r\n$4294967296\r\n");
        assert_eq!(
            raw.read_reply(),
            b"-ERR Protocol error: invalid bulk length\r\n"
        );
    }
    // A bulk just under the limit is announced but never sent: nothing is reserved up front.
    let mut clients: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nabc")
                .unwrap();
            s
        })
        .collect();
    assert_serving(&server);
    let after = server.rss_kib();
    assert!(
        after < before + 64 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    clients.clear();
}

#[test]
fn a_million_pipelined_commands_all_get_answers() {
    let server = TestServer::start();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let count = 1_000_000usize;
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            let chunk = b"PING\r\n".repeat(10_000);
            for _ in 0..count / 10_000 {
                stream.write_all(&chunk).unwrap();
            }
        })
    };
    let expected = count * b"+PONG\r\n".len();
    let mut got = 0;
    let mut buf = vec![0u8; 1 << 16];
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    while got < expected {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {got} bytes");
        got += n;
    }
    writer.join().unwrap();
    assert_eq!(got, expected);
    assert_serving(&server);
}

#[test]
fn half_closed_and_vanishing_clients_do_not_disturb_others() {
    let server = TestServer::start();
    let mut con = server.conn();
    let big = vec![b'x'; 4 << 20];
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&big)
        .query(&mut con)
        .unwrap();
    // Sends a request, then closes its write side: the reply must still arrive.
    let mut half = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    half.write_all(b"GET big\r\n").unwrap();
    half.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    half.read_to_end(&mut reply).unwrap();
    assert_eq!(reply.len(), big.len() + b"$4194304\r\n\r\n".len());
    // Asks for many large replies and disconnects without reading them.
    for _ in 0..10 {
        let mut gone = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        gone.write_all(&b"GET big\r\n".repeat(50)).unwrap();
        drop(gone);
    }
    assert_serving(&server);
    let len: usize = redis::cmd("STRLEN")
        .arg("big")
        .query(&mut con)
        .unwrap_or(big.len());
    assert_eq!(len, big.len());
}

/// Polls the server's RSS until it is at most `limit` KiB (up to 5 s);
/// returns the last reading.
fn rss_settles_to(server: &TestServer, limit: u64) -> u64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut now = server.rss_kib();
    while now > limit && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        now = server.rss_kib();
    }
    now
}

#[test]
fn a_big_argument_arriving_in_pieces_costs_about_its_size_and_is_given_back() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["SET", "warm", "up"]);
    let before = server.rss_kib();
    const SIZE: usize = 64 << 20;
    let size_kib = SIZE as u64 >> 10;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .write_all(format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${SIZE}\r\n").as_bytes())
        .unwrap();
    let piece = vec![b'x'; 1 << 20];
    let mut peak = 0;
    for _ in 0..SIZE / piece.len() {
        stream.write_all(&piece).unwrap();
        peak = peak.max(server.rss_kib());
    }
    stream.write_all(b"\r\n").unwrap();
    let mut reply = [0u8; 5];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+OK\r\n");
    peak = peak.max(server.rss_kib());
    // At most the receive buffer and the stored value at once, never the
    // several growing copies that doubling leaves behind.
    assert!(
        peak < before + 2 * size_kib + 24 * 1024,
        "RSS peaked at {peak} KiB receiving 64 MiB (from {before} KiB)"
    );
    // The receive buffer is given back once the command has run.
    let stored = rss_settles_to(&server, before + size_kib + 16 * 1024);
    assert!(
        stored <= before + size_kib + 16 * 1024,
        "RSS stayed at {stored} KiB holding a 64 MiB value (from {before} KiB)"
    );
    assert_eq!(raw.cmd(&["STRLEN", "big"]), format!(":{SIZE}\r\n"));
    assert_eq!(raw.cmd(&["DEL", "big"]), ":1\r\n");
    drop(stream);
    let now = rss_settles_to(&server, before + 16 * 1024);
    assert!(
        now <= before + 16 * 1024,
        "RSS stayed at {now} KiB after the value and its connection were gone (from {before} KiB)"
    );
}
