//! The process around the server: daemonizing, the pid file, signals and
//! shutdown.
//!
//! Shutdown is one path whoever asks for it (SHUTDOWN, SIGTERM, SIGINT):
//! there is no persistence yet, so it removes the pid file and the unix
//! socket file and exits 0. A request to save cannot be honoured and fails
//! the way Redis fails when its final save fails, unless FORCE says to
//! exit anyway.

use std::sync::Arc;

use super::Server;
use crate::config::Config;
use crate::log;

/// Forks into the background as Redis does: the parent exits 0, the child
/// leaves the terminal's session and points its standard streams at
/// /dev/null. Must run before any thread exists (fork copies one thread).
pub fn daemonize() {
    // SAFETY: called from main before any other thread is started, so the
    // child is a complete copy of a single-threaded process.
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

/// What a shutdown was asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    pub save: bool,
    pub nosave: bool,
    pub now: bool,
    pub force: bool,
}

impl ShutdownFlags {
    /// From `shutdown-on-sigterm`-style words ("default" or flag names).
    pub fn from_words(words: &str) -> ShutdownFlags {
        let has = |w: &str| words.split(' ').any(|x| x == w);
        ShutdownFlags {
            save: has("save"),
            nosave: has("nosave"),
            now: has("now"),
            force: has("force"),
        }
    }
}

/// The reply SHUTDOWN gives when the final save cannot be made.
pub const SAVE_FAILED: &str = "ERR Errors trying to SHUTDOWN. Check logs.";

/// Shuts the process down, or explains why not. Returns only on failure.
pub fn shutdown(server: &Server, flags: ShutdownFlags) -> Result<(), &'static str> {
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
    release_files(&server.config);
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
pub fn handle_signals(server: Arc<Server>) -> std::io::Result<()> {
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
                    let flags =
                        ShutdownFlags::from_words(&server.config.shutdown_on_signal(sigint));
                    if shutdown(&server, flags).is_err() {
                        log::warning("SIGTERM received but errors trying to shut down the server, check the logs for more information");
                    }
                }
            })
        })?;
    Ok(())
}
