//! The COMMAND command: the command table described to clients.
//!
//! Everything here is read from the table entries the families register
//! (arity, flags, key specs, categories, tips, docs), so introspection can
//! never disagree with what dispatch enforces. Reply shapes follow Redis:
//! flags, categories, tips and key specs are sets, a command without
//! subcommands reports an empty set of them, and a few flags Redis keeps to
//! itself are never shown.

use super::reply_help;
use crate::command::docs::{self, Arg};
use crate::command::keyfind::{has_movable_keys, key_positions, legacy_range};
use crate::command::spec::{BeginSearch, FindKeys};
use crate::command::{Args, CmdResult, Command, Ctx, KeySpec, SYNTAX, acl, flag, key};
use crate::protocol::Reply;
use crate::util::glob::glob_match;

pub fn register(t: &mut Vec<Command>) {
    let base = |c: Command| {
        c.flags(flag::LOADING | flag::STALE | flag::SENTINEL)
            .acl(acl::CONNECTION)
    };
    let unordered: &[&str] = &["nondeterministic_output_order"];
    let names = "[command-name [command-name ...]]";
    let full_command = "command [arg [arg ...]]";
    let per_arg = "O(N) where N is the number of arguments to the command";
    let per_name = "O(N) where N is the number of commands to look up";
    let all = "O(N) where N is the total number of Redis commands";
    t.push(
        base(Command::new("command", -1, command_all))
            .tips(unordered)
            .doc("server", "2.8.13", all, "Describes every command.")
            .sub(
                base(Command::new("docs", -2, command_docs))
                    .tips(unordered)
                    .doc(
                        "server",
                        "7.0.0",
                        per_name,
                        "Documents the given commands, or all.",
                    )
                    .args(names),
            )
            .sub(
                base(Command::new("getkeysandflags", -3, command_getkeysandflags))
                    .doc(
                        "server",
                        "7.0.0",
                        per_arg,
                        "Extracts the keys of a full command line, with how each is accessed.",
                    )
                    .args(full_command),
            )
            .sub(base(Command::new("count", 2, command_count)).doc(
                "server",
                "2.8.13",
                "O(1)",
                "Counts the commands this server knows.",
            ))
            .sub(
                base(Command::new("info", -2, command_info))
                    .tips(unordered)
                    .doc(
                        "server",
                        "2.8.13",
                        per_name,
                        "Describes the given commands, or all.",
                    )
                    .args(names),
            )
            .sub(
                base(Command::new("list", -2, command_list))
                    .tips(unordered)
                    .doc(
                        "server",
                        "7.0.0",
                        all,
                        "Lists command names, optionally filtered.",
                    )
                    .args("[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]"),
            )
            .sub(base(Command::new("help", 2, command_help)).doc(
                "server",
                "5.0.0",
                "O(1)",
                "Explains the COMMAND subcommands.",
            ))
            .sub(
                base(Command::new("getkeys", -3, command_getkeys))
                    .doc(
                        "server",
                        "2.8.13",
                        per_arg,
                        "Extracts the keys of a full command line.",
                    )
                    .args(full_command),
            ),
    );
}

/// Flags Redis sets internally but leaves out of COMMAND INFO.
const HIDDEN_FLAGS: u32 = flag::SENTINEL
    | flag::ONLY_SENTINEL
    | flag::PROTECTED
    | flag::MAY_REPLICATE
    | flag::TOUCHES_ARBITRARY_KEYS;

/// Finds `name` or `container|sub` in any letter case.
fn lookup_full<'s>(ctx: &Ctx<'s, '_>, name: &[u8]) -> Option<&'s Command> {
    let mut parts = name.splitn(3, |&b| b == b'|');
    let top = ctx.table().lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(top),
        (Some(sub), None) => top.subcommand(sub),
        (Some(_), Some(_)) => None,
    }
}

fn command_all(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let table = ctx.table();
    ctx.out.array(table.len());
    for cmd in table.iter() {
        reply_info(&mut ctx.out, cmd);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.out.int(ctx.table().len() as i64);
    Ok(())
}

fn command_info(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if ctx.args.len() == 2 {
        return command_all(ctx);
    }
    ctx.out.array(ctx.args.len() - 2);
    for name in ctx.args.tail(2).iter() {
        match lookup_full(ctx, name) {
            Some(cmd) => reply_info(&mut ctx.out, cmd),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// One command's COMMAND INFO entry.
fn reply_info(out: &mut Reply<'_>, cmd: &Command) {
    let (first, last, step) = legacy_range(cmd);
    out.array(10);
    out.bulk(cmd.fullname.as_bytes());
    out.int(i64::from(cmd.arity));
    let mut flags = cmd.flags & !HIDDEN_FLAGS;
    if has_movable_keys(cmd) {
        flags |= flag::MOVABLE_KEYS;
    }
    reply_names(out, flags, flag::NAMES, "");
    out.int(first);
    out.int(last);
    out.int(step);
    reply_names(out, cmd.all_acl_categories(), acl::NAMES, "@");
    out.set(cmd.tips.len());
    for tip in cmd.tips {
        out.bulk(tip.as_bytes());
    }
    out.set(cmd.key_specs.len());
    for spec in &cmd.key_specs {
        reply_key_spec(out, spec);
    }
    if cmd.subcommands.is_empty() {
        out.set(0);
    } else {
        out.array(cmd.subcommands.len());
        for sub in &cmd.subcommands {
            reply_info(out, sub);
        }
    }
}

/// The names of the bits set in `bits`, as a set of status replies.
fn reply_names(out: &mut Reply<'_>, bits: u32, names: &[(u32, &str)], prefix: &str) {
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|&(_, name)| name)
        .collect();
    out.set(set.len());
    for name in set {
        out.simple(&format!("{prefix}{name}"));
    }
}

fn reply_key_spec(out: &mut Reply<'_>, spec: &KeySpec) {
    out.map(3);
    out.bulk(b"flags");
    reply_names(out, spec.flags, key::NAMES, "");
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match spec.begin {
        BeginSearch::Index(pos) => {
            out.bulk(b"index");
            reply_int_map(out, &[("index", pos)]);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(i64::from(startfrom));
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            reply_int_map(out, &[]);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match spec.find {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => {
            out.bulk(b"range");
            reply_int_map(
                out,
                &[("lastkey", lastkey), ("keystep", step), ("limit", limit)],
            );
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            step,
        } => {
            out.bulk(b"keynum");
            reply_int_map(
                out,
                &[
                    ("keynumidx", keynumidx),
                    ("firstkey", firstkey),
                    ("keystep", step),
                ],
            );
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            reply_int_map(out, &[]);
        }
    }
}

/// `spec` followed by a map of integer fields.
fn reply_int_map(out: &mut Reply<'_>, fields: &[(&str, i32)]) {
    out.bulk(b"spec");
    out.map(fields.len());
    for &(name, value) in fields {
        out.bulk(name.as_bytes());
        out.int(i64::from(value));
    }
}

fn command_docs(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let mark = ctx.out.mark();
    let mut found = 0;
    if ctx.args.len() == 2 {
        for cmd in ctx.table().iter() {
            reply_doc_entry(&mut ctx.out, cmd);
            found += 1;
        }
    } else {
        for name in ctx.args.tail(2).iter() {
            if let Some(cmd) = lookup_full(ctx, name) {
                reply_doc_entry(&mut ctx.out, cmd);
                found += 1;
            }
        }
    }
    ctx.out.map_before(mark, found);
    Ok(())
}

/// `fullname` then its documentation map.
fn reply_doc_entry(out: &mut Reply<'_>, cmd: &Command) {
    out.bulk(cmd.fullname.as_bytes());
    let doc = &cmd.doc;
    let args = docs::parse(doc.arguments, cmd.key_specs.len());
    let fields = 4 + usize::from(!args.is_empty()) + usize::from(!cmd.subcommands.is_empty());
    out.map(fields);
    for (name, value) in [
        ("summary", doc.summary),
        ("since", doc.since),
        ("group", doc.group),
        ("complexity", doc.complexity),
    ] {
        out.bulk(name.as_bytes());
        out.bulk(value.as_bytes());
    }
    if !args.is_empty() {
        out.bulk(b"arguments");
        reply_args(out, &args);
    }
    if !cmd.subcommands.is_empty() {
        out.bulk(b"subcommands");
        out.map(cmd.subcommands.len());
        for sub in &cmd.subcommands {
            reply_doc_entry(out, sub);
        }
    }
}

fn reply_args(out: &mut Reply<'_>, args: &[Arg]) {
    out.array(args.len());
    for arg in args {
        let flags = arg.flags();
        let fields = 2
            + usize::from(arg.key_spec_index.is_some())
            + usize::from(arg.token.is_some())
            + usize::from(!flags.is_empty())
            + usize::from(!arg.arguments.is_empty());
        out.map(fields);
        out.bulk(b"name");
        out.bulk(arg.name.as_bytes());
        out.bulk(b"type");
        out.bulk(arg.kind.name().as_bytes());
        if let Some(index) = arg.key_spec_index {
            out.bulk(b"key_spec_index");
            out.int(index as i64);
        }
        if let Some(token) = &arg.token {
            out.bulk(b"token");
            out.bulk(token.as_bytes());
        }
        if !flags.is_empty() {
            out.bulk(b"flags");
            out.set(flags.len());
            for flag in flags {
                out.simple(flag);
            }
        }
        if !arg.arguments.is_empty() {
            out.bulk(b"arguments");
            reply_args(out, &arg.arguments);
        }
    }
}

/// COMMAND LIST's optional filter.
enum Filter<'a> {
    All,
    Module,
    AclCategory(&'a [u8]),
    Pattern(&'a [u8]),
}

impl Filter<'_> {
    fn keeps(&self, cmd: &Command) -> bool {
        match self {
            Filter::All => true,
            // No modules exist, so no command belongs to one.
            Filter::Module => false,
            Filter::AclCategory(name) => acl::NAMES.iter().any(|&(bit, cat)| {
                cat.as_bytes().eq_ignore_ascii_case(name) && cmd.all_acl_categories() & bit != 0
            }),
            Filter::Pattern(pattern) => glob_match(pattern, cmd.fullname.as_bytes(), true),
        }
    }
}

fn command_list(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let filter = match ctx.args.len() {
        2 => Filter::All,
        5 if ctx.arg(2).eq_ignore_ascii_case(b"FILTERBY") => {
            let (kind, value) = (ctx.arg(3), ctx.arg(4));
            if kind.eq_ignore_ascii_case(b"MODULE") {
                Filter::Module
            } else if kind.eq_ignore_ascii_case(b"ACLCAT") {
                Filter::AclCategory(value)
            } else if kind.eq_ignore_ascii_case(b"PATTERN") {
                Filter::Pattern(value)
            } else {
                return Err(SYNTAX);
            }
        }
        _ => return Err(SYNTAX),
    };
    let mark = ctx.out.mark();
    let mut n = 0;
    for cmd in ctx.table().iter() {
        for c in std::iter::once(cmd).chain(&cmd.subcommands) {
            if filter.keeps(c) {
                ctx.out.bulk(c.fullname.as_bytes());
                n += 1;
            }
        }
    }
    ctx.out.array_before(mark, n);
    Ok(())
}

fn command_getkeys(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    getkeys(ctx, false)
}

fn command_getkeysandflags(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    getkeys(ctx, true)
}

fn getkeys(ctx: &mut Ctx<'_, '_>, with_flags: bool) -> CmdResult {
    let line = ctx.args.tail(2);
    let cmd = resolve_line(ctx, &line).ok_or("ERR Invalid command specified")?;
    if cmd.key_specs.is_empty() {
        return Err("ERR The command has no key arguments".into());
    }
    if !cmd.arity_ok(line.len()) {
        return Err("ERR Invalid number of arguments specified for command".into());
    }
    let mut keys = Vec::new();
    if key_positions(cmd, &line, &mut keys).is_err() || keys.is_empty() {
        if cmd.has(flag::NO_MANDATORY_KEYS) {
            ctx.out.array(0);
            return Ok(());
        }
        return Err("ERR Invalid arguments specified for command".into());
    }
    ctx.out.array(keys.len());
    for (pos, flags) in keys {
        if with_flags {
            ctx.out.array(2);
            ctx.out.bulk(line.get(pos));
            // Redis resolves variable flags per call; the spec's own flags stand in.
            reply_names(&mut ctx.out, flags & !key::VARIABLE_FLAGS, key::NAMES, "");
        } else {
            ctx.out.bulk(line.get(pos));
        }
    }
    Ok(())
}

/// The table entry a full command line runs, descending into subcommands.
fn resolve_line<'s>(ctx: &Ctx<'s, '_>, line: &Args<'_>) -> Option<&'s Command> {
    let cmd = ctx.table().lookup(line.get(0))?;
    if cmd.subcommands.is_empty() {
        return Some(cmd);
    }
    cmd.subcommand(line.iter().nth(1)?)
}

const COMMAND_HELP: &[&str] = &[
    "(no subcommand)",
    "    Details of every command this server knows.",
    "COUNT",
    "    How many commands this server knows.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    Names of the commands, optionally filtered.",
    "INFO [<command-name> ...]",
    "    Details of the named commands, or of all commands when none is named.",
    "DOCS [<command-name> ...]",
    "    Documentation of the named commands, or of all commands when none is named.",
    "GETKEYS <full-command>",
    "    The key arguments of a complete command line.",
    "GETKEYSANDFLAGS <full-command>",
    "    The key arguments of a complete command line with their access flags.",
];

fn command_help(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    reply_help(ctx, COMMAND_HELP)
}
