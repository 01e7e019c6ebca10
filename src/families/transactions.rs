//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! These handlers are what the commands do when they run as ordinary
//! commands. While a transaction is open the dispatcher queues every other
//! command and runs EXEC itself (`dispatch::exec`): EXEC's handler here
//! only answers an EXEC outside MULTI. WATCH runs with its keys' shards
//! locked, so no write to them is in flight while it registers them.

use crate::command::{CmdResult, Command, Ctx, KeySpec, acl, flag, key};

/// What MULTI, DISCARD, WATCH and UNWATCH share.
const CONTROL: u32 = flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::ALLOW_BUSY;

pub fn register(t: &mut Vec<Command>) {
    let tx = |c: Command| c.acl(acl::TRANSACTION);
    t.push(tx(Command::new("multi", 1, multi)).flags(CONTROL).doc(
        "transactions",
        "1.2.0",
        "O(1)",
        "Starts a transaction.",
    ));
    t.push(
        tx(Command::new("exec", 1, exec_without_multi))
            .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SKIP_SLOWLOG)
            .doc(
                "transactions",
                "1.2.0",
                "Depends on commands in the transaction",
                "Executes all commands in a transaction.",
            ),
    );
    t.push(tx(Command::new("discard", 1, discard)).flags(CONTROL).doc(
        "transactions",
        "2.0.0",
        "O(N), when N is the number of queued commands",
        "Discards a transaction.",
    ));
    t.push(
        tx(Command::new("watch", -2, watch))
            .flags(CONTROL)
            .key(KeySpec::range(1, -1, 1, key::RO))
            .doc(
                "transactions",
                "2.2.0",
                "O(1) for every key.",
                "Monitors changes to keys to determine the execution of a transaction.",
            )
            .args("key [key ...]"),
    );
    t.push(tx(Command::new("unwatch", 1, unwatch)).flags(CONTROL).doc(
        "transactions",
        "2.2.0",
        "O(1)",
        "Forgets about watched keys of a transaction.",
    ));
}

fn multi(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if ctx.session.in_multi() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    ctx.session.begin_transaction();
    ctx.out.ok();
    Ok(())
}

/// EXEC reaches its handler only outside a transaction.
fn exec_without_multi(_ctx: &mut Ctx<'_, '_>) -> CmdResult {
    Err("ERR EXEC without MULTI".into())
}

fn discard(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if !ctx.session.in_multi() {
        return Err("ERR DISCARD without MULTI".into());
    }
    ctx.session.end_transaction();
    ctx.out.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    if ctx.session.in_multi() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    let registry = ctx.watches();
    for key in ctx.args.tail(1).iter() {
        let expired = ctx.db().expired_in_place(key);
        ctx.session.watch(registry, key, expired);
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    ctx.session.unwatch();
    ctx.out.ok();
    Ok(())
}
