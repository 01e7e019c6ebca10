//! The context a command runs in, and the one way a command fails.
//!
//! A handler gets a [`Ctx`]: its arguments, its reply, its session, and a
//! view of the databases through the locks the dispatcher took for it. It
//! returns `Ok(())` after writing its reply, or a [`CmdError`] that the
//! dispatcher writes in place of anything the handler had started to write.
//! Administrative commands reach server state through narrow accessors,
//! never through the server's internals; nothing here takes a lock.

use std::borrow::Cow;

use super::{Args, Command, CommandTable};
use crate::config::Config;
use crate::keyspace::{DbView, KeyspaceStats, Locked};
use crate::protocol::Reply;
use crate::state::control::{Answer, Request};
use crate::state::pause::Pause;
use crate::state::registry::ClientRegistry;
use crate::state::stats::ServerStats;
use crate::state::watch::Watches;
use crate::state::{Session, Shared};

/// Why a command failed; the dispatcher turns it into the error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// The whole error text, code first (`ERR syntax error`).
    Text(Cow<'static, str>),
    /// An error text quoting client bytes (see `protocol::reply::c_string`).
    Bytes(Vec<u8>),
    /// `ERR wrong number of arguments for '<command>' command`.
    WrongArity,
    /// `ERR invalid expire time in '<command>' command`.
    InvalidExpireTime,
}

impl CmdError {
    pub const fn text(text: &'static str) -> CmdError {
        CmdError::Text(Cow::Borrowed(text))
    }

    /// The reply text, naming `command` where the error does.
    pub fn message(&self, command: &str) -> Cow<'_, [u8]> {
        match self {
            CmdError::Text(text) => Cow::Borrowed(text.as_bytes()),
            CmdError::Bytes(bytes) => Cow::Borrowed(bytes),
            CmdError::WrongArity => Cow::Owned(
                format!("ERR wrong number of arguments for '{command}' command").into_bytes(),
            ),
            CmdError::InvalidExpireTime => {
                Cow::Owned(format!("ERR invalid expire time in '{command}' command").into_bytes())
            }
        }
    }
}

impl From<&'static str> for CmdError {
    fn from(text: &'static str) -> Self {
        CmdError::text(text)
    }
}

impl From<String> for CmdError {
    fn from(text: String) -> Self {
        CmdError::Text(Cow::Owned(text))
    }
}

pub type CmdResult = Result<(), CmdError>;

/// Everything a handler may touch while it runs.
pub struct Ctx<'r, 'k> {
    pub args: Args<'r>,
    pub out: Reply<'r>,
    pub session: &'r mut Session,
    pub command: &'r Command,
    table: &'r CommandTable,
    shared: &'r Shared,
    locked: &'r mut Locked<'k>,
}

impl<'r, 'k> Ctx<'r, 'k> {
    pub fn new(
        parts: (&'r Shared, &'r CommandTable, &'r Command),
        session: &'r mut Session,
        args: Args<'r>,
        out: Reply<'r>,
        locked: &'r mut Locked<'k>,
    ) -> Self {
        let (shared, table, command) = parts;
        Ctx {
            args,
            out,
            session,
            command,
            table,
            shared,
            locked,
        }
    }

    pub fn arg(&self, i: usize) -> &'r [u8] {
        self.args.get(i)
    }

    /// The session's selected database, through the command's locks.
    pub fn db(&mut self) -> DbView<'_, 'k> {
        let db = self.session.db;
        self.locked.db(db)
    }

    /// Database `index` through the command's locks (MOVE, COPY ... DB).
    pub fn db_at(&mut self, index: usize) -> DbView<'_, 'k> {
        self.locked.db(index)
    }

    /// The selected database and the reply together, for handlers that
    /// write the reply while reading values.
    pub fn db_out(&mut self) -> (DbView<'_, 'k>, &mut Reply<'r>) {
        let db = self.session.db;
        (self.locked.db(db), &mut self.out)
    }

    /// The whole lock set, for commands that work on several databases.
    pub fn locked(&mut self) -> &mut Locked<'k> {
        self.locked
    }

    /// The command's clock (unix ms), fixed when its locks were taken.
    pub fn now(&self) -> i64 {
        self.locked.now()
    }

    pub fn config(&self) -> &'r Config {
        &self.shared.config
    }

    /// The collection encoding thresholds in force.
    pub fn limits(&self) -> crate::keyspace::types::Limits {
        crate::keyspace::types::Limits::from_config(&self.shared.config)
    }

    pub fn databases(&self) -> usize {
        self.shared.keyspace.databases()
    }

    /// The command table (COMMAND, and names of other clients' commands).
    pub fn table(&self) -> &'r CommandTable {
        self.table
    }

    pub fn clients(&self) -> &'r ClientRegistry {
        &self.shared.clients
    }

    pub fn stats(&self) -> &'r ServerStats {
        &self.shared.stats
    }

    pub fn keyspace_stats(&self) -> &'r KeyspaceStats {
        &self.shared.keyspace.stats
    }

    pub fn pause(&self) -> &'r Pause {
        &self.shared.pause
    }

    /// The WATCH registry.
    pub fn watches(&self) -> &'r std::sync::Arc<Watches> {
        &self.shared.hooks.watches
    }

    /// When the server started.
    pub fn started(&self) -> std::time::Instant {
        self.shared.started
    }

    /// Unix time (s) of the last successful save.
    pub fn lastsave(&self) -> i64 {
        self.shared
            .lastsave
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// DEBUG SET-ACTIVE-EXPIRE.
    pub fn set_active_expire(&self, on: bool) {
        self.shared
            .keyspace
            .active_expire
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Asks the process for what only it can do (rebind, shut down);
    /// `unavailable` is the answer when no process serves requests.
    pub fn request(&self, request: Request, unavailable: &'static str) -> Answer {
        self.shared.control.request(request, unavailable)
    }

    /// The full name of the command with this id (CLIENT LIST's `cmd=`).
    pub fn command_name(&self, id: Option<u32>) -> &'r str {
        id.and_then(|id| self.table.by_id(id))
            .map_or("NULL", |c| c.fullname.as_str())
    }
}
