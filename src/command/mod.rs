//! The one command table, and the context a command runs in.
//!
//! Every command is registered once, by its family module, with its name,
//! arity, flags, key specs, ACL categories and documentation. The dispatcher
//! checks arity and flags from here, finds keys from the key specs to lock
//! their shards, and COMMAND INFO/DOCS/LIST/GETKEYS answer from the same
//! entries, so nothing is stated twice.

pub mod dispatch;
pub mod docs;
pub mod keys;
pub mod spec;

use std::collections::HashMap;

use crate::keyspace::{DbView, Locked};
use crate::protocol::Reply;
use crate::server::{Client, Server};

pub use spec::{Command, KeySpec, acl, flag, key};

/// What a command handler is: it reads `ctx.args`, works through
/// `ctx.db()` and writes its reply to `ctx.out`.
pub type Handler = fn(&mut Ctx<'_>);

/// The arguments of one command, borrowed from the read buffer without copying.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    base: &'a [u8],
    spans: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    pub fn new(base: &'a [u8], spans: &'a [(usize, usize)]) -> Self {
        Args { base, spans }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i` (0 is the command name). Panics if out of range: arity
    /// checks guarantee the positions a command's handler reads.
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (start, end) = self.spans[i];
        &self.base[start..end]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let base = self.base;
        self.spans.iter().map(move |&(s, e)| &base[s..e])
    }

    /// Arguments from `from` on.
    pub fn tail(&self, from: usize) -> Args<'a> {
        Args {
            base: self.base,
            spans: &self.spans[from.min(self.spans.len())..],
        }
    }
}

/// Everything a handler may touch while it runs.
pub struct Ctx<'a> {
    pub server: &'a Server,
    pub client: &'a mut Client,
    pub args: Args<'a>,
    pub out: Reply<'a>,
    /// The shards of the command's keys, locked by the dispatcher.
    pub locked: Locked<'a>,
    pub command: &'a Command,
}

impl<'a> Ctx<'a> {
    /// The client's selected database, through the command's locks.
    pub fn db(&mut self) -> DbView<'_, 'a> {
        let db = self.client.db;
        self.locked.db(db)
    }

    pub fn arg(&self, i: usize) -> &'a [u8] {
        self.args.get(i)
    }
}

/// All commands, by lower-case name.
pub struct CommandTable {
    commands: Vec<Command>,
    by_name: HashMap<&'static [u8], usize, ahash::RandomState>,
}

impl CommandTable {
    /// Builds the table from every family's registrations.
    pub fn build() -> CommandTable {
        let mut commands = Vec::new();
        crate::commands::register_all(&mut commands);
        let mut by_name = HashMap::with_hasher(ahash::RandomState::new());
        for (i, cmd) in commands.iter().enumerate() {
            let previous = by_name.insert(cmd.name.as_bytes(), i);
            assert!(previous.is_none(), "command {} registered twice", cmd.name);
        }
        CommandTable { commands, by_name }
    }

    /// Finds a command by name in any letter case.
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let mut lower = [0u8; 32];
        let lower = lowercase_into(name, &mut lower)?;
        self.by_name.get(lower).map(|&i| &self.commands[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter()
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// Lower-cases a short name into `buf`; `None` if it is too long to be a command.
pub fn lowercase_into<'b>(name: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let dst = buf.get_mut(..name.len())?;
    for (d, s) in dst.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(dst)
}
