//! Transactions as the dispatcher runs them: queuing between MULTI and
//! EXEC, and EXEC itself.
//!
//! While a transaction is open, MULTI, DISCARD, WATCH, QUIT and RESET run
//! at once (their handlers know about the transaction), commands flagged
//! `no_multi` are refused, and everything else is queued and answered
//! `+QUEUED`. A refusal while queuing (unknown command, arity, `no_multi`)
//! dooms the transaction: EXEC answers EXECABORT.
//!
//! EXEC is atomic across every core: it takes the union of its queued
//! commands' lock plans (planning each against the database the SELECTs
//! before it leave selected) and of its watched keys' shards, acquires
//! that one lock set, checks the watches, and runs every command through
//! [`Dispatcher::run_locked`] inside it. No other client observes a state
//! between two of its commands, and since one lock set is taken in
//! (db, shard) order and nothing locks again, nothing can deadlock. The
//! lock set's effect records leave as one MULTI ... EXEC unit when there
//! are several. Each queued command is accounted, fed to MONITOR and
//! logged as slow on its own, as Redis does; EXEC itself is accounted
//! after them and never enters the slow log.

use super::{Dispatcher, Outcome, monitor};
use crate::command::{Args, Command, flag, locks};
use crate::keyspace::{LockPlan, Locked};
use crate::observe;
use crate::protocol::Reply;
use crate::state::Session;
use crate::state::multi::Queue;
use crate::state::session::ReplyMode;

/// Whether `cmd` is an EXEC whose transaction queued a write (CLIENT PAUSE
/// WRITE holds it then).
pub(super) fn is_exec_of_writes(cmd: &Command, session: &Session) -> bool {
    cmd.fullname == "exec" && session.multi.as_ref().is_some_and(|tx| tx.queue.writes())
}

/// A refused EXEC (arity, authentication) discards the transaction, if
/// any, and its watches, answering with the refusal's text in Redis's
/// EXECABORT form (an `ERR` code is dropped, any other kept).
pub(super) fn refuse_exec(session: &mut Session, error: &[u8], out: &mut Reply<'_>) {
    session.end_transaction();
    let reason = error.strip_prefix(b"ERR ").unwrap_or(error);
    let mut text = b"EXECABORT Transaction discarded because of: ".to_vec();
    text.extend_from_slice(reason);
    out.error_bytes(&text);
}

impl Dispatcher {
    /// A command while the session has a transaction open.
    pub(super) fn run_in_transaction(
        &self,
        session: &mut Session,
        cmd: &Command,
        args: &Args<'_>,
        out: &mut Reply<'_>,
    ) -> Outcome {
        match cmd.fullname.as_str() {
            "exec" => return self.exec(session, cmd, args, out),
            "multi" | "discard" | "watch" | "quit" | "reset" => {
                return self.run_now(session, cmd, args, out);
            }
            _ => {}
        }
        if cmd.has(flag::NO_MULTI) {
            let refusal = super::Refusal {
                cmd: Some(cmd),
                error: b"ERR Command not allowed inside a transaction"[..].into(),
            };
            self.refuse(session, refusal, out);
            return Outcome::Refused;
        }
        session.handle.set_last_cmd(cmd.id);
        session.queue(
            cmd.id,
            args.iter(),
            cmd.has(flag::WRITE | flag::MAY_REPLICATE),
        );
        out.simple("QUEUED");
        Outcome::Ran
    }

    /// EXEC of the open transaction.
    fn exec(
        &self,
        session: &mut Session,
        exec: &Command,
        args: &Args<'_>,
        out: &mut Reply<'_>,
    ) -> Outcome {
        session.handle.set_last_cmd(exec.id);
        let started = observe::start();
        let tx = session
            .multi
            .as_mut()
            .expect("EXEC runs inside a transaction");
        let aborted = tx.aborted;
        if aborted {
            out.error("EXECABORT Transaction discarded because of previous errors.");
        } else {
            // The transaction stays open (CLIENT LIST shows it) while it runs.
            let queue = std::mem::take(&mut tx.queue);
            self.exec_queue(session, &queue, out);
        }
        session.end_transaction();
        monitor::feed(&self.shared.clients, session, exec, args);
        self.account(session, exec, args, started.elapsed_ns(), aborted);
        Outcome::Ran
    }

    /// Runs the queue under one lock set, or answers the null array if a
    /// watched key changed.
    fn exec_queue(&self, session: &mut Session, queue: &Queue, out: &mut Reply<'_>) {
        let plan = self.exec_plan(session, queue);
        let mut locked = self.shared.keyspace.lock(&plan);
        let broken = watch_broken(session, &mut locked);
        // Before anything runs: the transaction's own writes are no change.
        session.unwatch();
        if broken {
            out.null_array();
            return;
        }
        locked.emit_as_unit();
        let mut gate = ReplyGate::new(session);
        let header = out.mark();
        out.array(queue.len());
        gate.apply(session, out, header);
        for (id, bytes, spans) in queue.iter() {
            let cmd = self
                .table
                .by_id(id)
                .expect("queued commands come from the table");
            let args = Args::new(bytes, spans);
            let mark = out.mark();
            self.exec_one(&mut locked, session, cmd, &args, out);
            gate.apply(session, out, mark);
        }
        gate.finish(session);
    }

    /// One queued command, inside EXEC's lock set.
    fn exec_one(
        &self,
        locked: &mut Locked<'_>,
        session: &mut Session,
        cmd: &Command,
        args: &Args<'_>,
        out: &mut Reply<'_>,
    ) {
        let started = observe::start();
        let errors_before = out.errors;
        locked.no_touch = session.no_touch && cmd.name != "touch";
        let outcome = self.run_locked(locked, session, cmd, args, out);
        // HELLO inside the transaction switches the replies after it.
        out.set_resp3(session.resp3);
        if outcome == Outcome::Ran {
            monitor::feed(&self.shared.clients, session, cmd, args);
        }
        let failed = out.errors > errors_before;
        self.account(session, cmd, args, started.elapsed_ns(), failed);
    }

    /// Every shard the queued commands and the watched keys need.
    fn exec_plan(&self, session: &Session, queue: &Queue) -> LockPlan {
        let databases = self.shared.keyspace.databases();
        let mut plan = LockPlan::none();
        for (db, key) in session.watched.keys() {
            plan.add_key(db, key);
        }
        let mut db = session.db;
        for (id, bytes, spans) in queue.iter() {
            let Some(cmd) = self.table.by_id(id) else {
                continue;
            };
            let args = Args::new(bytes, spans);
            plan.union(&locks::plan(cmd, &args, db, databases));
            if cmd.fullname == "select" {
                db = selected_db(&args, databases).unwrap_or(db);
            }
        }
        plan
    }
}

/// The database a queued SELECT switches to, if its index is valid (an
/// invalid one fails and leaves the selection alone).
fn selected_db(args: &Args<'_>, databases: usize) -> Option<usize> {
    let index = crate::util::num::parse_i64(args.get(1))?;
    usize::try_from(index).ok().filter(|&db| db < databases)
}

/// Whether a watched key changed: marked by a writer, or expired since it
/// was watched (Redis checks this at EXEC, not when the key is removed).
fn watch_broken(session: &Session, locked: &mut Locked<'_>) -> bool {
    session.watch_broken()
        || session.watched.keys().any(|(db, key)| {
            !session.watched.was_expired(db, key) && locked.db(db).expired_in_place(key)
        })
}

/// CLIENT REPLY inside a transaction, as Redis applies it: every reply is
/// written or dropped according to the mode at that moment, so a queued
/// OFF keeps what EXEC wrote before it, and a queued ON lets what follows
/// through even when EXEC began with replies off or skipped.
struct ReplyGate {
    /// EXEC itself runs under CLIENT REPLY SKIP, until a queued ON.
    skipping: bool,
}

impl ReplyGate {
    fn new(session: &Session) -> ReplyGate {
        ReplyGate {
            skipping: session.reply_mode == ReplyMode::Skip,
        }
    }

    /// Drops what was written since `mark` if replies are off now.
    fn apply(&mut self, session: &Session, out: &mut Reply<'_>, mark: usize) {
        if session.reply_mode == ReplyMode::On {
            self.skipping = false;
        }
        if self.skipping || session.reply_mode == ReplyMode::Off {
            out.truncate(mark);
        }
    }

    /// Replies switched off inside EXEC stay off from the next command;
    /// what EXEC already dropped must not be dropped again with the rest.
    fn finish(self, session: &mut Session) {
        if session.reply_mode == ReplyMode::Off {
            session.reply_mode = ReplyMode::OffFromNext;
        }
    }
}
