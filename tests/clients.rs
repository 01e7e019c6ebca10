//! CLIENT subcommands against the real binary: LIST/INFO fields and
//! filters, KILL in both forms, PAUSE/UNPAUSE, REPLY, SETINFO, NO-TOUCH.

mod common;

use std::time::{Duration, Instant};

use common::{RawConn, TestServer};

/// `field=value` pairs of one CLIENT LIST line.
fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end()
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The text of a bulk reply.
fn bulk_text(reply: &str) -> String {
    reply
        .split_once("\r\n")
        .unwrap()
        .1
        .trim_end_matches("\r\n")
        .to_string()
}

fn field(line: &str, name: &str) -> String {
    fields(line).into_iter().find(|(k, _)| k == name).unwrap().1
}

fn client_id(c: &mut RawConn) -> String {
    c.cmd(&["CLIENT", "ID"])
        .trim_start_matches(':')
        .trim()
        .to_string()
}

#[test]
fn client_list_prints_every_redis_field_in_order() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SELECT", "2"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "me"]), "+OK\r\n");
    let info = bulk_text(&c.cmd(&["CLIENT", "INFO"]));
    let names: Vec<String> = fields(&info).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names.join(" "),
        "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem \
         multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name lib-ver"
    );
    assert_eq!(field(&info, "name"), "me");
    assert_eq!(field(&info, "db"), "2");
    assert_eq!(field(&info, "flags"), "N");
    assert_eq!(field(&info, "cmd"), "client|info");
    assert_eq!(field(&info, "argv-mem"), "10");
    assert_eq!(field(&info, "user"), "default");
    assert_eq!(field(&info, "resp"), "2");
    assert_eq!(field(&info, "laddr"), format!("127.0.0.1:{}", server.port));
    assert_eq!(field(&info, "id"), client_id(&mut c));
}

#[test]
fn client_list_shows_other_clients_last_command_and_age() {
    let server = TestServer::start();
    let mut other = server.raw();
    assert_eq!(other.cmd(&["SET", "k", "v"]), "+OK\r\n");
    let other_id = client_id(&mut other);
    std::thread::sleep(Duration::from_millis(1100));
    let mut c = server.raw();
    let list = bulk_text(&c.cmd(&["CLIENT", "LIST", "ID", &other_id]));
    assert_eq!(list.lines().count(), 1, "{list}");
    assert_eq!(field(&list, "cmd"), "client|id");
    assert!(field(&list, "age").parse::<u64>().unwrap() >= 1);
    assert!(field(&list, "idle").parse::<u64>().unwrap() >= 1);
    let all = bulk_text(&c.cmd(&["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(all.lines().count(), 2, "{all}");
    assert_eq!(c.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
}

#[test]
fn client_list_argument_errors_match_redis() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
        "-ERR Unknown client type 'foo'\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "ID", "x"]),
        "-ERR Invalid client ID\r\n"
    );
    // Any integer is an id; impossible ones match nothing.
    assert_eq!(c.cmd(&["CLIENT", "LIST", "ID", "0", "-1"]), "$0\r\n\r\n");
    assert_eq!(c.cmd(&["CLIENT", "LIST", "ID"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["CLIENT", "LIST", "foo"]), "-ERR syntax error\r\n");
}

#[test]
fn client_kill_old_form_closes_by_address() {
    let server = TestServer::start();
    let mut victim = server.raw();
    let addr = field(&bulk_text(&victim.cmd(&["CLIENT", "INFO"])), "addr");
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert!(victim.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", &addr]), "-ERR No such client\r\n");
}

#[test]
fn client_kill_filters_count_and_skip_the_caller() {
    let server = TestServer::start();
    let mut a = server.raw();
    let mut b = server.raw();
    let a_id = client_id(&mut a);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &a_id]), ":1\r\n");
    assert!(a.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &a_id]), ":0\r\n");
    let laddr = format!("127.0.0.1:{}", server.port);
    // SKIPME yes by default: only b goes.
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "LADDR", &laddr, "USER", "default"]),
        ":1\r\n"
    );
    assert!(b.is_closed());
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]),
        ":1\r\n"
    );
    assert!(c.is_closed());
}

#[test]
fn client_kill_argument_errors_match_redis() {
    let server = TestServer::start();
    let mut c = server.raw();
    for (args, reply) in [
        (
            vec!["ID", "x"],
            "-ERR client-id should be greater than 0\r\n",
        ),
        (
            vec!["ID", "0"],
            "-ERR client-id should be greater than 0\r\n",
        ),
        (vec!["TYPE", "foo"], "-ERR Unknown client type 'foo'\r\n"),
        (vec!["USER", "nobody"], "-ERR No such user 'nobody'\r\n"),
        (vec!["SKIPME", "maybe"], "-ERR syntax error\r\n"),
        (vec!["FOO", "bar"], "-ERR syntax error\r\n"),
        (vec!["SKIPME", "no", "x"], "-ERR syntax error\r\n"),
        (vec!["TYPE", "master"], ":0\r\n"),
        (vec!["ADDR", "1.1.1.1:1"], ":0\r\n"),
    ] {
        let mut full = vec!["CLIENT", "KILL"];
        full.extend(args.iter());
        assert_eq!(c.cmd(&full), reply, "{args:?}");
    }
}

#[test]
fn client_pause_write_holds_writes_but_not_reads() {
    let server = TestServer::start();
    let mut c = server.raw();
    let mut other = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "PAUSE", "400", "WRITE"]), "+OK\r\n");
    let start = Instant::now();
    assert_eq!(other.cmd(&["GET", "k"]), "$-1\r\n");
    assert!(start.elapsed() < Duration::from_millis(300));
    assert_eq!(other.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert!(
        start.elapsed() >= Duration::from_millis(350),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn client_unpause_releases_held_clients() {
    let server = TestServer::start();
    let mut c = server.raw();
    let mut other = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]), "+OK\r\n");
    other.send(b"SET k v\r\n");
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    assert_eq!(c.cmd(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(other.read_reply(), b"+OK\r\n");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn client_pause_all_holds_the_pausing_client_too() {
    let server = TestServer::start();
    let mut c = server.raw();
    let start = Instant::now();
    c.send(b"CLIENT PAUSE 300\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[test]
fn client_pause_argument_errors_match_redis() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "x"]),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "0", "foo"]),
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "0", "WRITE", "x"]),
        "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n"
    );
}

#[test]
fn client_reply_off_and_skip_drop_replies() {
    let server = TestServer::start();
    let mut c = server.raw();
    c.send(b"CLIENT REPLY SKIP\r\nPING 1\r\nPING 2\r\nCLIENT REPLY OFF\r\nPING 3\r\nCLIENT REPLY ON\r\nPING 4\r\n");
    assert_eq!(c.read_reply(), b"$1\r\n2\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$1\r\n4\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "REPLY", "maybe"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn client_names_and_library_info() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "ok"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$2\r\nok\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name", "redis-py"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "LIB-VER", "5.0"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "foo", "x"]),
        "-ERR Unrecognized option 'foo'\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-name", "a b"]),
        "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
    );
    let info = bulk_text(&c.cmd(&["CLIENT", "INFO"]));
    assert_eq!(field(&info, "lib-name"), "redis-py");
    assert_eq!(field(&info, "lib-ver"), "5.0");
}

#[test]
fn client_no_touch_keeps_reads_from_resetting_idle_time() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "on"]), "+OK\r\n");
    assert_eq!(field(&bulk_text(&c.cmd(&["CLIENT", "INFO"])), "flags"), "T");
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    let idle: i64 = c
        .cmd(&["OBJECT", "IDLETIME", "k"])
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!(idle >= 2, "idle {idle}");
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "off"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "k"]), ":0\r\n");
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "x"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
    assert_eq!(field(&bulk_text(&c.cmd(&["CLIENT", "INFO"])), "flags"), "e");
}

#[test]
fn client_list_omem_shows_replies_waiting_for_a_slow_reader() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let big = "x".repeat(8 << 20);
    assert_eq!(raw.cmd(&["SET", "big", &big]), "+OK\r\n");
    let mut slow = RawConn::connect(server.port);
    slow.send(b"CLIENT ID\r\nGET big\r\n");
    let id = slow.read_reply();
    let id = String::from_utf8_lossy(&id[1..]).trim().to_string();
    let omem_of_slow = |raw: &mut RawConn| -> u64 {
        let list = bulk_text(&raw.cmd(&["CLIENT", "LIST", "ID", &id]));
        let omem = fields(&list)
            .into_iter()
            .find(|(k, _)| k == "omem")
            .unwrap()
            .1;
        omem.parse().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while omem_of_slow(&mut raw) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(omem_of_slow(&mut raw) > 0, "replies are waiting");
    let reply = slow.read_reply();
    assert_eq!(reply.len(), big.len() + "$8388608\r\n\r\n".len());
    let deadline = Instant::now() + Duration::from_secs(5);
    while omem_of_slow(&mut raw) != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(omem_of_slow(&mut raw), 0, "nothing waits once read");
}
