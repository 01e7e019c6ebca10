//! The process around the server: daemonizing, the pid file, signals and
//! shutdown.
//!
//! Shutdown is one path whoever asks for it (SHUTDOWN and SIGTERM/SIGINT
//! both send a `state::control` request, carried out on the acceptor
//! thread): there is no persistence yet, so it removes the pid file and the
//! unix socket file and exits 0. A request to save cannot be honoured and
//! fails the way Redis fails when its final save fails, unless FORCE says
//! to exit anyway.

use std::sync::Arc;

use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::log;
use crate::state::Shared;
use crate::state::control::{Answer, Request, SAVE_FAILED, ShutdownFlags};

/// Forks into the background as Redis does: the parent exits 0, the child
/// leaves the terminal's session and points its standard streams at
/// /dev/null.
///
/// # Safety
/// Must be called before any other thread exists: fork copies only the
/// calling thread, so a multi-threaded parent would leave the child with
/// locks held by threads that no longer exist.
pub unsafe fn daemonize() {
    // SAFETY: the caller guarantees this process has a single thread, so
    // the child is a complete copy of it.
    match unsafe { libc::fork() } {
        -1 => {
            log::warning("fork() failed, starting in the foreground");
            return;
        }
        0 => {}
        _ => std::process::exit(0),
    }
    // SAFETY: plain system calls on descriptors this process owns.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in [0, 1, 2] {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
    }
}

/// Writes our pid where `pidfile` says (a daemon always has one).
pub fn write_pidfile(config: &Config) {
    if let Some(path) = config.pidfile()
        && let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id()))
    {
        log::warning(&format!("Failed to write PID file: {e}"));
    }
}

/// The answer of a control request before the acceptor serves them.
const NOT_SERVING: &str = "ERR the server is not serving requests yet";

/// Shuts the process down, or explains why not. Returns only on failure.
pub fn shutdown(shared: &Shared, flags: ShutdownFlags) -> Answer {
    log::warning("User requested shutdown...");
    // Ferrodis has no save points (`save ""` is all it accepts), so only
    // an explicit SAVE asks for a snapshot, and there is none to make.
    if flags.save && !flags.nosave {
        log::warning("Saving the final RDB snapshot before exiting.");
        log::warning("Error trying to save the DB: persistence is not supported yet by Ferrodis.");
        if !flags.force {
            log::warning("Error trying to save the DB, can't exit.");
            return Err(SAVE_FAILED);
        }
        log::warning("Exiting anyway (FORCE) without a final snapshot.");
    }
    release_files(&shared.config);
    log::warning("Ferrodis is now ready to exit, bye bye...");
    std::process::exit(0)
}

/// Removes the files this process owns on disk.
pub fn release_files(config: &Config) {
    if let Some(path) = config.pidfile() {
        log::notice("Removing the pid file.");
        let _ = std::fs::remove_file(path);
    }
    if let Some(path) = config.unixsocket() {
        log::notice("Removing the unix socket file.");
        let _ = std::fs::remove_file(path);
    }
}

/// Turns SIGTERM and SIGINT into a shutdown, on a thread of their own so
/// a busy worker never delays it.
pub fn handle_signals(dispatcher: Arc<Dispatcher>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut term = runtime.block_on(async { signal(SignalKind::terminate()) })?;
    let mut int = runtime.block_on(async { signal(SignalKind::interrupt()) })?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                loop {
                    let sigint = tokio::select! {
                        _ = term.recv() => false,
                        _ = int.recv() => true,
                    };
                    let name = if sigint { "SIGINT" } else { "SIGTERM" };
                    log::warning(&format!("Received {name} scheduling shutdown..."));
                    let shared = &dispatcher.shared;
                    let flags =
                        ShutdownFlags::from_words(&shared.config.shutdown_on_signal(sigint));
                    // Carried out by the acceptor, like SHUTDOWN; before it
                    // serves requests, here.
                    let answer = match shared.control.request(Request::Shutdown(flags), NOT_SERVING) {
                        Err(NOT_SERVING) => shutdown(shared, flags),
                        answer => answer,
                    };
                    if answer.is_err() {
                        log::warning("SIGTERM received but errors trying to shut down the server, check the logs for more information");
                    }
                }
            })
        })?;
    Ok(())
}
