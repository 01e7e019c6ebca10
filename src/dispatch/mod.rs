//! Running commands: lookup, arity, authentication, the lock plan, the
//! handler, propagation, MONITOR and accounting.
//!
//! This is the only place that checks what the table says (arity, flags,
//! key positions, lock needs), so handlers never re-check it, and the only
//! place that takes locks for commands: it turns the table's declarations
//! into a lock plan and acquires it. [`Dispatcher::run_locked`] runs a
//! command inside a lock set a runner already holds (what EXEC and scripts
//! do), without locking again. A panicking handler is caught here: the
//! client gets an error and the server goes on. While a client has a
//! transaction open, its commands take the path in [`exec`] instead: one
//! branch on the session's state is all the ordinary path pays for it.

mod exec;
pub mod monitor;
pub mod redact;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::command::{Args, CmdError, Command, CommandTable, Ctx, flag, locks};
use crate::config::Config;
use crate::keyspace::Locked;
use crate::observe::{self, Thresholds};
use crate::protocol::Reply;
use crate::protocol::reply::c_string;
use crate::security::auth;
use crate::state::{Session, Shared};

/// The shared state and the command table: everything a command needs
/// that is not its connection's.
pub struct Dispatcher {
    pub shared: Shared,
    pub table: CommandTable,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and replied (possibly with an error of its own).
    Ran,
    /// It was refused before running (unknown, arity, NOAUTH).
    Refused,
    /// Its handler panicked; the reply is an error.
    Panicked,
}

impl Dispatcher {
    pub fn new(config: Config, table: CommandTable) -> Dispatcher {
        let shared = Shared::new(config, table.ids());
        Dispatcher { shared, table }
    }

    /// Executes `args` for `session`, appending the reply to `buf`.
    pub fn execute(&self, session: &mut Session, args: Args<'_>, buf: &mut Vec<u8>) {
        let reply_start = buf.len();
        let mut out = Reply::new(buf, session.resp3);
        self.run(session, &args, &mut out);
        let errors = out.errors;
        if errors > 0 {
            observe::count_errors(&self.shared.stats.counters, &buf[reply_start..], errors);
        }
    }

    /// How long the command `args` names must still wait under CLIENT
    /// PAUSE, or `None` if it may run now. EXEC counts as a write when its
    /// transaction queued one, as in Redis.
    pub fn paused_for(&self, session: &Session, args: &Args<'_>) -> Option<i64> {
        let pause = &self.shared.pause;
        if !pause.active() {
            return None;
        }
        let writes = self.table.resolve(args).is_some_and(|c| {
            c.has(flag::WRITE | flag::MAY_REPLICATE) || exec::is_exec_of_writes(c, session)
        });
        pause.holds(writes)
    }

    fn run(&self, session: &mut Session, args: &Args<'_>, out: &mut Reply<'_>) -> Outcome {
        let cmd = match self.admit(session, args) {
            Ok(cmd) => cmd,
            Err(refusal) => {
                self.refuse(session, refusal, out);
                return Outcome::Refused;
            }
        };
        if session.in_multi() {
            return self.run_in_transaction(session, cmd, args, out);
        }
        self.run_now(session, cmd, args, out)
    }

    /// Locks what `cmd` needs, runs it and accounts for it.
    fn run_now(
        &self,
        session: &mut Session,
        cmd: &Command,
        args: &Args<'_>,
        out: &mut Reply<'_>,
    ) -> Outcome {
        session.handle.set_last_cmd(cmd.id);
        let started = observe::start();
        let keyspace = &self.shared.keyspace;
        let plan = locks::plan(cmd, args, session.db, keyspace.databases());
        let mut locked = keyspace.lock(&plan);
        locked.no_touch = session.no_touch && cmd.name != "touch";
        let errors_before = out.errors;
        let outcome = self.run_locked(&mut locked, session, cmd, args, out);
        drop(locked);
        if outcome == Outcome::Ran {
            monitor::feed(&self.shared.clients, session, cmd, args);
        }
        let failed = out.errors > errors_before;
        self.account(session, cmd, args, started.elapsed_ns(), failed);
        outcome
    }

    /// Counts a command that ran for `ns` (INFO commandstats and
    /// latencystats, the slow log, the latency monitor).
    fn account(&self, session: &Session, cmd: &Command, args: &Args<'_>, ns: u64, failed: bool) {
        let config = &self.shared.config;
        let thresholds = Thresholds {
            slowlog_us: config.slowlog_log_slower_than(),
            latency_ms: config.latency_monitor_threshold(),
        };
        let stats = &self.shared.stats;
        stats.counters.call(cmd.id, ns, failed);
        if thresholds.slow(ns) && !cmd.has(flag::SKIP_SLOWLOG) {
            self.log_slow(session, cmd, args, ns / 1000);
        }
        thresholds.note_latency(&stats.latency, ns, cmd.has(flag::FAST));
    }

    /// Runs `cmd` under `locked`, which must cover its lock plan (the
    /// dispatcher's own, or a runner's superset). Propagates the command's
    /// argv to the effect stream when it wrote something and emitted no
    /// record of its own.
    pub fn run_locked(
        &self,
        locked: &mut Locked<'_>,
        session: &mut Session,
        cmd: &Command,
        args: &Args<'_>,
        out: &mut Reply<'_>,
    ) -> Outcome {
        let Some(handler) = cmd.handler else {
            return Outcome::Refused;
        };
        let (changes, emits) = (locked.changes(), locked.own_emits());
        let db = session.db;
        let mark = out.mark();
        let mut ctx = Ctx::new(
            (&self.shared, &self.table, cmd),
            session,
            *args,
            out.reborrow(),
            locked,
        );
        let result = catch_unwind(AssertUnwindSafe(|| handler(&mut ctx)));
        let handler_errors = ctx.out.errors;
        locked.forget_hint();
        match result {
            Ok(Ok(())) => out.errors += handler_errors,
            Ok(Err(error)) => {
                // A failing command's reply is its error alone.
                out.truncate(mark);
                out.error_bytes(&error.message(&cmd.fullname));
            }
            Err(_) => {
                // A half-written reply would corrupt the stream.
                out.truncate(mark);
                out.error(&format!(
                    "ERR internal error while running '{}'; the server goes on",
                    cmd.fullname
                ));
                return Outcome::Panicked;
            }
        }
        let wrote = locked.changes() > changes;
        if wrote && locked.records_effects() && locked.own_emits() == emits && cmd.has(flag::WRITE)
        {
            let argv: Vec<&[u8]> = args.iter().collect();
            // Recorded as the journal's own: the runner's record of this command.
            locked.emit(db, &argv);
        }
        Outcome::Ran
    }

    /// Finds the command and checks what must hold before it may run;
    /// the refusal carries Redis's error when something does not.
    fn admit<'t>(&'t self, session: &Session, args: &Args<'_>) -> Result<&'t Command, Refusal<'t>> {
        let cmd = self.lookup(args)?;
        let refused = |error: Cow<'static, [u8]>| Refusal {
            cmd: Some(cmd),
            error,
        };
        if !cmd.arity_ok(args.len()) {
            let error = CmdError::WrongArity.message(&cmd.fullname).into_owned();
            return Err(refused(Cow::Owned(error)));
        }
        if !session.authenticated && !cmd.has(flag::NO_AUTH) && auth::required(&self.shared.config)
        {
            return Err(refused(Cow::Borrowed(auth::NOAUTH.as_bytes())));
        }
        match cmd.handler {
            Some(_) => Ok(cmd),
            None => Err(refused(Cow::Owned(
                CmdError::WrongArity.message(&cmd.fullname).into_owned(),
            ))),
        }
    }

    /// Answers a refused command. Inside a transaction the refusal dooms
    /// it; a refused EXEC discards it and says why, as Redis does.
    #[cold]
    fn refuse(&self, session: &mut Session, refusal: Refusal<'_>, out: &mut Reply<'_>) {
        session.abort_transaction();
        let Some(cmd) = refusal.cmd else {
            session.handle.forget_last_cmd();
            out.error_bytes(&refusal.error);
            return;
        };
        session.handle.set_last_cmd(cmd.id);
        self.shared.stats.counters.rejected(cmd.id);
        if cmd.fullname == "exec" {
            exec::refuse_exec(session, &refusal.error, out);
        } else {
            out.error_bytes(&refusal.error);
        }
    }

    /// Finds the table entry for `args`, descending into subcommands; the
    /// refusal is Redis's error when there is none.
    fn lookup(&self, args: &Args<'_>) -> Result<&Command, Refusal<'_>> {
        let unknown = |error: Vec<u8>| Refusal {
            cmd: None,
            error: Cow::Owned(error),
        };
        let name = args.get(0);
        let Some(cmd) = self.table.lookup(name) else {
            return Err(unknown(unknown_command(name, args)));
        };
        // COMMAND alone runs the container's own handler; its subcommands need a name.
        if cmd.subcommands.is_empty() || (args.len() < 2 && cmd.handler.is_some()) {
            return Ok(cmd);
        }
        if args.len() < 2 {
            // Refused as the container itself, which Redis counts.
            let error = CmdError::WrongArity.message(&cmd.fullname).into_owned();
            return Err(Refusal {
                cmd: Some(cmd),
                error: Cow::Owned(error),
            });
        }
        let sub_name = args.get(1);
        match cmd.subcommand(sub_name) {
            Some(sub) => Ok(sub),
            None => {
                let mut msg = b"ERR unknown subcommand '".to_vec();
                msg.extend_from_slice(c_string(sub_name, 128));
                msg.extend_from_slice(
                    format!("'. Try {} HELP.", cmd.name.to_ascii_uppercase()).as_bytes(),
                );
                Err(unknown(msg))
            }
        }
    }

    #[cold]
    fn log_slow(&self, session: &Session, cmd: &Command, args: &Args<'_>, micros: u64) {
        let max_len = self.shared.config.slowlog_max_len();
        if max_len > 0 {
            let argv = redact::shown_args(cmd, args);
            let name = session.name().unwrap_or_default();
            self.shared
                .stats
                .slowlog
                .push(argv.into_iter(), micros, &session.addr, &name, max_len);
        }
    }
}

/// Why a command may not run: the entry when one was found, and the error.
struct Refusal<'t> {
    cmd: Option<&'t Command>,
    error: Cow<'static, [u8]>,
}

/// Redis's text for a command it does not know, quoting the first arguments.
fn unknown_command(name: &[u8], args: &Args<'_>) -> Vec<u8> {
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(c_string(name, 128));
    msg.extend_from_slice(b"', with args beginning with: ");
    let quoted_from = msg.len();
    for arg in args.iter().skip(1) {
        let used = msg.len() - quoted_from;
        if used >= 128 {
            break;
        }
        msg.push(b'\'');
        msg.extend_from_slice(c_string(arg, 128 - used));
        msg.extend_from_slice(b"' ");
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::CmdResult;
    use crate::keyspace::LockPlan;

    fn exploding(ctx: &mut Ctx<'_, '_>) -> CmdResult {
        ctx.out.array(3);
        ctx.out.bulk(b"half a reply");
        panic!("a bug in a command");
    }

    fn failing(ctx: &mut Ctx<'_, '_>) -> CmdResult {
        ctx.out.array(2);
        Err(CmdError::WrongArity)
    }

    fn run_one(handler: crate::command::Handler) -> (Outcome, String) {
        let dispatcher = Dispatcher::new(Config::default(), CommandTable::build(Vec::new()));
        let mut session = Session::new(1, String::new(), String::new());
        let command = Command::new("boom", 1, handler);
        let mut buf = b"+earlier reply\r\n".to_vec();
        let mut out = Reply::new(&mut buf, false);
        let mut locked = dispatcher.shared.keyspace.lock(&LockPlan::none());
        let outcome = dispatcher.run_locked(
            &mut locked,
            &mut session,
            &command,
            &Args::new(b"boom", &[(0, 4)]),
            &mut out,
        );
        (outcome, String::from_utf8(buf).unwrap())
    }

    #[test]
    fn a_panicking_command_answers_an_error_and_leaves_no_partial_reply() {
        assert_eq!(
            run_one(exploding),
            (
                Outcome::Panicked,
                "+earlier reply\r\n-ERR internal error while running 'boom'; the server goes on\r\n"
                    .into()
            )
        );
    }

    #[test]
    fn a_failing_command_replies_its_error_alone() {
        assert_eq!(
            run_one(failing),
            (
                Outcome::Ran,
                "+earlier reply\r\n-ERR wrong number of arguments for 'boom' command\r\n".into()
            )
        );
    }
}
