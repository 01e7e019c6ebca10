//! MULTI / EXEC / DISCARD / WATCH / UNWATCH in-process: queuing, every
//! error text, runtime errors in their slots, RESP3 shapes, CLIENT REPLY,
//! accounting and the effect stream (WATCH's rules are in `watch.rs`).
//! Every expected reply here was recorded from redis-server 7.0.15.

#[path = "transactions/support.rs"]
mod support;

use ferrodis::testing::Harness;
use support::*;

#[test]
fn commands_are_queued_then_run_in_order_with_a_reply_each() {
    let mut h = Harness::default();
    assert_eq!(
        replies(
            &mut h,
            &[
                &["MULTI"],
                &["SET", "k", "v"],
                &["INCR", "k"],
                &["GET", "k"],
                &["EXEC"]
            ]
        ),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n\
         *3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n"
    );
    // An empty transaction answers the empty array.
    assert_eq!(replies(&mut h, &[&["MULTI"], &["EXEC"]]), "+OK\r\n*0\r\n");
}

#[test]
fn a_runtime_error_takes_its_slot_and_nothing_is_rolled_back() {
    let mut h = Harness::default();
    h.run(&["SET", "s", "text"]);
    assert_eq!(
        replies(
            &mut h,
            &[
                &["MULTI"],
                &["SET", "a", "1"],
                &["INCR", "s"],
                &["SET", "b", "2"],
                &["EXEC"]
            ]
        ),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n\
         *3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
    );
    assert_eq!(h.run(&["MGET", "a", "b"]), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

#[test]
fn a_command_refused_while_queuing_dooms_the_transaction() {
    let execabort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
    for (refused, error) in [
        (
            &["NOSUCH", "a"][..],
            "-ERR unknown command 'NOSUCH', with args beginning with: 'a' \r\n",
        ),
        (
            &["GET"],
            "-ERR wrong number of arguments for 'get' command\r\n",
        ),
        (
            &["SHUTDOWN"],
            "-ERR Command not allowed inside a transaction\r\n",
        ),
        // Arity errors of the transaction commands themselves count too.
        (
            &["MULTI", "x"],
            "-ERR wrong number of arguments for 'multi' command\r\n",
        ),
        (
            &["DISCARD", "x"],
            "-ERR wrong number of arguments for 'discard' command\r\n",
        ),
    ] {
        let mut h = Harness::default();
        let got = replies(
            &mut h,
            &[&["MULTI"], &["SET", "k", "v"], refused, &["EXEC"]],
        );
        assert_eq!(
            got,
            format!("+OK\r\n+QUEUED\r\n{error}{execabort}"),
            "{refused:?}"
        );
        assert_eq!(h.run(&["EXISTS", "k"]), ":0\r\n", "{refused:?} ran");
        assert_eq!(h.run(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    }
}

#[test]
fn transaction_commands_out_of_place_get_redis_errors_without_dooming() {
    let mut h = Harness::default();
    assert_eq!(h.run(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(h.run(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
    assert_eq!(
        replies(
            &mut h,
            &[
                &["MULTI"],
                &["MULTI"],
                &["WATCH", "k"],
                &["SET", "k", "1"],
                &["EXEC"]
            ]
        ),
        "+OK\r\n-ERR MULTI calls can not be nested\r\n\
         -ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n"
    );
}

#[test]
fn a_refused_exec_discards_the_transaction_and_says_why() {
    let mut h = Harness::default();
    let why = "-EXECABORT Transaction discarded because of: \
               wrong number of arguments for 'exec' command\r\n";
    assert_eq!(
        replies(&mut h, &[&["MULTI"], &["SET", "k", "v"], &["EXEC", "x"]]),
        format!("+OK\r\n+QUEUED\r\n{why}")
    );
    assert_eq!(h.run(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    // Outside MULTI too, and it forgets the watched keys.
    let mut other = h.session();
    h.run(&["WATCH", "k"]);
    assert_eq!(h.run(&["EXEC", "x"]), why);
    h.run_as(&mut other, &["SET", "k", "changed"]);
    assert_eq!(exec_ping(&mut h), PING_RAN);
}

#[test]
fn an_unauthenticated_exec_is_an_execabort_naming_noauth() {
    let mut h = Harness::default();
    h.run(&["CONFIG", "SET", "requirepass", "pw"]);
    let mut stranger = h.session();
    stranger.authenticated = false;
    assert_eq!(
        h.run_as(&mut stranger, &["EXEC"]),
        "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        h.run_as(&mut stranger, &["MULTI"]),
        "-NOAUTH Authentication required.\r\n"
    );
}

#[test]
fn queued_commands_run_with_the_rights_they_have_when_exec_runs() {
    let mut h = Harness::default();
    h.run(&["CONFIG", "SET", "requirepass", "pw"]);
    assert_eq!(
        replies(
            &mut h,
            &[&["MULTI"], &["AUTH", "bad"], &["GET", "x"], &["EXEC"]]
        ),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n\
         *2\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n$-1\r\n"
    );
}

#[test]
fn discard_drops_the_queue_and_leaves_the_transaction() {
    let mut h = Harness::default();
    assert_eq!(
        replies(
            &mut h,
            &[&["MULTI"], &["SET", "k", "v"], &["DISCARD"], &["GET", "k"]]
        ),
        "+OK\r\n+QUEUED\r\n+OK\r\n$-1\r\n"
    );
}

#[test]
fn reset_inside_multi_discards_and_quit_closes_without_running() {
    let mut h = Harness::default();
    assert_eq!(
        replies(
            &mut h,
            &[
                &["MULTI"],
                &["SELECT", "1"],
                &["SET", "q", "1"],
                &["RESET"],
                &["GET", "q"],
                &["SELECT", "1"],
                &["GET", "q"],
                &["EXEC"]
            ]
        ),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+RESET\r\n$-1\r\n+OK\r\n$-1\r\n-ERR EXEC without MULTI\r\n"
    );
    let stream = ferrodis::testing::encode(&[b"MULTI"]);
    let mut requests = stream.clone();
    requests.extend(ferrodis::testing::encode(&[b"SET", b"z", b"1"]));
    requests.extend(ferrodis::testing::encode(&[b"QUIT"]));
    requests.extend(ferrodis::testing::encode(&[b"PING"]));
    let mut fresh = Harness::default();
    assert_eq!(
        fresh.run_stream(&requests),
        b"+OK\r\n+QUEUED\r\n+OK\r\n",
        "QUIT answers and closes; nothing after it runs"
    );
    let mut later = fresh.session();
    assert_eq!(fresh.run_as(&mut later, &["EXISTS", "z"]), ":0\r\n");
}

#[test]
fn select_inside_a_transaction_moves_later_commands_and_stays_selected() {
    let mut h = Harness::default();
    assert_eq!(
        replies(
            &mut h,
            &[
                &["MULTI"],
                &["SET", "a", "0"],
                &["SELECT", "3"],
                &["SET", "a", "3"],
                &["SELECT", "99"],
                &["GET", "a"],
                &["EXEC"]
            ]
        ),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n\
         *5\r\n+OK\r\n+OK\r\n+OK\r\n-ERR DB index is out of range\r\n$1\r\n3\r\n"
    );
    assert_eq!(h.run(&["GET", "a"]), "$1\r\n3\r\n");
    assert_eq!(h.run(&["SELECT", "0"]), "+OK\r\n");
    assert_eq!(h.run(&["GET", "a"]), "$1\r\n0\r\n");
}

#[test]
fn whole_database_commands_run_inside_exec_without_deadlock() {
    let mut h = Harness::default();
    let got = replies(
        &mut h,
        &[
            &["SET", "a", "1"],
            &["MULTI"],
            &["COPY", "a", "b", "DB", "1"],
            &["MOVE", "a", "2"],
            &["SWAPDB", "0", "1"],
            &["DBSIZE"],
            &["KEYS", "*"],
            &["FLUSHALL"],
            &["DBSIZE"],
            &["EXEC"],
        ],
    );
    assert_eq!(
        got,
        "+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n\
         *7\r\n:1\r\n:1\r\n+OK\r\n:1\r\n*1\r\n$1\r\nb\r\n+OK\r\n:0\r\n"
    );
}

#[test]
fn resp3_transactions_answer_in_resp3_and_hello_switches_midway() {
    let mut h = Harness::default();
    h.run(&["HELLO", "3"]);
    let mut other = h.session();
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "2"]);
    assert_eq!(
        replies(&mut h, &[&["MULTI"], &["GET", "k"], &["EXEC"]]),
        "+OK\r\n+QUEUED\r\n_\r\n"
    );
    assert_eq!(
        replies(
            &mut h,
            &[&["MULTI"], &["GET", "nope"], &["INCR", "k"], &["EXEC"]]
        ),
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n_\r\n:3\r\n"
    );
    // A RESP2 client switching inside the transaction: the array header is
    // RESP2, HELLO's own reply and what follows are RESP3.
    let mut h = Harness::default();
    let got = replies(
        &mut h,
        &[&["MULTI"], &["HELLO", "3"], &["GET", "nope"], &["EXEC"]],
    );
    assert!(
        got.starts_with("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n%7\r\n"),
        "{got}"
    );
    assert!(got.ends_with("_\r\n"), "{got}");
    assert_eq!(h.run(&["GET", "nope"]), "_\r\n");
}

#[test]
fn client_reply_inside_exec_drops_exactly_what_redis_drops() {
    // Each case: the request stream and the bytes redis-server 7.0.15 sent.
    let cases: &[(&[&[&str]], &str)] = &[
        (
            &[
                &["MULTI"],
                &["CLIENT", "REPLY", "OFF"],
                &["SET", "a", "1"],
                &["EXEC"],
                &["CLIENT", "REPLY", "ON"],
                &["PING"],
            ],
            "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+PONG\r\n",
        ),
        (
            &[
                &["MULTI"],
                &["CLIENT", "REPLY", "SKIP"],
                &["SET", "a", "1"],
                &["GET", "a"],
                &["EXEC"],
                &["PING"],
            ],
            "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n$1\r\n1\r\n",
        ),
        (
            &[
                &["CLIENT", "REPLY", "SKIP"],
                &["MULTI"],
                &["SET", "a", "1"],
                &["EXEC"],
                &["PING"],
            ],
            "+QUEUED\r\n*1\r\n+OK\r\n+PONG\r\n",
        ),
        (
            &[
                &["CLIENT", "REPLY", "OFF"],
                &["MULTI"],
                &["SET", "a", "1"],
                &["EXEC"],
                &["CLIENT", "REPLY", "ON"],
                &["PING"],
            ],
            "+OK\r\n+PONG\r\n",
        ),
        (
            &[
                &["CLIENT", "REPLY", "OFF"],
                &["MULTI"],
                &["GET", "a"],
                &["CLIENT", "REPLY", "ON"],
                &["GET", "a"],
                &["EXEC"],
            ],
            "+OK\r\n$-1\r\n",
        ),
    ];
    for (lines, expected) in cases {
        let mut h = Harness::default();
        let mut stream = Vec::new();
        for line in *lines {
            let argv: Vec<&[u8]> = line.iter().map(|a| a.as_bytes()).collect();
            stream.extend(ferrodis::testing::encode(&argv));
        }
        let got = String::from_utf8_lossy(&h.run_stream(&stream)).into_owned();
        assert_eq!(&got, expected, "{lines:?}");
    }
}

#[test]
fn client_list_shows_the_queue_length_memory_and_x_and_d_flags() {
    let mut h = Harness::default();
    let mut other = h.session();
    let fields = |h: &mut Harness| {
        let line = h.run(&["CLIENT", "INFO"]);
        ["flags=", "multi=", "multi-mem="]
            .iter()
            .map(|f| {
                let at = line.find(&format!(" {f}")).unwrap() + 1;
                line[at..].split(' ').next().unwrap().to_string()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(fields(&mut h), "flags=N multi=-1 multi-mem=0");
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "1"]);
    assert_eq!(fields(&mut h), "flags=d multi=-1 multi-mem=0");
    h.run(&["UNWATCH"]);
    h.run(&["MULTI"]);
    h.run(&["GET", "x"]);
    // What CLIENT LIST prints of it, seen from another client.
    let line = String::from_utf8(h.session.handle.info_line("get")).unwrap();
    assert!(
        line.contains(" flags=x ") && line.contains(" multi=1 ") && line.contains(" multi-mem=20 "),
        "{line}"
    );
    // Inside EXEC, the transaction still shows, as in Redis.
    let inside = replies(&mut h, &[&["CLIENT", "INFO"], &["EXEC"]]);
    assert!(
        inside.contains(" flags=x ") && inside.contains(" multi=2 "),
        "{inside}"
    );
    assert_eq!(fields(&mut h), "flags=N multi=-1 multi-mem=0");
    // A doomed transaction queues nothing.
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "2"]);
    h.run(&["MULTI"]);
    h.run(&["SET", "k", "v"]);
    let line = String::from_utf8(h.session.handle.info_line("set")).unwrap();
    assert!(
        line.contains(" flags=xd ") && line.contains(" multi=0 "),
        "{line}"
    );
}

// ---- accounting ----

#[test]
fn exec_and_its_commands_are_counted_as_redis_counts_them() {
    let mut h = Harness::default();
    h.run(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    replies(
        &mut h,
        &[
            &["MULTI"],
            &["SET", "k", "v"],
            &["INCR", "k"],
            &["SELECT", "2"],
            &["EXEC"],
            &["MULTI"],
            &["GET"],
            &["EXEC"],
            &["SELECT", "0"],
        ],
    );
    let stats = h.run(&["INFO", "commandstats"]);
    let line = |name: &str| {
        stats
            .lines()
            .find(|l| l.starts_with(&format!("cmdstat_{name}:")))
            .map(|l| {
                l.split(',')
                    .filter(|f| {
                        f.starts_with("rejected") || f.starts_with("failed") || f.contains("calls=")
                    })
                    .map(|f| {
                        f.trim_start_matches(&format!("cmdstat_{name}:"))
                            .to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    assert_eq!(line("multi"), "calls=2,rejected_calls=0,failed_calls=0");
    assert_eq!(line("exec"), "calls=2,rejected_calls=0,failed_calls=1");
    assert_eq!(line("set"), "calls=1,rejected_calls=0,failed_calls=0");
    assert_eq!(line("incr"), "calls=1,rejected_calls=0,failed_calls=1");
    assert_eq!(line("select"), "calls=2,rejected_calls=0,failed_calls=0");
    assert_eq!(line("get"), "calls=0,rejected_calls=1,failed_calls=0");
    let errors = h.run(&["INFO", "errorstats"]);
    assert!(
        errors.contains("errorstat_ERR:count=2") && errors.contains("errorstat_EXECABORT:count=1"),
        "{errors}"
    );
    // The slow log has the queued commands as they ran, never EXEC.
    let slow = h.run(&["SLOWLOG", "GET", "100"]);
    for name in ["SET", "INCR", "SELECT", "MULTI"] {
        assert!(
            slow.contains(&format!("${}\r\n{name}\r\n", name.len())),
            "{name} {slow}"
        );
    }
    assert!(!slow.contains("EXEC"), "{slow}");
}

#[test]
fn client_pause_write_holds_exec_of_a_transaction_that_writes() {
    let mut h = Harness::default();
    let exec = ferrodis::command::Args::new(b"EXEC", &[(0, 4)]);
    let mut admin = h.session();
    h.run(&["MULTI"]);
    h.run(&["GET", "k"]);
    let mut writer = h.session();
    h.run_as(&mut writer, &["MULTI"]);
    h.run_as(&mut writer, &["SET", "k", "1"]);
    h.run_as(&mut admin, &["CLIENT", "PAUSE", "10000", "WRITE"]);
    assert!(h.dispatcher.paused_for(&h.session, &exec).is_none());
    assert!(h.dispatcher.paused_for(&writer, &exec).is_some());
    h.run_as(&mut admin, &["CLIENT", "UNPAUSE"]);
}

// ---- the effect stream ----

#[test]
fn a_transaction_with_several_writes_reaches_the_stream_as_one_multi_exec_unit() {
    let mut h = Harness::default();
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    h.run(&["SELECT", "3"]);
    h.run(&["INCR", "a"]);
    h.run(&["GET", "a"]);
    let rx = h.dispatcher.shared.keyspace.effects.subscribe();
    h.run(&["EXEC"]);
    let got: Vec<(usize, Vec<String>)> = rx
        .try_iter()
        .map(|e| {
            let argv = e
                .argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned());
            (e.db, argv.collect())
        })
        .collect();
    let words = |db, w: &[&str]| (db, w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        got,
        [
            words(0, &["MULTI"]),
            words(0, &["SET", "a", "1"]),
            words(3, &["INCR", "a"]),
            words(3, &["EXEC"]),
        ]
    );
}

#[test]
fn a_transaction_with_one_write_emits_it_alone_and_one_without_writes_nothing() {
    let mut h = Harness::default();
    h.run(&["MULTI"]);
    h.run(&["SET", "one", "1"]);
    h.run(&["GET", "one"]);
    assert_eq!(h.effects_of(&["EXEC"]), [["SET", "one", "1"]]);
    h.run(&["MULTI"]);
    h.run(&["GET", "x"]);
    h.run(&["SET", "one", "2", "NX"]);
    assert!(h.effects_of(&["EXEC"]).is_empty());
    // A lazily expired key inside the transaction is one of its writes.
    expire_soon_and_wait(&mut h, "gone");
    h.run(&["MULTI"]);
    h.run(&["SET", "gone", "2"]);
    assert_eq!(
        h.effects_of(&["EXEC"]),
        [
            vec!["MULTI"],
            vec!["DEL", "gone"],
            vec!["SET", "gone", "2"],
            vec!["EXEC"]
        ]
    );
}

#[test]
fn aborted_and_discarded_transactions_emit_nothing() {
    let mut h = Harness::default();
    let mut other = h.session();
    h.run(&["WATCH", "k"]);
    h.run_as(&mut other, &["SET", "k", "1"]);
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "1"]);
    assert!(h.effects_of(&["EXEC"]).is_empty());
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    h.run(&["GET"]);
    assert!(h.effects_of(&["EXEC"]).is_empty());
}
