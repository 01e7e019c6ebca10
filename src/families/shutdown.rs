//! SHUTDOWN: asks the process to stop (a `state::control` request, carried
//! out on the acceptor thread, where the final save will run).
//!
//! Ferrodis has no persistence, so there is no shutdown in progress to
//! wait for or abort (ABORT always answers Redis's "No shutdown in
//! progress."), and SAVE fails as Redis fails when its final save fails
//! ("Errors trying to SHUTDOWN. Check logs.") unless FORCE is given.

use crate::command::{CmdResult, Command, Ctx, SYNTAX, flag};
use crate::state::control::{Request, SAVE_FAILED, ShutdownFlags};

pub fn register(t: &mut Vec<Command>) {
    t.push(
        Command::new("shutdown", -1, shutdown_command)
            .flags(
                flag::ADMIN
                    | flag::NOSCRIPT
                    | flag::LOADING
                    | flag::STALE
                    | flag::NO_MULTI
                    | flag::SENTINEL
                    | flag::ALLOW_BUSY,
            )
            .doc(
                "server",
                "1.0.0",
                "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
                "Stops the server, optionally saving first.",
            )
            .args("[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"),
    );
}

fn shutdown_command(ctx: &mut Ctx<'_, '_>) -> CmdResult {
    let mut flags = ShutdownFlags::default();
    let mut abort = false;
    for arg in ctx.args.iter().skip(1) {
        match arg.to_ascii_lowercase().as_slice() {
            b"nosave" => flags.nosave = true,
            b"save" => flags.save = true,
            b"now" => flags.now = true,
            b"force" => flags.force = true,
            b"abort" => abort = true,
            _ => return Err(SYNTAX),
        }
    }
    let conflicting = flags.save && flags.nosave;
    if conflicting || (abort && flags != ShutdownFlags::default()) {
        return Err(SYNTAX);
    }
    if abort {
        return Err("ERR No shutdown in progress.".into());
    }
    // Returns only if the process could not stop.
    ctx.request(Request::Shutdown(flags), SAVE_FAILED)?;
    Ok(())
}
