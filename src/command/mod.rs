//! The command model: what a command is, the table of them, the context a
//! handler runs in, and how arguments turn into keys and lock plans.
//!
//! Every command is registered once, by its family module, with its name,
//! arity, flags, key specs, lock needs, ACL categories and documentation.
//! The dispatcher checks arity and flags from here and locks what
//! [`locks::plan`] derives; COMMAND INFO/DOCS/LIST/GETKEYS answer from the
//! same entries, so nothing is stated twice. The table is built at the
//! composition root (`ferrodis::command_table`) from the families' lists;
//! this layer does not know the families.

pub mod args;
pub mod ctx;
pub mod docs;
pub mod keyfind;
pub mod locks;
pub mod spec;

use std::collections::HashMap;

pub use args::{ArgCursor, Args, NOT_INTEGER, SYNTAX};
pub use ctx::{CmdError, CmdResult, Ctx};
pub use spec::{Command, KeySpec, Locks, acl, flag, key};

/// What a command handler is: it reads `ctx.args`, works through
/// `ctx.db()`, writes its reply to `ctx.out`, or returns why it failed.
pub type Handler = fn(&mut Ctx<'_, '_>) -> CmdResult;

/// All commands, by lower-case name, and every entry (subcommands
/// included) by id.
pub struct CommandTable {
    commands: Vec<Command>,
    by_name: HashMap<&'static [u8], usize, ahash::RandomState>,
    /// (top-level index, subcommand index) of each id.
    ids: Vec<(usize, Option<usize>)>,
}

impl CommandTable {
    /// Indexes the given commands and numbers every entry: top-level
    /// commands first, then each container's subcommands.
    pub fn build(mut commands: Vec<Command>) -> CommandTable {
        let mut by_name = HashMap::with_hasher(ahash::RandomState::new());
        let mut ids = Vec::new();
        for (i, cmd) in commands.iter_mut().enumerate() {
            let previous = by_name.insert(cmd.name.as_bytes(), i);
            assert!(previous.is_none(), "command {} registered twice", cmd.name);
            cmd.id = ids.len() as u32;
            ids.push((i, None));
        }
        for (i, cmd) in commands.iter_mut().enumerate() {
            for (j, sub) in cmd.subcommands.iter_mut().enumerate() {
                sub.id = ids.len() as u32;
                ids.push((i, Some(j)));
            }
        }
        CommandTable {
            commands,
            by_name,
            ids,
        }
    }

    /// Finds a command by name in any letter case.
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let mut lower = [0u8; 32];
        let lower = lowercase_into(name, &mut lower)?;
        self.by_name.get(lower).map(|&i| &self.commands[i])
    }

    /// The entry `args` names, descending into a subcommand when the
    /// command has one of that name.
    pub fn resolve(&self, args: &Args<'_>) -> Option<&Command> {
        let cmd = self.lookup(args.get(0))?;
        if args.len() > 1
            && let Some(sub) = cmd.subcommand(args.get(1))
        {
            return Some(sub);
        }
        Some(cmd)
    }

    pub fn by_id(&self, id: u32) -> Option<&Command> {
        let &(i, sub) = self.ids.get(id as usize)?;
        let cmd = &self.commands[i];
        match sub {
            None => Some(cmd),
            Some(j) => cmd.subcommands.get(j),
        }
    }

    /// Top-level commands, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter()
    }

    /// Every entry in id order: top-level commands, then subcommands.
    pub fn every(&self) -> impl Iterator<Item = &Command> {
        (0..self.ids.len() as u32).filter_map(|id| self.by_id(id))
    }

    /// Top-level commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Entries with an id (top-level and subcommands).
    pub fn ids(&self) -> usize {
        self.ids.len()
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
