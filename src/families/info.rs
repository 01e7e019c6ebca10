//! INFO: the server's state as `field:value` lines in sections, with Redis
//! 7.2's section names, field names and field order, so tools that scrape
//! INFO (redis_exporter, redis-cli --stat, client libraries) find what they
//! expect. Fields of capabilities Ferrodis does not have (persistence,
//! replication, scripting, defragmentation...) are printed with the values
//! an idle Redis without them would show. TIME and LASTSAVE, the other
//! reports of the server's own state, live here too.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::command::{Args, CmdResult, Command, Ctx, Locks, acl, flag};
use crate::keyspace::LockPlan;
use crate::observe::counters::CommandTotals;
use crate::observe::metrics::Metric;
use crate::observe::system;

pub fn register(t: &mut Vec<Command>) {
    t.push(
        Command::new("info", -1, info)
            .flags(flag::LOADING | flag::STALE | flag::SENTINEL)
            .acl(acl::DANGEROUS)
            .locks(Locks::Computed(info_locks))
            .tips(&[
                "nondeterministic_output",
                "request_policy:all_shards",
                "response_policy:special",
            ])
            .doc(
                "server",
                "1.0.0",
                "O(1)",
                "Reports the server's state and statistics, by section.",
            )
            .args("[section [section ...]]"),
    );
    t.push(
        Command::new("time", 1, time)
            .flags(flag::LOADING | flag::STALE | flag::FAST)
            .tips(&["nondeterministic_output"])
            .doc(
                "server",
                "2.6.0",
                "O(1)",
                "Returns the current server time as seconds and microseconds.",
            ),
    );
    t.push(
        Command::new("lastsave", 1, lastsave)
            .flags(flag::LOADING | flag::STALE | flag::FAST)
            .acl(acl::ADMIN | acl::DANGEROUS)
            .tips(&["nondeterministic_output"])
            .doc(
                "server",
                "1.0.0",
                "O(1)",
                "Returns the unix time of the last successful save.",
            ),
    );
}

fn time(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk_int(now.as_secs() as i64);
    ctx.out.bulk_int(i64::from(now.subsec_micros()));
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let at = ctx.lastsave();
    ctx.out.int(at);
    Ok(())
}

type Writer = fn(&mut Out, &mut Ctx<'_, '_>);

/// Every section in the order Redis prints them: (name, header, in `default`, writer).
const SECTIONS: &[(&str, &str, bool, Writer)] = &[
    ("server", "Server", true, server),
    ("clients", "Clients", true, clients),
    ("memory", "Memory", true, memory),
    ("persistence", "Persistence", true, persistence),
    ("stats", "Stats", true, stats),
    ("replication", "Replication", true, replication),
    ("cpu", "CPU", true, cpu),
    ("modules", "Modules", true, |_, _| {}),
    ("commandstats", "Commandstats", false, commandstats),
    ("errorstats", "Errorstats", true, errorstats),
    ("latencystats", "Latencystats", false, latencystats),
    ("cluster", "Cluster", true, |o, _| {
        o.field("cluster_enabled", 0)
    }),
    ("keyspace", "Keyspace", true, keyspace),
];

/// The keyspace section's position in [`SECTIONS`].
const KEYSPACE: usize = SECTIONS.len() - 1;

fn info(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let wanted = selected_sections(ctx.args.iter().skip(1));
    let mut out = Out(String::new());
    for (i, &(_, header, _, write)) in SECTIONS.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        if !out.0.is_empty() {
            out.0.push_str("\r\n");
        }
        let _ = write!(out.0, "# {header}\r\n");
        write(&mut out, ctx);
    }
    ctx.out.verbatim("txt", out.0.as_bytes());
    Ok(())
}

/// Which sections the arguments name: none means `default`; `all` and
/// `everything` mean every section; unknown names are ignored.
fn selected_sections<'a>(names: impl Iterator<Item = &'a [u8]>) -> [bool; SECTIONS.len()] {
    let mut wanted = [false; SECTIONS.len()];
    let mut any = false;
    for name in names {
        any = true;
        let name = name.to_ascii_lowercase();
        for (i, &(section, _, default, _)) in SECTIONS.iter().enumerate() {
            wanted[i] |= match name.as_slice() {
                b"all" | b"everything" => true,
                b"default" => default,
                other => other == section.as_bytes(),
            };
        }
    }
    if !any {
        for (i, &(_, _, default, _)) in SECTIONS.iter().enumerate() {
            wanted[i] = default;
        }
    }
    wanted
}

/// The text being built.
struct Out(String);

impl Out {
    fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }

    /// Fields an idle Redis reports as 0.
    fn zeros(&mut self, names: &[&str]) {
        for name in names {
            self.field(name, 0);
        }
    }
}

fn unix_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

fn server(o: &mut Out, s: &mut Ctx<'_, '_>) {
    let uptime = s.started().elapsed().as_secs();
    o.field("redis_version", crate::REDIS_VERSION);
    o.field("ferrodis_version", crate::VERSION);
    o.field("redis_git_sha1", "00000000");
    o.field("redis_git_dirty", 0);
    o.field("redis_build_id", "0");
    o.field("redis_mode", "standalone");
    o.field("os", system::os_name());
    o.field("arch_bits", usize::BITS);
    o.field(
        "monotonic_clock",
        crate::observe::clock::Clock::get().describe(),
    );
    o.field("multiplexing_api", "epoll");
    o.field("atomicvar_api", "c11-builtin");
    o.field("gcc_version", "0.0.0");
    o.field("process_id", std::process::id());
    o.field("process_supervised", "no");
    o.field("run_id", &s.stats().run_id);
    o.field("tcp_port", s.config().port());
    o.field("server_time_usec", unix_micros());
    o.field("uptime_in_seconds", uptime);
    o.field("uptime_in_days", uptime / 86400);
    o.field("hz", s.config().hz());
    o.field("configured_hz", s.config().hz());
    o.field("lru_clock", (unix_micros() / 1_000_000) & 0xFF_FFFF);
    let exe = std::env::current_exe().unwrap_or_default();
    o.field("executable", exe.display());
    o.field("config_file", "");
    o.field("io_threads_active", 0);
    let binds: String = s
        .config()
        .bind()
        .iter()
        .map(|b| format!(",bind={b}"))
        .collect();
    o.field(
        "listener0",
        format!("name=tcp{binds},port={}", s.config().port()),
    );
    if let Some(path) = s.config().unixsocket() {
        o.field("listener1", format!("name=unix,bind={path}"));
    }
}

fn clients(o: &mut Out, s: &mut Ctx<'_, '_>) {
    o.field("connected_clients", s.clients().count());
    o.field("cluster_connections", 0);
    o.field("maxclients", s.config().maxclients());
    o.zeros(&[
        "client_recent_max_input_buffer",
        "client_recent_max_output_buffer",
        "blocked_clients",
        "tracking_clients",
        "clients_in_timeout_table",
        "total_blocking_keys",
        "total_blocking_keys_on_nokey",
    ]);
}

fn ratio(a: u64, b: u64) -> String {
    format!("{:.2}", a as f64 / b.max(1) as f64)
}

fn memory(o: &mut Out, s: &mut Ctx<'_, '_>) {
    let used = system::used_memory();
    let peak = s.stats().note_memory(used);
    let rss = system::rss();
    let startup = s.stats().startup_memory.min(used);
    let dataset = used - startup;
    let total = system::total_system_memory();
    o.field("used_memory", used);
    o.field("used_memory_human", system::human_bytes(used));
    o.field("used_memory_rss", rss);
    o.field("used_memory_rss_human", system::human_bytes(rss));
    o.field("used_memory_peak", peak);
    o.field("used_memory_peak_human", system::human_bytes(peak));
    o.field(
        "used_memory_peak_perc",
        format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
    );
    o.field("used_memory_overhead", startup);
    o.field("used_memory_startup", startup);
    o.field("used_memory_dataset", dataset);
    o.field(
        "used_memory_dataset_perc",
        format!("{:.2}%", dataset as f64 * 100.0 / dataset.max(1) as f64),
    );
    o.field("allocator_allocated", used);
    o.field("allocator_active", rss);
    o.field("allocator_resident", rss);
    o.field("total_system_memory", total);
    o.field("total_system_memory_human", system::human_bytes(total));
    for (name, value) in [
        ("used_memory_lua", "0"),
        ("used_memory_vm_eval", "0"),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", "0"),
        ("number_of_cached_scripts", "0"),
        ("number_of_functions", "0"),
        ("number_of_libraries", "0"),
        ("used_memory_vm_functions", "0"),
        ("used_memory_vm_total", "0"),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", "0"),
        ("used_memory_scripts", "0"),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", "0"),
        ("maxmemory_human", "0B"),
        ("maxmemory_policy", "noeviction"),
    ] {
        o.field(name, value);
    }
    o.field("allocator_frag_ratio", ratio(rss, used));
    o.field("allocator_frag_bytes", rss as i64 - used as i64);
    o.field("allocator_rss_ratio", "1.00");
    o.field("allocator_rss_bytes", 0);
    o.field("rss_overhead_ratio", "1.00");
    o.field("rss_overhead_bytes", 0);
    o.field("mem_fragmentation_ratio", ratio(rss, used));
    o.field("mem_fragmentation_bytes", rss as i64 - used as i64);
    o.zeros(&[
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_total_replication_buffers",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
    ]);
    o.field(
        "mem_allocator",
        format!("mimalloc-{}", crate::alloc::mimalloc_version()),
    );
    o.zeros(&[
        "active_defrag_running",
        "lazyfree_pending_objects",
        "lazyfreed_objects",
    ]);
}

fn persistence(o: &mut Out, s: &mut Ctx<'_, '_>) {
    o.zeros(&[
        "loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ]);
    o.field("current_fork_perc", "0.00");
    o.zeros(&["current_save_keys_processed", "current_save_keys_total"]);
    o.field(
        "rdb_changes_since_last_save",
        s.keyspace_stats().dirty.get(),
    );
    o.field("rdb_bgsave_in_progress", 0);
    o.field("rdb_last_save_time", s.lastsave());
    o.field("rdb_last_bgsave_status", "ok");
    o.field("rdb_last_bgsave_time_sec", -1);
    o.field("rdb_current_bgsave_time_sec", -1);
    o.zeros(&[
        "rdb_saves",
        "rdb_last_cow_size",
        "rdb_last_load_keys_expired",
        "rdb_last_load_keys_loaded",
        "aof_enabled",
        "aof_rewrite_in_progress",
        "aof_rewrite_scheduled",
    ]);
    o.field("aof_last_rewrite_time_sec", -1);
    o.field("aof_current_rewrite_time_sec", -1);
    o.field("aof_last_bgrewrite_status", "ok");
    o.zeros(&["aof_rewrites", "aof_rewrites_consecutive_failures"]);
    o.field("aof_last_write_status", "ok");
    o.zeros(&[
        "aof_last_cow_size",
        "module_fork_in_progress",
        "module_fork_last_cow_size",
    ]);
}

fn kbps(bytes_per_sec: u64) -> String {
    format!("{:.2}", bytes_per_sec as f64 / 1024.0)
}

fn stats(o: &mut Out, s: &mut Ctx<'_, '_>) {
    let st = s.stats();
    let t = st.totals();
    let ks = s.keyspace_stats();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    o.field(
        "total_connections_received",
        load(&st.total_connections_received),
    );
    o.field("total_commands_processed", t.commands);
    o.field(
        "instantaneous_ops_per_sec",
        st.metrics.get(Metric::Commands),
    );
    o.field("total_net_input_bytes", t.net_input);
    o.field("total_net_output_bytes", t.net_output);
    o.zeros(&["total_net_repl_input_bytes", "total_net_repl_output_bytes"]);
    o.field(
        "instantaneous_input_kbps",
        kbps(st.metrics.get(Metric::NetInput)),
    );
    o.field(
        "instantaneous_output_kbps",
        kbps(st.metrics.get(Metric::NetOutput)),
    );
    o.field("instantaneous_input_repl_kbps", "0.00");
    o.field("instantaneous_output_repl_kbps", "0.00");
    o.field("rejected_connections", load(&st.rejected_connections));
    o.zeros(&["sync_full", "sync_partial_ok", "sync_partial_err"]);
    o.field("expired_keys", ks.expired_keys.get());
    o.field("expired_stale_perc", "0.00");
    o.zeros(&[
        "expired_time_cap_reached_count",
        "expire_cycle_cpu_milliseconds",
        "evicted_keys",
        "evicted_clients",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
    ]);
    o.field("keyspace_hits", ks.keyspace_hits.get());
    o.field("keyspace_misses", ks.keyspace_misses.get());
    o.zeros(&[
        "pubsub_channels",
        "pubsub_patterns",
        "pubsubshard_channels",
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
    ]);
    o.field("total_error_replies", t.error_replies);
    o.field("dump_payload_sanitizations", 0);
    o.field("total_reads_processed", t.reads);
    o.field("total_writes_processed", t.writes);
    o.zeros(&[
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    ]);
    // A cycle is one read, its commands and their write; time is command time.
    let cycles_per_sec = st.metrics.get(Metric::Cycles);
    o.field("eventloop_cycles", t.reads);
    o.field("eventloop_duration_sum", t.command_ns / 1000);
    o.field("eventloop_duration_cmd_sum", t.command_ns / 1000);
    o.field("instantaneous_eventloop_cycles_per_sec", cycles_per_sec);
    o.field(
        "instantaneous_eventloop_duration_usec",
        st.metrics.get(Metric::CommandNs) / cycles_per_sec.max(1) / 1000,
    );
    o.zeros(&[
        "acl_access_denied_auth",
        "acl_access_denied_cmd",
        "acl_access_denied_key",
        "acl_access_denied_channel",
    ]);
}

fn replication(o: &mut Out, s: &mut Ctx<'_, '_>) {
    o.field("role", "master");
    o.field("connected_slaves", 0);
    o.field("master_failover_state", "no-failover");
    o.field("master_replid", &s.stats().replid);
    o.field("master_replid2", "0".repeat(40));
    o.field("master_repl_offset", 0);
    o.field("second_repl_offset", -1);
    o.field("repl_backlog_active", 0);
    o.field("repl_backlog_size", 1_048_576);
    o.field("repl_backlog_first_byte_offset", 0);
    o.field("repl_backlog_histlen", 0);
}

fn cpu(o: &mut Out, _: &mut Ctx<'_, '_>) {
    for (suffix, who) in [
        ("", libc::RUSAGE_SELF),
        ("_children", libc::RUSAGE_CHILDREN),
        ("_main_thread", libc::RUSAGE_THREAD),
    ] {
        let (sys, user) = system::cpu_seconds(who);
        o.field(&format!("used_cpu_sys{suffix}"), format!("{sys:.6}"));
        o.field(&format!("used_cpu_user{suffix}"), format!("{user:.6}"));
    }
}

/// Commands with statistics, each followed by its subcommands, as Redis lists them.
fn commands_with_totals<'t>(
    s: &Ctx<'t, '_>,
    histograms: bool,
) -> Vec<(&'t Command, CommandTotals)> {
    let table = s.table();
    let mut totals = s.stats().counters.per_command(histograms);
    let mut out = Vec::new();
    for top in table.iter() {
        for cmd in std::iter::once(top).chain(top.subcommands.iter()) {
            let t = std::mem::take(&mut totals[cmd.id as usize]);
            if t.calls + t.rejected + t.failed > 0 {
                out.push((cmd, t));
            }
        }
    }
    out
}

fn commandstats(o: &mut Out, s: &mut Ctx<'_, '_>) {
    for (cmd, t) in commands_with_totals(s, false) {
        let usec = t.ns / 1000;
        let per_call = if t.calls == 0 {
            0.0
        } else {
            t.ns as f64 / 1000.0 / t.calls as f64
        };
        o.field(
            &format!("cmdstat_{}", cmd.fullname),
            format!(
                "calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                t.calls, t.rejected, t.failed
            ),
        );
    }
}

fn errorstats(o: &mut Out, s: &mut Ctx<'_, '_>) {
    for (code, n) in s.stats().counters.errors() {
        o.field(
            &format!("errorstat_{}", String::from_utf8_lossy(&code)),
            format!("count={n}"),
        );
    }
}

/// The percentiles INFO latencystats reports (Redis's default
/// `latency-tracking-info-percentiles`).
const PERCENTILES: [f64; 3] = [50.0, 99.0, 99.9];

fn latencystats(o: &mut Out, s: &mut Ctx<'_, '_>) {
    for (cmd, t) in commands_with_totals(s, true) {
        let Some(h) = t.histogram.filter(|h| h.total() > 0) else {
            continue;
        };
        let values: Vec<String> = PERCENTILES
            .iter()
            .map(|&p| format!("p{p}={:.3}", h.percentile(p) as f64 / 1000.0))
            .collect();
        o.field(
            &format!("latency_percentiles_usec_{}", cmd.fullname),
            values.join(","),
        );
    }
}

fn keyspace(o: &mut Out, s: &mut Ctx<'_, '_>) {
    for db in 0..s.databases() {
        let summary = s.db_at(db).summary();
        if summary.keys > 0 {
            o.field(
                &format!("db{db}"),
                format!(
                    "keys={},expires={},avg_ttl={}",
                    summary.keys, summary.expires, summary.avg_ttl
                ),
            );
        }
    }
}

/// INFO reads every database's key counts when it prints the keyspace
/// section, so it declares every database's locks then.
fn info_locks(args: &Args<'_>, _db: usize, databases: usize, plan: &mut LockPlan) {
    let wanted = selected_sections(args.iter().skip(1));
    if wanted[KEYSPACE] {
        plan.add_all(databases);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(wanted: [bool; SECTIONS.len()]) -> Vec<&'static str> {
        SECTIONS
            .iter()
            .zip(wanted)
            .filter(|(_, w)| *w)
            .map(|(s, _)| s.0)
            .collect()
    }

    #[test]
    fn section_selection_follows_redis() {
        let none: [&[u8]; 0] = [];
        assert!(!names(selected_sections(none.into_iter())).contains(&"commandstats"));
        assert_eq!(
            names(selected_sections(
                [&b"KEYSPACE"[..], b"server", b"nope"].into_iter()
            )),
            ["server", "keyspace"]
        );
        assert_eq!(
            names(selected_sections([&b"everything"[..]].into_iter())).len(),
            SECTIONS.len()
        );
        assert!(names(selected_sections([&b"nope"[..]].into_iter())).is_empty());
    }
}
