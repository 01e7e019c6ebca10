//! From a command and its arguments to the locks it needs.
//!
//! The plan is the shards of the keys its key specs find, plus what its
//! [`Locks`] declaration adds: the whole selected database, every
//! database, or shards computed from the arguments. The dispatcher acquires
//! the plan; EXEC and scripts take the union of their commands' plans.

use super::keyfind::key_positions;
use super::{Args, Command, KeySpec, Locks};
use crate::keyspace::LockPlan;

/// The locks `cmd` needs to run with `args` in database `db`.
pub fn plan(cmd: &Command, args: &Args<'_>, db: usize, databases: usize) -> LockPlan {
    // The common case, one key at argument 1, without allocating.
    if let ([spec], Locks::Keys) = (cmd.key_specs.as_slice(), cmd.locks)
        && spec == &KeySpec::at(1, spec.flags)
        && args.len() > 1
    {
        return LockPlan::key(db, args.get(1));
    }
    let mut plan = LockPlan::none();
    if !cmd.key_specs.is_empty() {
        let mut positions = Vec::new();
        // Malformed key arguments are the command's to report; lock what was found.
        let _ = key_positions(cmd, args, &mut positions);
        for (i, _) in positions {
            plan.add_key(db, args.get(i));
        }
    }
    match cmd.locks {
        Locks::Keys => {}
        Locks::Db => plan.add_db(db),
        Locks::AllDbs => plan.add_all(databases),
        Locks::Computed(more) => more(args, db, databases, &mut plan),
    }
    plan
}
