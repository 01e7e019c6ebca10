//! Requests only the process itself can carry out: rebinding the listeners
//! (CONFIG SET bind/port) and shutting down (SHUTDOWN, SIGTERM).
//!
//! Commands and the signal thread hand a [`Request`] to the thread that owns
//! the listeners (the acceptor) and wait for its answer, so the shutdown
//! sequence (the final save and AOF flush, once persistence exists) runs in
//! one place, not inside a command handler.

use parking_lot::Mutex;
use tokio::sync::mpsc;

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

pub enum Request {
    /// Close the TCP listeners and bind these addresses and port instead.
    Rebind { bind: Vec<String>, port: u16 },
    /// Stop the process; answered only when it cannot.
    Shutdown(ShutdownFlags),
}

/// The reply SHUTDOWN gives when the final save cannot be made.
pub const SAVE_FAILED: &str = "ERR Errors trying to SHUTDOWN. Check logs.";

/// The answer: `Err` carries Redis's error text.
pub type Answer = Result<(), &'static str>;

/// A request with the channel its answer goes back on.
pub type Asked = (Request, std::sync::mpsc::Sender<Answer>);

pub type Requests = mpsc::UnboundedReceiver<Asked>;

#[derive(Default)]
pub struct Control {
    to_process: Mutex<Option<mpsc::UnboundedSender<Asked>>>,
}

impl Control {
    /// Called once by the thread that will carry requests out.
    pub fn serve(&self) -> Requests {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.to_process.lock() = Some(tx);
        rx
    }

    /// Hands `request` to the process and waits for the answer. Without a
    /// process serving requests (in-process tests), `unavailable` is the answer.
    pub fn request(&self, request: Request, unavailable: &'static str) -> Answer {
        let Some(to_process) = self.to_process.lock().clone() else {
            return Err(unavailable);
        };
        let (done, answer) = std::sync::mpsc::channel();
        if to_process.send((request, done)).is_err() {
            return Err(unavailable);
        }
        answer.recv().unwrap_or(Err(unavailable))
    }
}
