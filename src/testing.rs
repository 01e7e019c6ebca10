//! The in-process test harness: a dispatcher with the full command table
//! and a session, driven with request streams exactly as a connection
//! drives them, without sockets or threads. Family tests use it, so they
//! stay fast however many there are; tests about the network, the process
//! and interoperability start the real binary instead (`tests/common`).

use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::keyspace::LockPlan;
use crate::state::Session;

pub struct Harness {
    pub dispatcher: Dispatcher,
    pub session: Session,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new(Config::default())
    }
}

impl Harness {
    pub fn new(config: Config) -> Harness {
        Harness {
            dispatcher: crate::dispatcher(config),
            session: Session::new(1, "127.0.0.1:1".into(), "127.0.0.1:6379".into()),
        }
    }

    /// Another session on the same dispatcher, with its own id.
    pub fn session(&self) -> Session {
        let id = self.dispatcher.shared.new_client_id() + 1000;
        Session::new(id, format!("127.0.0.1:{id}"), "127.0.0.1:6379".into())
    }

    /// Runs one command and returns its reply bytes.
    pub fn run_bytes(&mut self, argv: &[&[u8]]) -> Vec<u8> {
        crate::server::conn::run_requests(&self.dispatcher, &mut self.session, &encode(argv))
    }

    /// Runs one command and returns its reply as text (RESP, lossy UTF-8).
    pub fn run(&mut self, argv: &[&str]) -> String {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&self.run_bytes(&argv)).into_owned()
    }

    /// Runs one command as another session of the same server (see
    /// [`Harness::session`]), for tests that interleave two clients.
    pub fn run_as(&self, session: &mut Session, argv: &[&str]) -> String {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        let reply = crate::server::conn::run_requests(&self.dispatcher, session, &encode(&argv));
        String::from_utf8_lossy(&reply).into_owned()
    }

    /// Runs a raw request stream (several commands, inline or RESP).
    pub fn run_stream(&mut self, requests: &[u8]) -> Vec<u8> {
        crate::server::conn::run_requests(&self.dispatcher, &mut self.session, requests)
    }

    /// The effect records emitted while `argv` runs, as text.
    pub fn effects_of(&mut self, argv: &[&str]) -> Vec<Vec<String>> {
        let rx = self.dispatcher.shared.keyspace.effects.subscribe();
        self.run(argv);
        rx.try_iter()
            .map(|e| {
                e.argv
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .collect()
    }

    /// OBJECT ENCODING's answer for a key of the selected database, without
    /// touching it; `None` if it is missing.
    pub fn encoding(&self, key: &str) -> Option<&'static str> {
        let db = self.session.db;
        let keyspace = &self.dispatcher.shared.keyspace;
        let mut locked = keyspace.lock(&LockPlan::key(db, key.as_bytes()));
        locked.db(db).peek(key.as_bytes()).map(|v| v.encoding())
    }
}

/// `argv` as one RESP multibulk request.
pub fn encode(argv: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for arg in argv {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}
