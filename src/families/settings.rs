//! CONFIG GET, SET, RESETSTAT, REWRITE and HELP: the configuration read
//! and changed at run time. The rules (which parameters exist, their
//! grammar, which may change) live in `crate::config`; this module only
//! turns requests into calls on it and results into Redis's replies.

use super::reply_help;
use crate::command::{CmdResult, Command, Ctx, SYNTAX, flag};
use crate::state::control::Request;

pub fn register(t: &mut Vec<Command>) {
    let admin = flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE;
    let all_nodes: &[&str] = &["request_policy:all_nodes", "response_policy:all_succeeded"];
    let per_param = "O(N) when N is the number of configuration parameters provided";
    t.push(
        Command::container("config", -2)
            .doc(
                "server",
                "2.0.0",
                "Depends on subcommand.",
                "Reads or changes the server configuration.",
            )
            .sub(
                Command::new("get", -3, get)
                    .flags(admin)
                    .doc(
                        "server",
                        "2.0.0",
                        per_param,
                        "Answers the values of the parameters matching the patterns.",
                    )
                    .args("parameter [parameter ...]"),
            )
            .sub(
                Command::new("set", -4, set)
                    .flags(admin)
                    .tips(all_nodes)
                    .doc(
                        "server",
                        "2.0.0",
                        per_param,
                        "Changes parameters, all of them or none.",
                    )
                    .args("parameter value [parameter value ...]"),
            )
            .sub(
                Command::new("resetstat", 2, resetstat)
                    .flags(admin)
                    .tips(all_nodes)
                    .doc(
                        "server",
                        "2.0.0",
                        "O(1)",
                        "Zeroes the statistics INFO reports.",
                    ),
            )
            .sub(
                Command::new("rewrite", 2, rewrite)
                    .flags(admin)
                    .tips(all_nodes)
                    .doc(
                        "server",
                        "2.8.0",
                        "O(1)",
                        "Writes the configuration in force back to the config file.",
                    ),
            )
            .sub(
                Command::new("help", 2, help)
                    .flags(flag::LOADING | flag::STALE)
                    .doc(
                        "server",
                        "5.0.0",
                        "O(1)",
                        "Explains the CONFIG subcommands.",
                    ),
            ),
    );
}

fn get(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let patterns: Vec<&[u8]> = ctx.args.iter().skip(2).collect();
    let found = ctx.config().get(&patterns);
    ctx.out.map(found.len());
    for (name, value) in found {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
    Ok(())
}

fn set(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if !ctx.args.len().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let args: Vec<&[u8]> = ctx.args.iter().skip(2).collect();
    let pairs: Vec<(&[u8], &[u8])> = args.chunks(2).map(|p| (p[0], p[1])).collect();
    let rebind = |bind: &[String], port| {
        let request = Request::Rebind {
            bind: bind.to_vec(),
            port,
        };
        ctx.request(request, "the server is not listening")
    };
    ctx.config()
        .set(&pairs, rebind)
        .map_err(|e| e.to_string())?;
    ctx.out.ok();
    Ok(())
}

fn resetstat(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.stats().reset();
    let ks = ctx.keyspace_stats();
    for counter in [&ks.expired_keys, &ks.keyspace_hits, &ks.keyspace_misses] {
        counter.reset();
    }
    ctx.out.ok();
    Ok(())
}

fn rewrite(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    match crate::config::rewrite::rewrite(ctx.config()) {
        Ok(()) => {
            crate::log::notice("CONFIG REWRITE executed with success.");
            ctx.out.ok();
            Ok(())
        }
        Err(e) => {
            crate::log::warning(&format!("CONFIG REWRITE failed: {e}"));
            Err(e.into())
        }
    }
}

const HELP: &[&str] = &[
    "GET <pattern> [<pattern> ...]",
    "    Answers each parameter whose name matches a glob-style <pattern>, with its value.",
    "SET <parameter> <value> [<parameter> <value> ...]",
    "    Changes parameters at run time; either every change applies or none does.",
    "RESETSTAT",
    "    Zeroes the counters INFO reports.",
    "REWRITE",
    "    Writes the values in force back into the config file the server started with.",
];

fn help(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    reply_help(ctx, HELP)
}
