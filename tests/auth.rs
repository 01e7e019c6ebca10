//! AUTH, HELLO ... AUTH, NOAUTH and RESET against the real binary, with
//! Redis's exact error texts.

mod common;

use common::TestServer;

const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";

#[test]
fn auth_without_a_configured_password_explains_itself() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["AUTH", "x"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // The default user without a password accepts any password by name.
    assert_eq!(c.cmd(&["AUTH", "default", "x"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AUTH", "alice", "x"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["AUTH"]),
        "-ERR wrong number of arguments for 'auth' command\r\n"
    );
}

#[test]
fn hello_auth_checks_the_user() {
    let server = TestServer::start();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HELLO", "3", "AUTH", "alice", "x"]), WRONGPASS);
    let reply = c.cmd(&["HELLO", "3", "AUTH", "default", "x"]);
    assert!(reply.starts_with("%7\r\n"), "{reply}");
}

#[test]
fn requirepass_gates_commands_until_auth() {
    let server = TestServer::start_with(&["--requirepass", "pw"]);
    let mut c = server.raw();
    // Unknown commands and arity errors come first, as in Redis.
    assert_eq!(
        c.cmd(&["NOSUCH"]),
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    );
    assert_eq!(
        c.cmd(&["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(c.cmd(&["GET", "a"]), NOAUTH);
    assert_eq!(c.cmd(&["CLIENT", "ID"]), NOAUTH);
    assert_eq!(
        c.cmd(&["HELLO", "3"]),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    assert_eq!(c.cmd(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "default", "wrong"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), "$-1\r\n");
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), NOAUTH);
    assert_eq!(c.cmd(&["AUTH", "default", "pw"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), "$-1\r\n");
}

#[test]
fn hello_auth_logs_in_and_switches_protocol_at_once() {
    let server = TestServer::start_with(&["--requirepass", "pw"]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HELLO", "3", "AUTH", "default", "bad"]), WRONGPASS);
    assert_eq!(c.cmd(&["GET", "a"]), NOAUTH);
    let reply = c.cmd(&["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "me"]);
    assert!(reply.starts_with("%7\r\n"), "{reply}");
    assert_eq!(c.cmd(&["GET", "a"]), "_\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$2\r\nme\r\n");
}

#[test]
fn quit_needs_no_auth() {
    let server = TestServer::start_with(&["--requirepass", "pw"]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["QUIT"]), "+OK\r\n");
    assert!(c.is_closed());
}

#[test]
fn unauthenticated_clients_cannot_announce_many_arguments_or_big_bulks() {
    let server = TestServer::start_with(&["--requirepass", "pw"]);
    let mut many = server.raw();
    many.send(b"*11\r\n");
    assert_eq!(
        String::from_utf8_lossy(&many.read_reply()),
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert!(many.is_closed());
    let mut big = server.raw();
    big.send(b"*2\r\n$4\r\nAUTH\r\n$536870912\r\n");
    assert_eq!(
        String::from_utf8_lossy(&big.read_reply()),
        "-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    assert!(big.is_closed());
    // Within the limits, and past them once authenticated, all is well.
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", "pw"]), "+OK\r\n");
    let args: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let mut argv: Vec<&str> = vec!["DEL"];
    argv.extend(args.iter().map(String::as_str));
    assert_eq!(c.cmd(&argv), ":0\r\n");
    let value = "x".repeat(20_000);
    assert_eq!(c.cmd(&["SET", "k", &value]), "+OK\r\n");
}
