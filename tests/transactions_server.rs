//! Transactions against the real binary with two worker threads: clients
//! on different cores racing WATCH ... EXEC on one key, transactions across
//! shards and databases (SELECT, MOVE, COPY ... DB, SWAPDB, FLUSHALL) while
//! other clients hammer the same keys (an invariant that a torn state
//! would break, and timeouts that a deadlock would hit), and MONITOR.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use common::{RawConn, TestServer};

/// Two workers: the acceptor hands connections out in turn, so two clients
/// connected one after the other run on different threads.
fn two_core_server() -> TestServer {
    TestServer::start_with(&["--io-threads", "2"])
}

/// Joins the threads, failing the test if they take longer than `within`
/// (a deadlock) rather than hanging it.
fn join_all<T: Send + 'static>(threads: Vec<thread::JoinHandle<T>>, within: Duration) -> Vec<T> {
    let (tx, rx) = mpsc::channel();
    let count = threads.len();
    for (i, t) in threads.into_iter().enumerate() {
        let tx = tx.clone();
        thread::spawn(move || {
            let _ = tx.send((i, t.join()));
        });
    }
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    for _ in 0..count {
        let (i, result) = rx
            .recv_timeout(within)
            .expect("clients still running: a deadlock or a lost reply");
        match result {
            Ok(value) => results[i] = Some(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    results.into_iter().map(Option::unwrap).collect()
}

/// Every bulk string of a reply, in order (`None` for nil).
fn bulks(reply: &str) -> Vec<Option<String>> {
    let mut lines = reply.split("\r\n");
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line == "$-1" {
            out.push(None);
        } else if line.starts_with('$') {
            out.push(lines.next().map(str::to_string));
        }
    }
    out
}

/// A small deterministic generator, one per client.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn clients_on_two_cores_racing_watch_and_exec_have_exactly_one_winner_per_round() {
    const ROUNDS: usize = 2000;
    let server = two_core_server();
    let barrier = Arc::new(Barrier::new(2));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let mut c = server.raw();
            let barrier = barrier.clone();
            thread::spawn(move || {
                let mut won = Vec::new();
                for round in 0..ROUNDS {
                    assert_eq!(c.cmd(&["WATCH", "counter"]), "+OK\r\n");
                    let seen: i64 = bulks(&c.cmd(&["GET", "counter"]))[0]
                        .as_deref()
                        .map_or(0, |v| v.parse().unwrap());
                    // Both have watched before either runs EXEC.
                    barrier.wait();
                    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
                    assert_eq!(c.cmd(&["INCR", "counter"]), "+QUEUED\r\n");
                    match c.cmd(&["EXEC"]).as_str() {
                        "*-1\r\n" => {}
                        reply => {
                            assert_eq!(reply, format!("*1\r\n:{}\r\n", seen + 1));
                            won.push(round);
                        }
                    }
                    barrier.wait();
                }
                won
            })
        })
        .collect();
    let won = join_all(clients, Duration::from_secs(120));
    let mut rounds: Vec<usize> = won.concat();
    rounds.sort_unstable();
    assert_eq!(
        rounds,
        (0..ROUNDS).collect::<Vec<_>>(),
        "each round has exactly one winner"
    );
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["GET", "counter"]),
        format!("${}\r\n{ROUNDS}\r\n", ROUNDS.to_string().len())
    );
}

const ACCOUNTS: u64 = 8;
const START: i64 = 100;
/// Accounts 0..8 in databases 0 and 1, all starting at `START`.
const TOTAL: i64 = 2 * ACCOUNTS as i64 * START;

fn account(i: u64) -> String {
    format!("acct:{i}")
}

/// Sends a whole MULTI ... EXEC and returns EXEC's reply, checking that
/// every command was queued.
fn transaction(c: &mut RawConn, commands: &[Vec<String>]) -> String {
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    for command in commands {
        let argv: Vec<&str> = command.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&argv), "+QUEUED\r\n", "{argv:?}");
    }
    c.cmd(&["EXEC"])
}

fn words(line: &str) -> Vec<String> {
    line.split(' ').map(str::to_string).collect()
}

/// The commands that put every account back at `START` after a flush.
fn refill() -> Vec<Vec<String>> {
    let mut mset = vec!["MSET".to_string()];
    for i in 0..ACCOUNTS {
        mset.push(account(i));
        mset.push(START.to_string());
    }
    vec![
        words("SELECT 0"),
        mset.clone(),
        words("SELECT 1"),
        mset,
        words("SELECT 0"),
    ]
}

/// Reads that widen the time between a transaction's first and last write.
fn padding() -> Vec<Vec<String>> {
    (0..ACCOUNTS)
        .map(|i| words(&format!("EXISTS {}", account(i))))
        .collect()
}

/// Moves money between accounts of either database in one transaction.
fn transfers(port: u16, seed: u64, n: usize) -> usize {
    let mut c = RawConn::connect(port);
    let mut rng = Lcg(seed);
    for _ in 0..n {
        let amount = 1 + rng.below(20);
        let mut commands = vec![
            words(&format!("SELECT {}", rng.below(2))),
            words(&format!("DECRBY {} {amount}", account(rng.below(ACCOUNTS)))),
        ];
        // Between taking and giving, a window a torn read would fall into.
        commands.extend(padding());
        commands.extend([
            words(&format!("SELECT {}", rng.below(2))),
            words(&format!("INCRBY {} {amount}", account(rng.below(ACCOUNTS)))),
            words("SELECT 0"),
        ]);
        let reply = transaction(&mut c, &commands);
        let header = format!("*{}\r\n", commands.len());
        assert!(
            reply.starts_with(&header) && !reply.contains("\r\n-"),
            "{reply}"
        );
    }
    n
}

/// Transactions that reshape the databases: swaps, moves, copies, flushes.
fn reshapes(port: u16, seed: u64, n: usize) -> usize {
    let mut c = RawConn::connect(port);
    let mut rng = Lcg(seed);
    for i in 0..n {
        let acct = account(rng.below(ACCOUNTS));
        let from = rng.below(2);
        let commands = match rng.below(5) {
            0 => vec![
                words("SWAPDB 0 1"),
                words("SWAPDB 1 0"),
                words("SWAPDB 0 1"),
            ],
            1 => vec![
                words(&format!("SELECT {from}")),
                words(&format!("MOVE {acct} {}", 1 - from)),
                words("SELECT 0"),
            ],
            2 => vec![
                words(&format!("SET mirror v{i}")),
                words("COPY mirror mirror DB 1 REPLACE"),
            ],
            3 => {
                let mut all = vec![words("FLUSHALL")];
                all.extend(refill());
                all
            }
            _ => vec![
                words(&format!("SELECT {from}")),
                words("FLUSHDB"),
                words(&format!("SELECT {}", 1 - from)),
                words("FLUSHDB"),
                words("SELECT 0"),
            ]
            .into_iter()
            .chain(refill())
            .collect(),
        };
        let reply = transaction(&mut c, &commands);
        assert!(!reply.contains("\r\n-"), "{commands:?}: {reply}");
    }
    n
}

/// Plain commands on the same keys and databases, outside transactions.
fn hammer(port: u16, seed: u64, n: usize) -> usize {
    let mut c = RawConn::connect(port);
    let mut rng = Lcg(seed);
    for _ in 0..n {
        let acct = account(rng.below(ACCOUNTS));
        let reply = match rng.below(5) {
            0 => c.cmd(&["SWAPDB", "0", "1"]),
            1 => c.cmd(&["MOVE", &acct, "1"]),
            2 => c.cmd(&["MGET", "acct:0", "acct:3", "acct:7", "mirror"]),
            3 => c.cmd(&["KEYS", "acct:*"]),
            _ => c.cmd(&["DBSIZE"]),
        };
        assert!(!reply.starts_with('-'), "{reply}");
    }
    n
}

/// Reads everything in one transaction: the money adds up and the mirror
/// keys agree, however the other clients interleave.
fn audits(port: u16, n: usize) -> usize {
    let mut c = RawConn::connect(port);
    let mut mget = vec!["MGET".to_string()];
    mget.extend((0..ACCOUNTS).map(account));
    let mut commands = vec![words("SELECT 0"), mget.clone(), words("GET mirror")];
    commands.extend(padding());
    commands.extend([
        words("SELECT 1"),
        mget,
        words("GET mirror"),
        words("SELECT 0"),
    ]);
    for _ in 0..n {
        let values = bulks(&transaction(&mut c, &commands));
        assert_eq!(values.len(), 2 * ACCOUNTS as usize + 2);
        let number = |v: &Option<String>| v.as_deref().map_or(0, |v| v.parse::<i64>().unwrap());
        let accounts = ACCOUNTS as usize;
        let total: i64 = values[..accounts]
            .iter()
            .chain(&values[accounts + 1..2 * accounts + 1])
            .map(number)
            .sum();
        assert_eq!(total, TOTAL, "a transaction saw a torn state: {values:?}");
        assert_eq!(
            values[accounts],
            values[2 * accounts + 1],
            "the mirrored key differs between the databases"
        );
    }
    n
}

#[test]
fn transactions_across_shards_and_databases_are_never_torn_and_never_deadlock() {
    let server = two_core_server();
    let mut setup = server.raw();
    assert!(transaction(&mut setup, &refill()).starts_with("*5\r\n"));
    let port = server.port;
    let clients = vec![
        thread::spawn(move || transfers(port, 1, 1500)),
        thread::spawn(move || transfers(port, 2, 1500)),
        thread::spawn(move || reshapes(port, 3, 400)),
        thread::spawn(move || hammer(port, 4, 1500)),
        thread::spawn(move || audits(port, 800)),
        thread::spawn(move || audits(port, 800)),
    ];
    let done = join_all(clients, Duration::from_secs(180));
    assert_eq!(done, [1500, 1500, 400, 1500, 800, 800]);
    assert_eq!(audits(port, 1), 1);
}

#[test]
fn monitor_shows_multi_then_each_queued_command_as_exec_runs_it_then_exec() {
    let server = two_core_server();
    let mut monitor = server.raw();
    assert_eq!(monitor.cmd(&["MONITOR"]), "+OK\r\n");
    let mut c = server.raw();
    let queued: [&[&str]; 4] = [
        &["SET", "k", "v"],
        &["SELECT", "2"],
        &["GET", "k"],
        &["CONFIG", "GET", "maxmemory"],
    ];
    // First doomed by an unknown command, then run.
    for doomed in [true, false] {
        assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
        for line in queued {
            assert_eq!(c.cmd(line), "+QUEUED\r\n");
        }
        if doomed {
            c.cmd(&["NOSUCH"]);
        }
        let reply = c.cmd(&["EXEC"]);
        let expected = if doomed { "-EXECABORT" } else { "*4\r\n" };
        assert!(reply.starts_with(expected), "{reply}");
    }
    c.cmd(&["PING"]);
    // Queued commands show when EXEC runs them (CONFIG, an admin
    // command, never does); a doomed transaction shows MULTI and EXEC.
    let shown: Vec<String> = (0..8)
        .map(|_| {
            let line = String::from_utf8(monitor.read_reply()).unwrap();
            let (db, rest) = line.split_once(" [").unwrap().1.split_once(' ').unwrap();
            format!("{db} {}", rest.split_once("] ").unwrap().1.trim_end())
        })
        .collect();
    assert_eq!(
        shown,
        [
            "0 \"MULTI\"",
            "0 \"EXEC\"",
            "0 \"MULTI\"",
            "0 \"SET\" \"k\" \"v\"",
            "2 \"SELECT\" \"2\"",
            "2 \"GET\" \"k\"",
            "2 \"EXEC\"",
            "2 \"PING\"",
        ]
    );
}
