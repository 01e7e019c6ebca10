//! Engine tests: a fake bridge standing in for the server, and scripts
//! whose replies are compared byte for byte with what Redis gives.

mod fake;
mod vectors;

use fake::FakeBridge;

use super::{Engine, EngineConfig};

/// Runs `script` with no keys or arguments and returns its reply.
fn eval(script: &str) -> String {
    let mut engine = Engine::new(EngineConfig::default());
    let mut bridge = FakeBridge::default();
    eval_with(&mut engine, &mut bridge, script, false)
}

fn eval_with(engine: &mut Engine, bridge: &mut FakeBridge, script: &str, resp3: bool) -> String {
    let mut out = Vec::new();
    match engine.load_script(script.as_bytes()) {
        Ok(s) => {
            engine.run_script(&s, &[], &[], resp3, bridge, &mut out);
        }
        Err(e) => {
            out.push(b'-');
            out.extend_from_slice(&e);
            out.extend_from_slice(b"\r\n");
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn returns_a_number_as_an_integer_reply() {
    assert_eq!(eval("return 1"), ":1\r\n");
}
