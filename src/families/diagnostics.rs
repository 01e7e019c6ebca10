//! SLOWLOG and LATENCY: reading and clearing what `observe` recorded about
//! slow commands: the slow log (commands over `slowlog-log-slower-than`
//! microseconds), the latency monitor's events (LATEST, HISTORY, RESET,
//! GRAPH, DOCTOR) and the per-command latency histograms (HISTOGRAM) that
//! INFO latencystats summarises.

use super::{reply_help, subcommand_error};
use crate::command::{CmdError, CmdResult, Command, Ctx, flag};
use crate::observe::latency::Series;

pub fn register(t: &mut Vec<Command>) {
    register_slowlog(t);
    register_latency(t);
}

fn register_slowlog(t: &mut Vec<Command>) {
    let admin = |c: Command| c.flags(flag::ADMIN | flag::LOADING | flag::STALE);
    t.push(
        Command::container("slowlog", -2)
            .doc(
                "server",
                "2.2.12",
                "Depends on subcommand.",
                "Reads or clears the slow log.",
            )
            .sub(
                admin(Command::new("get", -2, slowlog_get))
                    .tips(&["request_policy:all_nodes", "nondeterministic_output"])
                    .doc(
                        "server",
                        "2.2.12",
                        "O(N) where N is the number of entries returned",
                        "Returns the newest entries of the slow log.",
                    )
                    .args("[count]"),
            )
            .sub(
                admin(Command::new("len", 2, slowlog_len))
                    .tips(&[
                        "request_policy:all_nodes",
                        "response_policy:agg_sum",
                        "nondeterministic_output",
                    ])
                    .doc(
                        "server",
                        "2.2.12",
                        "O(1)",
                        "Counts the entries in the slow log.",
                    ),
            )
            .sub(
                admin(Command::new("reset", 2, slowlog_reset))
                    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
                    .doc(
                        "server",
                        "2.2.12",
                        "O(N) where N is the number of entries in the slowlog",
                        "Empties the slow log.",
                    ),
            )
            .sub(
                Command::new("help", 2, slowlog_help)
                    .flags(flag::LOADING | flag::STALE)
                    .doc(
                        "server",
                        "6.2.0",
                        "O(1)",
                        "Describes the SLOWLOG subcommands.",
                    ),
            ),
    );
}

/// Entries SLOWLOG GET returns without a count.
const DEFAULT_COUNT: i64 = 10;

fn slowlog_get(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(subcommand_error(ctx));
    }
    let count = match ctx.args.len() {
        3 => parse_count(ctx.arg(2)).ok_or("ERR count should be greater than or equal to -1")?,
        _ => DEFAULT_COUNT,
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let slowlog = &ctx.stats().slowlog;
    let out = &mut ctx.out;
    slowlog.newest(count, |entries| {
        out.array(entries.len());
        for e in entries {
            out.array(6);
            out.int(e.id as i64);
            out.int(e.time);
            out.int(e.micros as i64);
            out.array(e.argv.len());
            for a in &e.argv {
                out.bulk(a);
            }
            out.bulk(e.addr.as_bytes());
            out.bulk(&e.name);
        }
    });
    Ok(())
}

/// A count of -1 (all) or more.
fn parse_count(arg: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(arg).filter(|&n| n >= -1)
}

fn slowlog_len(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.out.int(ctx.stats().slowlog.len() as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.stats().slowlog.reset();
    ctx.out.ok();
    Ok(())
}

const SLOWLOG_HELP: &[&str] = &[
    "GET [<count>]",
    "    Returns the newest <count> entries (10 by default, -1 for all). Each",
    "    entry holds: id, unix time, duration in microseconds, the arguments,",
    "    the client's address and port, and the client's name.",
    "LEN",
    "    Returns how many entries the log holds.",
    "RESET",
    "    Empties the log.",
];

fn slowlog_help(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    reply_help(ctx, SLOWLOG_HELP)
}

fn register_latency(t: &mut Vec<Command>) {
    let sub_since = |since, name, arity, handler, complexity, summary| {
        Command::new(name, arity, handler)
            .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE)
            .tips(&[
                "nondeterministic_output",
                "request_policy:all_nodes",
                "response_policy:special",
            ])
            .doc("server", since, complexity, summary)
    };
    let sub = |name, arity, handler, complexity, summary| {
        sub_since("2.8.13", name, arity, handler, complexity, summary)
    };
    t.push(
        Command::container("latency", -2)
            .doc(
                "server",
                "2.8.13",
                "Depends on subcommand.",
                "Inspects the latency monitor and command latency histograms.",
            )
            .sub(sub(
                "latest",
                2,
                latency_latest,
                "O(1)",
                "Returns the latest sample of every latency event.",
            ))
            .sub(
                sub(
                    "history",
                    3,
                    latency_history,
                    "O(1)",
                    "Returns the samples of one latency event.",
                )
                .args("event"),
            )
            .sub(
                sub(
                    "reset",
                    -2,
                    latency_reset,
                    "O(1)",
                    "Forgets the samples of some or all latency events.",
                )
                .tips(&["request_policy:all_nodes", "response_policy:agg_sum"])
                .args("[event [event ...]]"),
            )
            .sub(sub(
                "doctor",
                2,
                latency_doctor,
                "O(1)",
                "Describes the observed latency in prose.",
            ))
            .sub(
                sub(
                    "graph",
                    3,
                    latency_graph,
                    "O(1)",
                    "Draws one latency event's samples as ASCII art.",
                )
                .args("event"),
            )
            .sub(
                sub_since(
                    "7.0.0",
                    "histogram",
                    -2,
                    latency_histogram,
                    "O(N) where N is the number of commands with latency information being retrieved.",
                    "Returns the latency distribution of the given commands, or of all.",
                )
                .args("[command [command ...]]"),
            )
            .sub(
                Command::new("help", 2, latency_help)
                    .flags(flag::LOADING | flag::STALE)
                    .doc(
                        "server",
                        "2.8.13",
                        "O(1)",
                        "Describes the LATENCY subcommands.",
                    ),
            ),
    );
}

fn latency_latest(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let events = ctx.stats().latency.snapshot();
    ctx.out.array(events.len());
    for (name, series) in events {
        let last = series
            .samples
            .back()
            .copied()
            .unwrap_or(crate::observe::latency::Sample { time: 0, millis: 0 });
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(last.time);
        ctx.out.int(last.millis as i64);
        ctx.out.int(series.max as i64);
    }
    Ok(())
}

fn event_series(ctx: &Ctx<'_, '_>) -> Option<Series> {
    let name = std::str::from_utf8(ctx.arg(2)).ok()?;
    ctx.stats().latency.series(name)
}

fn latency_history(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let samples = event_series(ctx).map(|s| s.samples).unwrap_or_default();
    ctx.out.array(samples.len());
    for s in samples {
        ctx.out.array(2);
        ctx.out.int(s.time);
        ctx.out.int(s.millis as i64);
    }
    Ok(())
}

fn latency_reset(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let names: Vec<&[u8]> = ctx.args.iter().skip(2).collect();
    let n = ctx.stats().latency.reset(&names);
    ctx.out.int(n as i64);
    Ok(())
}

fn latency_graph(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let Some(series) = event_series(ctx) else {
        let mut msg = b"ERR No samples available for event '".to_vec();
        msg.extend_from_slice(crate::protocol::reply::c_string(ctx.arg(2), usize::MAX));
        msg.push(b'\'');
        return Err(CmdError::Bytes(msg));
    };
    let name = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    let now = crate::util::time::now_ms() / 1000;
    let text = graph(&name, &series, now);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Rows of the graph's bars; each row has three steps (`_`, `o`, `#`).
const GRAPH_ROWS: usize = 4;

/// An ASCII chart of the samples: one column per sample, bar height scaled
/// between the lowest and highest sample, and under each column how long
/// ago it was, written vertically.
fn graph(event: &str, series: &Series, now: i64) -> String {
    let samples = &series.samples;
    let low = samples.iter().map(|s| s.millis).min().unwrap_or(0);
    let high = samples.iter().map(|s| s.millis).max().unwrap_or(0);
    let mut text = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        series.max,
        "-".repeat(80)
    );
    let steps = GRAPH_ROWS * 3;
    let level = |v: u64| {
        let span = (high - low).max(1) as f64;
        (((v - low) as f64 / span) * (steps - 1) as f64).round() as usize
    };
    for row in (0..GRAPH_ROWS).rev() {
        let line: String = samples
            .iter()
            .map(|s| {
                let l = level(s.millis) as isize - (row * 3) as isize;
                match l {
                    l if l < 0 => ' ',
                    0 => '_',
                    1 => 'o',
                    2 => '#',
                    _ => '|',
                }
            })
            .collect();
        text.push_str(&line);
        text.push('\n');
    }
    let labels: Vec<String> = samples.iter().map(|s| age(now - s.time)).collect();
    let tallest = labels.iter().map(String::len).max().unwrap_or(0);
    text.push_str(&" ".repeat(samples.len()));
    text.push('\n');
    for i in 0..tallest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(i).map_or(' ', |&b| b as char))
            .collect();
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// "12s", "5m", "3h", "2d": how long ago, in the largest fitting unit.
fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn latency_doctor(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let threshold = ctx.config().latency_monitor_threshold();
    let events = ctx.stats().latency.snapshot();
    let text = doctor(threshold, &events);
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// The DOCTOR report: what was seen per event and what to look at.
fn doctor(threshold_ms: u64, events: &[(String, Series)]) -> String {
    if threshold_ms == 0 && events.is_empty() {
        return "The latency monitor is off, so there is nothing to report. Turn it on with \
                CONFIG SET latency-monitor-threshold <milliseconds>; events that take at \
                least that long are then recorded.\n"
            .into();
    }
    if events.is_empty() {
        return format!(
            "No event has taken {threshold_ms} ms or more since the latency monitor was \
             last reset. Latency looks healthy.\n"
        );
    }
    let mut text = String::from("Latency report: these events reached the threshold.\n\n");
    for (i, (name, s)) in events.iter().enumerate() {
        let n = s.samples.len() as u64;
        let avg = s.samples.iter().map(|x| x.millis).sum::<u64>() / n.max(1);
        let span = s.samples.back().map_or(0, |l| l.time) - s.samples.front().map_or(0, |f| f.time);
        text.push_str(&format!(
            "{}. {name}: {n} second(s) with spikes over {span} s, average {avg} ms, \
             worst ever {} ms.\n",
            i + 1,
            s.max
        ));
    }
    text.push_str("\nWhat to look at:\n");
    if events
        .iter()
        .any(|(n, _)| n == "command" || n == "fast-command")
    {
        text.push_str(
            "- SLOWLOG GET lists the slowest commands with their arguments. Commands that \
             walk whole collections or keyspaces (KEYS, SMEMBERS, large range queries) \
             scale with the data they touch.\n",
        );
    }
    if events.iter().any(|(n, _)| n == "fast-command") {
        text.push_str(
            "- Commands that are normally O(1) were slow: the host may be overloaded, \
             swapping, or the process may be starved of CPU.\n",
        );
    }
    text.push_str("- LATENCY RESET clears these samples once the cause is dealt with.\n");
    text
}

fn latency_histogram(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let table = ctx.table();
    let totals = ctx.stats().counters.per_command(true);
    let wanted: Vec<Vec<u8>> = ctx
        .args
        .iter()
        .skip(2)
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let mut chosen: Vec<(&Command, &crate::observe::histogram::Merged, u64)> = Vec::new();
    for (cmd, t) in table.every().zip(&totals) {
        let named = wanted.is_empty() || wanted.iter().any(|w| w == cmd.fullname.as_bytes());
        if let (true, Some(h)) = (named, &t.histogram)
            && t.calls > 0
        {
            chosen.push((cmd, h, t.calls));
        }
    }
    let out = &mut ctx.out;
    out.map(chosen.len());
    for (cmd, h, calls) in chosen {
        out.bulk(cmd.fullname.as_bytes());
        out.map(2);
        out.bulk(b"calls");
        out.int(calls as i64);
        out.bulk(b"histogram_usec");
        let levels = h.cumulative_powers_of_two();
        out.map(levels.len());
        for (ns, count) in levels {
            out.int((ns / 1000) as i64);
            out.int(count as i64);
        }
    }
    Ok(())
}

const LATENCY_HELP: &[&str] = &[
    "DOCTOR",
    "    Describes the recorded latency events in prose.",
    "GRAPH <event>",
    "    Draws the samples of <event> as an ASCII chart.",
    "HISTORY <event>",
    "    Returns the (unix time, milliseconds) samples of <event>.",
    "LATEST",
    "    Returns each event's latest sample and its all-time maximum.",
    "RESET [<event> ...]",
    "    Forgets the samples of the given events (all events by default).",
    "HISTOGRAM [COMMAND ...]",
    "    Returns the cumulative latency distribution of the given commands",
    "    (of every command that ran, by default).",
];

fn latency_help(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    reply_help(ctx, LATENCY_HELP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::latency::Sample;

    #[test]
    fn graph_draws_the_highest_sample_tallest_and_labels_ages() {
        let series = Series {
            samples: [
                Sample {
                    time: 100,
                    millis: 30,
                },
                Sample {
                    time: 102,
                    millis: 15,
                },
            ]
            .into(),
            max: 30,
        };
        let text = graph("command", &series, 103);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 30 ms, low 15 ms (all time high 30 ms)"
        );
        assert_eq!(&lines[2..6], ["# ", "| ", "| ", "|_"]);
        assert_eq!(&lines[7..], ["31", "ss"]);
    }
}
