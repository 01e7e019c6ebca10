//! From a command and its arguments to the locks it needs.
//!
//! The plan is the shards of the keys its key specs find, plus what its
//! [`Locks`] declaration adds: the whole selected database, every
//! database, or shards computed from the arguments. A command whose keys
//! cannot all be found from its arguments (a key spec of unknown shape, or
//! flagged incomplete) locks everything. The dispatcher acquires the plan;
//! EXEC and scripts take the union of their commands' plans.

use super::keyfind::key_positions;
use super::spec::{BeginSearch, FindKeys};
use super::{Args, Command, KeySpec, Locks, key};
use crate::keyspace::LockPlan;

/// The locks `cmd` needs to run with `args` in database `db`.
pub fn plan(cmd: &Command, args: &Args<'_>, db: usize, databases: usize) -> LockPlan {
    // The common case, one key at argument 1, without allocating.
    if let ([spec], Locks::Keys) = (cmd.key_specs.as_slice(), cmd.locks)
        && spec == &KeySpec::at(1, spec.flags)
        && spec.flags & key::INCOMPLETE == 0
        && args.len() > 1
    {
        return LockPlan::key(db, args.get(1));
    }
    let mut plan = LockPlan::none();
    if cmd.key_specs.iter().any(|spec| !locatable(spec)) {
        plan.add_all(databases);
        return plan;
    }
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

/// Whether every key `spec` describes can be found from the arguments.
fn locatable(spec: &KeySpec) -> bool {
    spec.begin != BeginSearch::Unknown
        && spec.find != FindKeys::Unknown
        && spec.flags & key::INCOMPLETE == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Keyspace;

    #[test]
    fn a_command_whose_keys_cannot_be_found_locks_everything() {
        let spec = KeySpec {
            flags: key::RW | key::INCOMPLETE,
            ..KeySpec::at(1, key::RW)
        };
        let cmd = Command::new("sortish", -2, |_| Ok(())).key(spec);
        let args = Args::new(b"sortishk", &[(0, 7), (7, 8)]);
        let ks = Keyspace::new(2);
        let mut all = LockPlan::none();
        all.add_all(2);
        let locked = ks.lock(&plan(&cmd, &args, 0, 2));
        assert!(locked.covers(&all));
    }
}
