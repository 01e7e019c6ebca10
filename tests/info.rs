//! INFO against the real binary: section shapes, field names against a real
//! redis-server, and fields whose values must follow what clients did.

mod common;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{RedisOracle, TestServer};
use redis::Connection;

fn info(con: &mut Connection, sections: &[&str]) -> String {
    let mut cmd = redis::cmd("INFO");
    for s in sections {
        cmd.arg(*s);
    }
    cmd.query(con).unwrap()
}

/// `field -> value` of every field line.
fn fields(text: &str) -> HashMap<String, String> {
    text.split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field_u64(con: &mut Connection, section: &str, name: &str) -> u64 {
    fields(&info(con, &[section]))[name].parse().unwrap()
}

const ALL_SECTIONS: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Commandstats",
    "Errorstats",
    "Latencystats",
    "Cluster",
    "Keyspace",
];

fn headers(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .filter_map(|l| l.strip_prefix("# "))
        .collect()
}

#[test]
fn everything_has_every_section_in_redis_order_and_well_formed_lines() {
    let server = TestServer::start();
    let mut con = server.conn();
    let text = info(&mut con, &["everything"]);
    assert_eq!(headers(&text), ALL_SECTIONS);
    assert!(text.ends_with("\r\n") && !text.ends_with("\r\n\r\n"));
    for block in text.split("\r\n\r\n") {
        let mut lines = block.split("\r\n").filter(|l| !l.is_empty());
        assert!(lines.next().unwrap().starts_with("# "), "{block}");
        for line in lines {
            let (name, _) = line.split_once(':').unwrap_or_else(|| panic!("{line:?}"));
            assert!(!name.is_empty() && !name.contains(' '), "{line:?}");
        }
    }
}

#[test]
fn sections_are_chosen_case_insensitively_and_printed_in_fixed_order() {
    let server = TestServer::start();
    let mut con = server.conn();
    assert_eq!(
        headers(&info(&mut con, &[])),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert_eq!(
        headers(&info(&mut con, &["KEYSPACE", "Server", "nosuch"])),
        ["Server", "Keyspace"]
    );
    assert_eq!(headers(&info(&mut con, &["all"])), ALL_SECTIONS);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["INFO", "nosuch"]), "$0\r\n\r\n");
    raw.cmd(&["HELLO", "3"]);
    assert_eq!(
        raw.cmd(&["INFO", "cluster"]),
        "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    );
}

/// Field names of INFO everything, sections included, without per-command lines.
fn field_names(text: &str) -> BTreeSet<String> {
    fields(text)
        .into_keys()
        .filter(|k| {
            !["cmdstat_", "errorstat_", "latency_percentiles_usec_", "db"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .collect()
}

#[test]
fn field_names_match_redis() {
    let Some(oracle) = RedisOracle::start() else {
        eprintln!("no redis-server: skipped");
        return;
    };
    let mut raw = oracle.raw();
    let reply = raw.cmd(&["INFO", "everything"]);
    let theirs = field_names(&reply);
    let server = TestServer::start();
    let ours = field_names(&info(&mut server.conn(), &["everything"]));
    // Fields Redis 7.2 added after the 7.0 oracle, and our own version line.
    let newer: BTreeSet<String> = [
        "listener0",
        "total_blocking_keys",
        "total_blocking_keys_on_nokey",
        "eventloop_cycles",
        "eventloop_duration_sum",
        "eventloop_duration_cmd_sum",
        "instantaneous_eventloop_cycles_per_sec",
        "instantaneous_eventloop_duration_usec",
        "acl_access_denied_auth",
        "acl_access_denied_cmd",
        "acl_access_denied_key",
        "acl_access_denied_channel",
        "ferrodis_version",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    let extra: Vec<_> = ours
        .difference(&theirs)
        .filter(|f| !newer.contains(*f))
        .collect();
    assert!(extra.is_empty(), "extra: {extra:?}");
}

#[test]
fn connected_clients_follows_connections() {
    let server = TestServer::start();
    let mut con = server.conn();
    let before = field_u64(&mut con, "clients", "connected_clients");
    let extra: Vec<Connection> = (0..3).map(|_| server.conn()).collect();
    assert_eq!(
        field_u64(&mut con, "clients", "connected_clients"),
        before + 3
    );
    drop(extra);
    let deadline = Instant::now() + Duration::from_secs(5);
    while field_u64(&mut con, "clients", "connected_clients") != before {
        assert!(Instant::now() < deadline, "closed clients still counted");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn commands_are_counted_exactly() {
    let server = TestServer::start();
    let mut con = server.conn();
    let before = field_u64(&mut con, "stats", "total_commands_processed");
    for i in 0..7 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .query(&mut con)
            .unwrap();
    }
    let _: Option<String> = redis::cmd("GET").arg("k1").query(&mut con).unwrap();
    let _: Option<String> = redis::cmd("GET").arg("nokey").query(&mut con).unwrap();
    let _: Result<(), _> = redis::cmd("GET").query::<()>(&mut con);
    // The INFO call above and this one's predecessor count; the rejected GET does not.
    let after = field_u64(&mut con, "stats", "total_commands_processed");
    assert_eq!(after - before, 7 + 2 + 1);
    let stats = fields(&info(&mut con, &["commandstats"]));
    assert_eq!(stats["cmdstat_set"].split(',').next().unwrap(), "calls=7");
    let get = &stats["cmdstat_get"];
    assert!(get.starts_with("calls=2,usec="), "{get}");
    assert!(get.ends_with(",rejected_calls=1,failed_calls=0"), "{get}");
    let latency = fields(&info(&mut con, &["latencystats"]));
    let p = &latency["latency_percentiles_usec_set"];
    assert!(
        p.starts_with("p50=") && p.contains(",p99=") && p.contains(",p99.9="),
        "{p}"
    );
    assert_eq!(field_u64(&mut con, "stats", "keyspace_hits"), 1);
    assert_eq!(field_u64(&mut con, "stats", "keyspace_misses"), 1);
}

#[test]
fn errors_are_counted_by_code_and_failed_calls() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.cmd(&["SET", "s", "x"]);
    assert!(raw.cmd(&["INCR", "s"]).starts_with("-ERR"));
    raw.cmd(&["RPUSH", "nosuch-command-here"]);
    raw.cmd(&["SET", "s", "x", "NX", "XX"]);
    // Read over the same raw connection: the redis crate's handshake may
    // itself draw error replies from commands it probes.
    let errors = fields(&raw.cmd(&["INFO", "errorstats"]));
    assert_eq!(errors["errorstat_ERR"], "count=3");
    let stats = fields(&raw.cmd(&["INFO", "stats"]));
    assert_eq!(stats["total_error_replies"], "3");
    let stats = fields(&raw.cmd(&["INFO", "commandstats"]));
    assert!(
        stats["cmdstat_incr"].ends_with("failed_calls=1"),
        "{stats:?}"
    );
    assert!(stats["cmdstat_set"].starts_with("calls=2,"), "{stats:?}");
}

#[test]
fn keyspace_lines_count_keys_expires_and_ttl() {
    let server = TestServer::start();
    let mut con = server.conn();
    assert!(fields(&info(&mut con, &["keyspace"])).is_empty());
    for i in 0..10 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .query(&mut con)
            .unwrap();
    }
    for i in 0..4 {
        let _: () = redis::cmd("EXPIRE")
            .arg(format!("k{i}"))
            .arg(1000)
            .query(&mut con)
            .unwrap();
    }
    let line = fields(&info(&mut con, &["keyspace"]))["db0"].clone();
    let (head, ttl) = line.rsplit_once(",avg_ttl=").unwrap();
    assert_eq!(head, "keys=10,expires=4");
    let ttl: u64 = ttl.parse().unwrap();
    assert!((990_000..=1_000_000).contains(&ttl), "{ttl}");
}

#[test]
fn expired_keys_counts_expiries() {
    let server = TestServer::start();
    let mut con = server.conn();
    for i in 0..3 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(1)
            .query(&mut con)
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(20));
    for i in 0..3 {
        let _: Option<String> = redis::cmd("GET")
            .arg(format!("k{i}"))
            .query(&mut con)
            .unwrap();
    }
    assert_eq!(field_u64(&mut con, "stats", "expired_keys"), 3);
}

#[test]
fn used_memory_grows_with_data_and_rss_comes_from_the_os() {
    let server = TestServer::start();
    let mut con = server.conn();
    let before = field_u64(&mut con, "memory", "used_memory");
    let mut pipe = redis::pipe();
    for i in 0..100_000 {
        pipe.cmd("SET")
            .arg(format!("key:{i:010}"))
            .arg("value-of-sixteen")
            .ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    let memory = fields(&info(&mut con, &["memory"]));
    let after: u64 = memory["used_memory"].parse().unwrap();
    assert!(after > before + 4_000_000, "{before} -> {after}");
    let rss: u64 = memory["used_memory_rss"].parse().unwrap();
    assert!(rss >= server.rss_kib() * 1024 / 2, "{rss}");
    assert!(memory["mem_allocator"].starts_with("mimalloc-"));
    assert!(field_u64(&mut con, "memory", "used_memory_peak") >= after);
}

#[test]
fn instantaneous_ops_per_sec_is_sampled_in_the_background() {
    let server = TestServer::start();
    let mut con = server.conn();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for _ in 0..200 {
            let _: String = redis::cmd("PING").query(&mut con).unwrap();
        }
        if field_u64(&mut con, "stats", "instantaneous_ops_per_sec") > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "ops/sec never sampled");
    }
}
