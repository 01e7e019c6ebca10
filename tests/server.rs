//! TIME, LASTSAVE, DEBUG and COMMAND, byte for byte as Redis 7.2 answers
//! (replies checked against a real redis-server).

mod common;
use common::TestServer;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Splits a RESP2 array of bulk strings into its items.
fn bulk_items(reply: &str) -> Vec<String> {
    reply
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.starts_with('$') && !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn time_is_two_bulk_strings_of_seconds_and_microseconds() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let reply = raw.cmd(&["TIME"]);
    assert!(reply.starts_with("*2\r\n$"), "{reply:?}");
    let items = bulk_items(&reply);
    let secs: i64 = items[0].parse().unwrap();
    let micros: i64 = items[1].parse().unwrap();
    assert!((secs - now_secs()).abs() <= 2);
    assert!((0..1_000_000).contains(&micros));
    assert_eq!(
        raw.cmd(&["TIME", "x"]),
        "-ERR wrong number of arguments for 'time' command\r\n"
    );
}

#[test]
fn lastsave_is_an_integer_near_start_time() {
    let server = TestServer::start();
    let reply = server.raw().cmd(&["LASTSAVE"]);
    let secs: i64 = reply.trim_start_matches(':').trim_end().parse().unwrap();
    assert!((secs - now_secs()).abs() <= 60, "{reply:?}");
}

#[test]
fn debug_sleep_zero_and_garbage_reply_ok() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["DEBUG", "SLEEP", "0"]), "+OK\r\n");
    assert_eq!(raw.cmd(&["debug", "sleep", "abc"]), "+OK\r\n");
    let start = std::time::Instant::now();
    assert_eq!(raw.cmd(&["DEBUG", "SLEEP", "0.2"]), "+OK\r\n");
    assert!(start.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(
        raw.cmd(&["DEBUG", "SLEEP"]),
        "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n"
    );
}

#[test]
fn debug_unknown_subcommands_and_reload_are_refused() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "JMAP"]),
        "-ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.\r\n"
    );
    assert!(
        raw.cmd(&["DEBUG", "RELOAD"])
            .starts_with("-ERR DEBUG RELOAD is not supported")
    );
    assert_eq!(
        raw.cmd(&["DEBUG"]),
        "-ERR wrong number of arguments for 'debug' command\r\n"
    );
    assert!(
        raw.cmd(&["DEBUG", "HELP"]).starts_with(
            "*11\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        )
    );
}

/// The switch itself is observable only through key counts, which other
/// families own; here its replies are pinned, including C `atoi` parsing.
#[test]
fn debug_set_active_expire_accepts_any_value_like_redis() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for value in ["0", "1", "2", "x"] {
        assert_eq!(raw.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", value]), "+OK\r\n");
    }
    assert_eq!(raw.cmd(&["DEBUG", "set-active-expire", "1"]), "+OK\r\n");
    assert_eq!(
        raw.cmd(&["DEBUG", "set-active-expire"]),
        "-ERR unknown subcommand or wrong number of arguments for 'set-active-expire'. Try DEBUG HELP.\r\n"
    );
}

/// Every DEBUG PROTOCOL type as Redis sends it in RESP2 and in RESP3.
const PROTOCOL_REPLIES: &[(&str, &str, &str)] = &[
    ("string", "$11\r\nHello World\r\n", "$11\r\nHello World\r\n"),
    ("integer", ":12345\r\n", ":12345\r\n"),
    ("double", "$5\r\n3.141\r\n", ",3.141\r\n"),
    (
        "bignum",
        "$37\r\n1234567999999999999999999999999999999\r\n",
        "(1234567999999999999999999999999999999\r\n",
    ),
    ("null", "$-1\r\n", "_\r\n"),
    (
        "array",
        "*3\r\n:0\r\n:1\r\n:2\r\n",
        "*3\r\n:0\r\n:1\r\n:2\r\n",
    ),
    (
        "set",
        "*3\r\n:0\r\n:1\r\n:2\r\n",
        "~3\r\n:0\r\n:1\r\n:2\r\n",
    ),
    (
        "map",
        "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
        "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    ),
    (
        "attrib",
        "$39\r\nSome real reply following the attribute\r\n",
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
    ),
    (
        "verbatim",
        "$25\r\nThis is a verbatim\nstring\r\n",
        "=29\r\ntxt:This is a verbatim\nstring\r\n",
    ),
    ("true", ":1\r\n", "#t\r\n"),
    ("false", ":0\r\n", "#f\r\n"),
];

#[test]
fn debug_protocol_sends_every_type_in_resp2_and_resp3() {
    let server = TestServer::start();
    let mut raw = server.raw();
    for &(kind, resp2, _) in PROTOCOL_REPLIES {
        assert_eq!(
            raw.cmd(&["DEBUG", "PROTOCOL", kind]),
            resp2,
            "{kind} in RESP2"
        );
    }
    raw.cmd(&["HELLO", "3"]);
    for &(kind, _, resp3) in PROTOCOL_REPLIES {
        assert_eq!(
            raw.cmd(&["DEBUG", "PROTOCOL", kind]),
            resp3,
            "{kind} in RESP3"
        );
    }
}

#[test]
fn debug_protocol_push_is_resp3_only_and_precedes_the_real_reply() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "PROTOCOL", "push"]),
        "-ERR RESP2 is not supported by this command\r\n"
    );
    raw.cmd(&["HELLO", "3"]);
    assert_eq!(
        raw.cmd(&["DEBUG", "PROTOCOL", "PUSH"]),
        ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
    );
    assert_eq!(
        String::from_utf8(raw.read_reply()).unwrap(),
        "$40\r\nSome real reply following the push reply\r\n"
    );
    assert_eq!(
        raw.cmd(&["DEBUG", "PROTOCOL", "nope"]),
        "-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n"
    );
}

const GET_INFO_RESP2: &str = "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

#[test]
fn command_info_matches_redis_in_resp2_and_resp3() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["COMMAND", "INFO", "GET", "nosuch"]),
        format!("*2\r\n{GET_INFO_RESP2}$-1\r\n")
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "INFO", "ping", "lastsave"]),
        "*2\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n\
*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n\
*10\r\n$8\r\nlastsave\r\n:1\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n\
*3\r\n+@admin\r\n+@fast\r\n+@dangerous\r\n*1\r\n$23\r\nnondeterministic_output\r\n*0\r\n*0\r\n"
    );
    raw.cmd(&["HELLO", "3"]);
    assert_eq!(
        raw.cmd(&["COMMAND", "INFO", "get"]),
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
    );
}

#[test]
fn command_info_hides_the_flags_redis_hides() {
    let server = TestServer::start();
    // DEBUG is PROTECTED and COMMAND is SENTINEL in the spec; neither shows.
    assert_eq!(
        server.raw().cmd(&["COMMAND", "INFO", "debug"]),
        "*1\r\n*10\r\n$5\r\ndebug\r\n:-2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n"
    );
}

#[test]
fn bare_command_lists_every_command_and_count_agrees() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let count = raw.cmd(&["COMMAND", "COUNT"]);
    let n: usize = count.trim_start_matches(':').trim_end().parse().unwrap();
    assert!(n >= 8);
    assert!(
        raw.cmd(&["COMMAND"])
            .starts_with(&format!("*{n}\r\n*10\r\n"))
    );
    assert!(
        raw.cmd(&["COMMAND", "INFO"])
            .starts_with(&format!("*{n}\r\n*10\r\n"))
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "COUNT", "x"]),
        "-ERR wrong number of arguments for 'command|count' command\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "nope"]),
        "-ERR unknown subcommand 'nope'. Try COMMAND HELP.\r\n"
    );
}

#[test]
fn command_info_reports_subcommands_by_full_name() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["COMMAND", "INFO", "command|count"]),
        "*1\r\n*10\r\n$13\r\ncommand|count\r\n:2\r\n*2\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"
    );
    assert!(
        raw.cmd(&["COMMAND", "INFO", "command"])
            .contains("\r\n*7\r\n*10\r\n$12\r\ncommand|docs\r\n")
    );
}

#[test]
fn command_docs_maps_names_to_docs_and_skips_unknown_ones() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["COMMAND", "DOCS", "nosuch"]), "*0\r\n");
    let get = raw.cmd(&["COMMAND", "DOCS", "get", "nosuch"]);
    assert!(
        get.starts_with("*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n"),
        "{get:?}"
    );
    assert!(get.ends_with(
        "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n\
$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
    ));
    raw.cmd(&["HELLO", "3"]);
    let list = raw.cmd(&["COMMAND", "DOCS", "command|list"]);
    assert!(
        list.ends_with(
            "$9\r\narguments\r\n*1\r\n%5\r\n$4\r\nname\r\n$8\r\nfilterby\r\n$4\r\ntype\r\n$5\r\noneof\r\n\
$5\r\ntoken\r\n$8\r\nFILTERBY\r\n$5\r\nflags\r\n~1\r\n+optional\r\n$9\r\narguments\r\n*3\r\n\
%3\r\n$4\r\nname\r\n$11\r\nmodule-name\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$6\r\nMODULE\r\n\
%3\r\n$4\r\nname\r\n$8\r\ncategory\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$6\r\nACLCAT\r\n\
%3\r\n$4\r\nname\r\n$7\r\npattern\r\n$4\r\ntype\r\n$7\r\npattern\r\n$5\r\ntoken\r\n$7\r\nPATTERN\r\n"
        ),
        "{list:?}"
    );
}

#[test]
fn command_list_filters_by_category_pattern_and_module() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "COMMAND|G*"]),
        "*2\r\n$23\r\ncommand|getkeysandflags\r\n$15\r\ncommand|getkeys\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]),
        "*0\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"]),
        "*0\r\n"
    );
    let admin = raw.cmd(&["command", "list", "filterby", "aclcat", "ADMIN"]);
    assert!(admin.contains("$5\r\ndebug\r\n") && admin.contains("$8\r\nlastsave\r\n"));
    assert!(!admin.contains("$3\r\nget\r\n"));
    for bad in [
        &["COMMAND", "LIST", "x"][..],
        &["COMMAND", "LIST", "FILTERBY", "bogus", "x"],
    ] {
        assert_eq!(raw.cmd(bad), "-ERR syntax error\r\n");
    }
}

#[test]
fn command_getkeys_reports_keys_or_redis_errors() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYS", "get", "a"]),
        "*1\r\n$1\r\na\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYS", "foo", "a"]),
        "-ERR Invalid command specified\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYS", "ping", "x"]),
        "-ERR The command has no key arguments\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYS", "set", "a"]),
        "-ERR Invalid number of arguments specified for command\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYS", "command", "nope", "x"]),
        "-ERR Invalid command specified\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYSANDFLAGS", "get", "a"]),
        "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"
    );
    assert_eq!(
        raw.cmd(&["COMMAND", "GETKEYS"]),
        "-ERR wrong number of arguments for 'command|getkeys' command\r\n"
    );
}

#[test]
fn command_help_lists_the_subcommands() {
    let server = TestServer::start();
    let help = server.raw().cmd(&["COMMAND", "HELP"]);
    assert!(help.starts_with(
        "*17\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+(no subcommand)\r\n"
    ));
    assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
}
