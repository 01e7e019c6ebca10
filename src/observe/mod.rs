//! Observability: what INFO, SLOWLOG and LATENCY report, and the hooks
//! that feed them.
//!
//! The dispatcher calls [`start`] and [`finish`] around every command: one
//! cheap clock read each, per-thread counters (see [`counters`]), and the
//! slow log and latency monitor only for commands over their thresholds.

pub mod clock;
pub mod counters;
pub mod histogram;
pub mod latency;
pub mod metrics;
pub mod slowlog;
pub mod system;

use std::sync::Arc;
use std::time::Duration;

use crate::command::{Args, Command, flag};
use crate::server::{Client, Server};
use clock::Clock;
use metrics::Metric;

/// When a command started, and the clock that says so.
pub struct Started {
    clock: &'static Clock,
    ticks: u64,
}

#[inline]
pub fn start() -> Started {
    let clock = Clock::get();
    Started {
        clock,
        ticks: clock.ticks(),
    }
}

/// Accounts a command that ran since `started`; `failed` if it replied with an error.
#[inline]
pub fn finish(
    server: &Server,
    client: &Client,
    cmd: &Command,
    args: &Args<'_>,
    started: Started,
    failed: bool,
) {
    let clock = started.clock;
    let ns = clock.ns_between(started.ticks, clock.ticks());
    let stats = &server.stats;
    stats.counters.call(&server.commands, cmd, ns, failed);
    // Thresholds are compared in ns, so fast commands do no division.
    let slower_than = server.config.slowlog_log_slower_than();
    if slower_than >= 0
        && ns >= (slower_than as u64).saturating_mul(1000)
        && !cmd.has(flag::SKIP_SLOWLOG)
    {
        log_slow(server, client, cmd, args, ns / 1000);
    }
    let threshold = server.config.latency_monitor_threshold();
    if threshold > 0 && ns >= threshold.saturating_mul(1_000_000) {
        let event = if cmd.has(flag::FAST) {
            "fast-command"
        } else {
            "command"
        };
        let now = crate::keyspace::now_ms() / 1000;
        stats.latency.add(event, now, ns / 1_000_000);
    }
}

#[cold]
fn log_slow(server: &Server, client: &Client, cmd: &Command, args: &Args<'_>, micros: u64) {
    let max_len = server.config.slowlog_max_len();
    if max_len > 0 {
        let argv = redacted(cmd, args);
        let name = client.name().unwrap_or_default();
        server
            .stats
            .slowlog
            .push(argv.into_iter(), micros, &client.addr, &name, max_len);
    }
}

/// The arguments a log may show: passwords are replaced as Redis replaces them.
fn redacted<'a>(cmd: &Command, args: &Args<'a>) -> Vec<&'a [u8]> {
    let mut argv: Vec<&[u8]> = args.iter().collect();
    match cmd.fullname.as_str() {
        "auth" => argv[1..].fill(b"(redacted)".as_slice()),
        "hello" => {
            if let Some(i) = argv.iter().position(|a| a.eq_ignore_ascii_case(b"auth")) {
                let end = (i + 3).min(argv.len());
                argv[i + 1..end].fill(b"(redacted)".as_slice());
            }
        }
        _ => {}
    }
    argv
}

/// Counts the error replies in `reply` (the bytes one command wrote) by
/// their code, the first word of the message. `errors` says how many there
/// are; an error nested in an aggregate starts a line like a top-level one.
pub fn count_errors(server: &Server, reply: &[u8], errors: u32) {
    let starts = (reply.first() == Some(&b'-'))
        .then_some(0)
        .into_iter()
        .chain(memchr::memmem::find_iter(reply, b"\r\n-").map(|i| i + 2));
    let mut found = 0;
    for at in starts.take(errors as usize) {
        let line = &reply[at + 1..];
        let end = memchr::memchr2(b' ', b'\r', line).unwrap_or(line.len());
        server.stats.counters.error_reply(&line[..end]);
        found += 1;
    }
    for _ in found..errors {
        server.stats.counters.error_reply(b"ERR");
    }
}

/// Starts the thread that samples the instantaneous metrics every 100 ms
/// (less often when `hz` is below 10, as Redis's cron would) and tracks
/// the memory peak.
pub fn spawn_tick(server: Arc<Server>) {
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            loop {
                let hz = u64::from(server.config.hz().clamp(1, 500));
                std::thread::sleep(Duration::from_millis((1000 / hz).max(100)));
                tick(&server);
            }
        })
        .expect("spawning the metrics thread");
}

/// One sample of every instantaneous metric.
pub fn tick(server: &Server) {
    let stats = &server.stats;
    let totals = stats.totals();
    let mut readings = [0; 5];
    readings[Metric::Commands as usize] = totals.commands;
    readings[Metric::NetInput as usize] = totals.net_input;
    readings[Metric::NetOutput as usize] = totals.net_output;
    readings[Metric::Cycles as usize] = totals.reads;
    readings[Metric::CommandNs as usize] = totals.command_ns;
    stats.metrics.sample(readings, crate::keyspace::now_ms());
    stats.note_memory(system::used_memory());
}
