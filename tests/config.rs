//! The config file, flags and the CONFIG command: every syntax rule and
//! start-up error of redis.conf, the stock Redis 7.2 redis.conf, CONFIG
//! REWRITE round trips, and CONFIG GET/SET/RESETSTAT replies compared with
//! a real redis-server.

mod common;

use std::path::PathBuf;

use common::{RedisOracle, TestServer, free_port, run_ferrodis};

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-config-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_conf(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Starts ferrodis on a file holding `body` after two comment lines (so
/// the faulty line is line 3) and returns its exit code and stderr.
fn fail_with_line(body: &str) -> (Option<i32>, String) {
    let dir = temp_dir("bad");
    let path = write_conf(&dir, "bad.conf", &format!("# first\n\n{body}\nport 0\n"));
    let out = run_ferrodis(&[&path], None);
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fatal(line: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line 3\n>>> '{line}'\n{reason}\n"
    )
}

#[test]
fn every_config_file_error_stops_start_up_with_redis_wording() {
    let cases = [
        ("foo bar", "Bad directive or wrong number of arguments"),
        ("port", "wrong number of arguments"),
        ("port 1 2", "wrong number of arguments"),
        (
            "port 70000",
            "argument must be between 0 and 65535 inclusive",
        ),
        ("hz abc", "argument couldn't be parsed into an integer"),
        ("hz 010", "argument couldn't be parsed into an integer"),
        ("daemonize maybe", "argument must be 'yes' or 'no'"),
        ("proto-max-bulk-len 1x", "argument must be a memory value"),
        (
            "proto-max-bulk-len 10",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "loglevel loud",
            "argument(s) must be one of the following: debug, verbose, notice, warning, nothing",
        ),
        ("bind \"a", "Unbalanced quotes in configuration line"),
        ("bind 'a", "Unbalanced quotes in configuration line"),
        ("bind \"a\"b", "Unbalanced quotes in configuration line"),
        ("save 1", "Invalid save parameters"),
        (
            "client-output-buffer-limit master 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit normal 1 2",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "notify-keyspace-events Z",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        ("oom-score-adj-values 1 2", "wrong number of arguments"),
        (
            "latency-tracking-info-percentiles 101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        ("include", "Bad directive or wrong number of arguments"),
    ];
    for (line, reason) in cases {
        let (code, stderr) = fail_with_line(line);
        assert_eq!(code, Some(1), "{line}");
        assert_eq!(stderr, fatal(line, reason), "{line}");
    }
}

#[test]
fn capabilities_not_built_are_refused_by_name_unless_off() {
    let cases = [
        ("appendonly yes", "'no'"),
        ("save 3600 1", "''"),
        ("tls-port 6380", "'0'"),
        ("cluster-enabled yes", "'no'"),
        ("maxmemory 1gb", "'0'"),
        ("syslog-enabled yes", "'no'"),
        ("replicaof 127.0.0.1 6380", "''"),
        ("slaveof 127.0.0.1 6380", "''"),
        ("notify-keyspace-events KEA", "''"),
    ];
    for (line, only) in cases {
        let (code, stderr) = fail_with_line(line);
        assert_eq!(code, Some(1), "{line}");
        let reason = format!("not supported yet by Ferrodis (only {only} is accepted)");
        assert_eq!(stderr, fatal(line, &reason), "{line}");
    }
    for line in [
        "rename-command FLUSHALL \"\"",
        "loadmodule /x.so",
        "user bob on",
    ] {
        let (code, stderr) = fail_with_line(line);
        assert_eq!(code, Some(1), "{line}");
        assert_eq!(
            stderr,
            fatal(line, "not supported yet by Ferrodis"),
            "{line}"
        );
    }
}

#[test]
fn off_values_of_missing_capabilities_are_accepted() {
    let dir = temp_dir("off");
    let conf = "appendonly no\nsave \"\"\ntls-port 0\ncluster-enabled no\nmaxmemory 0\n\
                replicaof no one\nnotify-keyspace-events \"\"\nsyslog-enabled no\n";
    let path = write_conf(&dir, "off.conf", conf);
    let server = TestServer::start_with_args(&[&path], &[]);
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "appendonly"]),
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_config_or_include_file_is_fatal() {
    let out = run_ferrodis(&["/nonexistent/ferrodis.conf"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "Fatal error, can't open config file '/nonexistent/ferrodis.conf': No such file or directory"
        )
    );
    let (code, stderr) = fail_with_line("include /nonexistent/inc.conf");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("can't open config file '/nonexistent/inc.conf'"),
        "{stderr}"
    );
}

#[test]
fn flag_errors_count_lines_after_the_file() {
    let dir = temp_dir("flags");
    let path = write_conf(&dir, "a.conf", "# one\nhz 10\n");
    let out = run_ferrodis(&[&path, "--maxclients", "0"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\nReading the configuration file, at line 4\n>>> 'maxclients \"0\"'\nargument must be between 1 and 4294967295 inclusive\n"
    );
}

fn get(raw: &mut common::RawConn, name: &str) -> String {
    let reply = raw.cmd(&["CONFIG", "GET", name]);
    // *2 $len name $len value: the value is the fourth line.
    reply.split("\r\n").nth(4).unwrap_or_default().to_string()
}

#[test]
fn file_syntax_quotes_units_aliases_includes_and_repeats() {
    let dir = temp_dir("syntax");
    write_conf(&dir, "inc.conf", "maxmemory-samples 7\n");
    let conf = format!(
        "# comment\n   \n  requirepass \"p w\\x41\\n\"\nmasteruser 'it\\'s'\n\
         client-query-buffer-limit 2MB\nproto-max-bulk-len 3m\nhash-max-listpack-value 1Kb\n\
         slave-read-only NO\nactiverehashing YES\nmaxmemory-policy ALLKEYS-LRU\n\
         client-output-buffer-limit pubsub 1mb 1k 5\nclient-output-buffer-limit replica 0 0 0\n\
         hz 20\nhz 30\ninclude {}\nhash-max-ziplist-entries 99\n",
        dir.join("inc.conf").display()
    );
    let path = write_conf(&dir, "main.conf", &conf);
    let server = TestServer::start_with_args(&[&path], &["--hz", "40"]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["AUTH", "p wA\n"]), "+OK\r\n");
    let expect = [
        ("requirepass", "p wA\n"),
        ("masteruser", "it's"),
        ("client-query-buffer-limit", "2097152"),
        ("proto-max-bulk-len", "3000000"),
        ("hash-max-listpack-value", "1024"),
        ("replica-read-only", "no"),
        ("slave-read-only", "no"),
        ("activerehashing", "yes"),
        ("maxmemory-policy", "allkeys-lru"),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 0 0 0 pubsub 1048576 1000 5",
        ),
        ("hz", "40"),
        ("maxmemory-samples", "7"),
        ("hash-max-listpack-entries", "99"),
    ];
    for (name, value) in expect {
        let reply = raw.cmd(&["CONFIG", "GET", name]);
        assert_eq!(
            reply,
            format!(
                "*2\r\n${}\r\n{name}\r\n${}\r\n{value}\r\n",
                name.len(),
                value.len()
            ),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn include_with_a_wildcard_reads_matching_files_in_name_order() {
    let dir = temp_dir("glob");
    std::fs::create_dir(dir.join("conf.d")).unwrap();
    write_conf(
        &dir.join("conf.d"),
        "10-a.conf",
        "maxmemory-samples 3\nhz 11\n",
    );
    write_conf(&dir.join("conf.d"), "20-b.conf", "maxmemory-samples 4\n");
    write_conf(&dir.join("conf.d"), "skip.txt", "nonsense here\n");
    let main = format!("include {}/conf.d/*.conf\n", dir.display());
    let path = write_conf(&dir, "main.conf", &main);
    let server = TestServer::start_with_args(&[&path], &[]);
    let mut raw = server.raw();
    assert_eq!(get(&mut raw, "maxmemory-samples"), "4");
    assert_eq!(get(&mut raw, "hz"), "11");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn relative_include_resolves_from_the_working_directory() {
    let dir = temp_dir("relinc");
    write_conf(&dir, "inc.conf", "maxmemory-samples 9\n");
    let path = write_conf(&dir, "main.conf", "dir .\ninclude inc.conf\n");
    let out_of_dir = run_ferrodis(&[&path, "--port", "70000"], None);
    // From elsewhere the relative include is not found.
    assert!(
        String::from_utf8_lossy(&out_of_dir.stderr).contains("can't open config file 'inc.conf'")
    );
    let abs = write_conf(
        &dir,
        "abs.conf",
        &format!("dir {}\ninclude inc.conf\n", dir.display()),
    );
    // `dir` moves the process first, so the include is found next to it.
    let server = TestServer::start_with_args(&[&abs], &[]);
    assert_eq!(get(&mut server.raw(), "maxmemory-samples"), "9");
    assert_eq!(
        get(&mut server.raw(), "dir"),
        dir.canonicalize().unwrap().display().to_string()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn stock_conf() -> Option<String> {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/redis-7.2.conf"
    ))
    .ok()
}

/// Every parameter CONFIG GET * reports, sorted.
fn all_params(raw: &mut common::RawConn) -> Vec<(String, String)> {
    let reply = raw.cmd(&["CONFIG", "GET", "*"]);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let mut pairs: Vec<(String, String)> = lines[1..]
        .chunks(4)
        .filter(|c| c.len() == 4)
        .map(|c| (c[1].to_string(), c[3].to_string()))
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn stock_redis_conf_starts_and_rewrite_round_trips_it() {
    let Some(stock) = stock_conf() else {
        return;
    };
    let dir = temp_dir("stock");
    let path = write_conf(&dir, "redis.conf", &stock);
    let pid = dir.join("p.pid").display().to_string();
    let server = TestServer::start_with_args(&[&path], &["--pidfile", &pid]);
    let mut raw = server.raw();
    let before = all_params(&mut raw);
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let rewritten = std::fs::read_to_string(&path).unwrap();
    // Comments survive in order.
    let comments = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(comments(&stock), comments(&rewritten));
    // The same server comes back from the rewritten file.
    drop(server);
    let again = TestServer::start_with_args(&[&path], &["--pidfile", &pid]);
    let mut raw = again.raw();
    let after = all_params(&mut raw);
    let differs: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b && a.0 != "port")
        .collect();
    assert!(differs.is_empty(), "{differs:?}");

    // A change is written where the directive was.
    let hz_line = rewritten
        .lines()
        .position(|l| l.starts_with("hz "))
        .unwrap();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "hz", "25", "maxmemory-samples", "6"]),
        "+OK\r\n"
    );
    assert_eq!(raw.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[hz_line], "hz 25");
    let marker = lines
        .iter()
        .position(|l| *l == "# Generated by CONFIG REWRITE")
        .unwrap();
    assert!(
        lines[marker..].contains(&"maxmemory-samples 6"),
        "{:?}",
        &lines[marker..]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rewrite_without_a_config_file_is_an_error() {
    let server = TestServer::start();
    assert_eq!(
        server.raw().cmd(&["CONFIG", "REWRITE"]),
        "-ERR The server is running without a config file\r\n"
    );
}

/// CONFIG requests whose replies must equal redis-server's byte for byte.
const SAME_AS_REDIS: &[&[&str]] = &[
    &["CONFIG", "SET", "hz", "abc"],
    &["CONFIG", "SET", "hz", "-5"],
    &["CONFIG", "SET", "hz", " 10"],
    &["CONFIG", "SET", "hz", "1000"],
    &["CONFIG", "GET", "hz"],
    &["CONFIG", "GET", "HZ"],
    &["CONFIG", "SET", "hz", "10"],
    &["CONFIG", "SET", "maxmemory-samples", "1x"],
    &["CONFIG", "SET", "active-defrag-ignore-bytes", "1x"],
    &["CONFIG", "SET", "active-defrag-ignore-bytes", "-1"],
    &["CONFIG", "SET", "activerehashing", "maybe"],
    &["CONFIG", "SET", "maxmemory-policy", "foo"],
    &["CONFIG", "SET", "nosuch", "1"],
    &["CONFIG", "SET", "hz", "10", "hz", "11"],
    &["CONFIG", "SET", "hz", "10", "HZ", "11"],
    &["CONFIG", "SET", "hz"],
    &["CONFIG", "SET", "hz", "10", "maxclients"],
    &["CONFIG", "SET", "hz", "5", "maxclients", "abc"],
    &["CONFIG", "GET", "hz"],
    &["CONFIG", "SET", "daemonize", "no"],
    &["CONFIG", "SET", "databases", "16"],
    &["CONFIG", "SET", "unixsocketperm", "777"],
    &["CONFIG", "SET", "dir", "/tmp"],
    &["CONFIG", "SET", "dbfilename", "x.rdb"],
    &["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"],
    &[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "master 1 2 3",
    ],
    &[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 1mb 2kb 3",
    ],
    &["CONFIG", "GET", "client-output-buffer-limit"],
    &["CONFIG", "SET", "proto-max-bulk-len", "10"],
    &["CONFIG", "SET", "maxclients", "0"],
    &["CONFIG", "SET", "oom-score-adj-values", "1 2"],
    &["CONFIG", "SET", "notify-keyspace-events", "Z"],
    &[
        "CONFIG",
        "SET",
        "latency-tracking-info-percentiles",
        "50 101",
    ],
    &["CONFIG", "SET", "timeout", "1.5"],
    &[
        "CONFIG",
        "SET",
        "slowlog-max-len",
        "64",
        "timeout",
        "30",
        "slave-read-only",
        "no",
    ],
    &["CONFIG", "GET", "slowlog-max-len"],
    &["CONFIG", "GET", "timeout"],
    &["CONFIG", "GET", "replica-read-only"],
    &["CONFIG", "SET", "hash-max-listpack-value", ""],
    &["CONFIG", "SET", "hash-max-listpack-value", "K"],
    &[
        "CONFIG",
        "SET",
        "hash-max-listpack-value",
        "9999999999999999999999",
    ],
    &["CONFIG", "SET", "hash-max-listpack-value", "7GB"],
    &["CONFIG", "GET", "hash-max-listpack-value"],
    &["CONFIG", "SET", "proc-title-template", "{title}"],
    &["CONFIG", "SET", "proc-title-template", "{title} {port}"],
    &["CONFIG", "SET", "proc-title-template", "{nosuch}"],
    &["CONFIG", "SET", "cluster-announce-hostname", "a b"],
    &["CONFIG", "SET", "shutdown-on-sigterm", ""],
    &["CONFIG", "SET", "shutdown-on-sigterm", "now nosave"],
    &["CONFIG", "GET", "shutdown-on-sigterm"],
    &["CONFIG", "SET", "timeout", "2147483648"],
    &["CONFIG", "SET", "appendfsync", "sometimes"],
    &["CONFIG", "SET", "maxmemory-samples", "2147483648"],
    &["CONFIG", "SET", "maxmemory-clients", "x"],
    &["CONFIG", "SET", "tls-auth-clients", "maybe"],
    &["CONFIG", "SET", "client-output-buffer-limit", ""],
    &["CONFIG", "GET", "nosuch"],
    &["CONFIG", "GET", "slaveof"],
    &["CONFIG", "GET"],
    &["CONFIG", "RESETSTAT"],
    &["CONFIG", "RESETSTAT", "x"],
    &["CONFIG", "FOO"],
    &["CONFIG"],
];

#[test]
fn config_replies_match_redis() {
    let Some(oracle) = RedisOracle::start() else {
        return;
    };
    let server = TestServer::start();
    let (mut ours, mut theirs) = (server.raw(), oracle.raw());
    for args in SAME_AS_REDIS {
        assert_eq!(ours.cmd(args), theirs.cmd(args), "{args:?}");
    }
}

#[test]
fn config_get_of_several_patterns_matches_redis_as_a_map() {
    let Some(oracle) = RedisOracle::start() else {
        return;
    };
    let server = TestServer::start();
    let (mut ours, mut theirs) = (server.raw(), oracle.raw());
    for patterns in [
        &["hz", "maxmemory*", "hz"][..],
        &["*-ziplist-*"],
        &["lazyfree-*", "slave-*"],
    ] {
        let mut args = vec!["CONFIG", "GET"];
        args.extend_from_slice(patterns);
        let pairs = |reply: String| {
            let lines: Vec<String> = reply.split("\r\n").map(str::to_string).collect();
            let mut pairs: Vec<(String, String)> = lines[1..]
                .chunks(4)
                .filter(|c| c.len() == 4)
                .map(|c| (c[1].clone(), c[3].clone()))
                .collect();
            pairs.sort();
            (lines[0].clone(), pairs)
        };
        assert_eq!(
            pairs(ours.cmd(&args)),
            pairs(theirs.cmd(&args)),
            "{patterns:?}"
        );
    }
}

#[test]
fn every_parameter_of_redis_is_a_parameter_here() {
    let Some(oracle) = RedisOracle::start() else {
        return;
    };
    let server = TestServer::start();
    let ours: Vec<String> = all_params(&mut server.raw())
        .into_iter()
        .map(|p| p.0)
        .collect();
    for (name, _) in all_params(&mut oracle.raw()) {
        assert!(ours.contains(&name), "{name}");
    }
}

#[test]
fn config_get_answers_a_map_in_resp3() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["HELLO", "3"]);
    assert_eq!(
        raw.cmd(&["CONFIG", "GET", "hz"]),
        "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    );
}

#[test]
fn config_set_is_all_or_nothing_and_takes_effect() {
    let server = TestServer::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.cmd(&[
            "CONFIG",
            "SET",
            "proto-max-bulk-len",
            "2mb",
            "maxclients",
            "abc"
        ]),
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer\r\n"
    );
    assert_eq!(get(&mut raw, "proto-max-bulk-len"), "536870912");
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "2mb"]),
        "+OK\r\n"
    );
    // The parser now refuses a bulk longer than the new limit.
    assert_eq!(
        raw.cmd(&["SETRANGE", "k", "3000000", "x"]),
        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "loglevel", "loud"]),
        "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing\r\n"
    );
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "loglevel", "NOTHING"]),
        "+OK\r\n"
    );
    assert_eq!(get(&mut raw, "loglevel"), "nothing");
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
        "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - not supported yet by Ferrodis (only 'no' is accepted)\r\n"
    );
    let port = server.port.to_string();
    assert_eq!(raw.cmd(&["CONFIG", "SET", "port", &port]), "+OK\r\n");
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn config_help_names_every_subcommand() {
    let server = TestServer::start();
    let help = server.raw().cmd(&["CONFIG", "HELP"]);
    assert!(help.starts_with(
        "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    for sub in [
        "+GET ",
        "+SET ",
        "+RESETSTAT\r\n",
        "+REWRITE\r\n",
        "+HELP\r\n",
    ] {
        assert!(help.contains(sub), "{sub}");
    }
}

#[test]
fn config_set_proto_max_bulk_len_applies_to_open_connections_at_once() {
    let server = TestServer::start();
    let mut raw = server.raw();
    let two_mb = "x".repeat(2 << 20);
    assert_eq!(raw.cmd(&["SET", "k", &two_mb]), "+OK\r\n");
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        "+OK\r\n"
    );
    raw.send_cmd(&[b"SET", b"k", two_mb.as_bytes()]);
    assert_eq!(
        String::from_utf8_lossy(&raw.read_reply()),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(raw.is_closed());
}
