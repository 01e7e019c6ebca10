//! Engine tests: a fake bridge standing in for the server, scripts whose
//! replies are compared byte for byte with what Redis gives, and the
//! engine's own guarantees (kill, memory, sandbox).

mod api;
mod fake;
mod functions;
mod limits;
mod sandbox;
mod vectors;

use fake::FakeBridge;

use super::{Engine, EngineConfig, RunStatus};
use crate::protocol::Reply;

/// An engine and the fake server its scripts talk to.
struct Harness {
    engine: Engine,
    bridge: FakeBridge,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_config(EngineConfig::default())
    }

    fn with_config(config: EngineConfig) -> Harness {
        Harness {
            engine: Engine::new(config),
            bridge: FakeBridge::default(),
        }
    }

    /// EVAL from a RESP2 client; the reply as text.
    fn eval(&mut self, script: &str) -> String {
        self.run(script, &[], &[], false).0
    }

    /// EVAL from a RESP3 client.
    fn eval3(&mut self, script: &str) -> String {
        self.run(script, &[], &[], true).0
    }

    fn run(
        &mut self,
        script: &str,
        keys: &[&str],
        args: &[&str],
        resp3: bool,
    ) -> (String, RunStatus) {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut out = Vec::new();
        let status = match self.engine.load_script(script.as_bytes()) {
            Ok(s) => self
                .engine
                .run_script(&s, &keys, &args, resp3, &mut self.bridge, &mut out),
            Err(e) => {
                Reply::new(&mut out, resp3).error_bytes(&e);
                RunStatus {
                    error: true,
                    ..RunStatus::default()
                }
            }
        };
        (text(&out), status)
    }

    /// FUNCTION LOAD; the library name or the error text.
    fn load(&mut self, code: &str) -> Result<String, String> {
        self.load_with(code, false)
    }

    fn load_with(&mut self, code: &str, replace: bool) -> Result<String, String> {
        self.engine
            .load_library(code.as_bytes(), replace, &mut self.bridge)
            .map(|n| text(&n))
            .map_err(|e| text(&e))
    }

    /// FCALL from a RESP2 client.
    fn fcall(&mut self, name: &str, keys: &[&str], args: &[&str]) -> String {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut out = Vec::new();
        let found = self.engine.run_function(
            name.as_bytes(),
            &keys,
            &args,
            false,
            &mut self.bridge,
            &mut out,
        );
        match found {
            Some(_) => text(&out),
            None => "-ERR Function not found\r\n".to_string(),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A one-off EVAL on a fresh engine.
fn eval(script: &str) -> String {
    Harness::new().eval(script)
}

/// A one-off EVAL from a RESP3 client on a fresh engine.
fn eval3(script: &str) -> String {
    Harness::new().eval3(script)
}

/// The error reply Redis gives for an error raised at line 1 of `script`.
fn script_error(msg: &str, script: &str) -> String {
    let sha = super::redis_api::sha1_hex(script.as_bytes());
    format!("-{msg} script: {}, on @user_script:1.\r\n", text(&sha))
}
