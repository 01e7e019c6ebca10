//! Replies recorded from the real redis-server (7.0.15; see the notes on
//! 7.2 differences where a vector is adjusted), replayed against the
//! engine. Each vector runs on a fresh engine and keyspace, as the
//! recordings ran each script after SCRIPT FLUSH and FLUSHALL.
//!
//! File format: one vector per line, `script<TAB>reply`, both escaped
//! (`\\`, `\n`, `\r`, `\t`, `\xNN`).

use super::fake::FakeBridge;
use crate::protocol::Reply;
use crate::scripting::{Engine, EngineConfig};

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 2;
            }
            other => panic!("bad escape {other:?} in {s}"),
        }
        i += 2;
    }
    out
}

/// The reply the engine gives for `script` on a fresh engine.
pub(super) fn run_fresh(script: &[u8], resp3: bool) -> Vec<u8> {
    let mut engine = Engine::new(EngineConfig::default());
    let mut bridge = FakeBridge::default();
    let mut out = Vec::new();
    match engine.load_script(script) {
        Ok(s) => {
            engine.run_script(&s, &[], &[], resp3, &mut bridge, &mut out);
        }
        Err(e) => Reply::new(&mut out, resp3).error_bytes(&e),
    }
    out
}

/// Scripts whose Ferrodis reply differs from the recording on purpose.
const DIFFERENT_ON_PURPOSE: &[(&str, &str)] = &[
    // Ferrodis offers `os.clock()` (added to Redis after 7.2.4); 7.0 and
    // 7.2.4 have no `os` at all.
    ("return type(os)", "os.clock"),
    ("return type(os.clock)", "os.clock"),
    ("return type(os.time)", "os.clock"),
    // cjson also has decode_array_with_array_mt (later Redis releases)
    // and encode_empty_table_as_object (OpenResty's cjson).
    (
        "local t = {} for k,v in pairs(cjson) do t[#t+1]=k end table.sort(t) return t",
        "extra cjson options",
    ),
];

/// Replays a vector file; fails listing every mismatch.
pub(super) fn replay(file: &str, resp3: bool) {
    let mut failures = Vec::new();
    let mut count = 0;
    for line in file.lines().filter(|l| !l.is_empty()) {
        let (script, reply) = line.split_once('\t').expect("script<TAB>reply");
        let (script, want) = (unescape(script), unescape(reply));
        if DIFFERENT_ON_PURPOSE
            .iter()
            .any(|(s, _)| s.as_bytes() == script)
        {
            continue;
        }
        let got = run_fresh(&script, resp3);
        count += 1;
        if got != want {
            failures.push(format!(
                "script: {}\n  want: {}\n   got: {}",
                script.escape_ascii(),
                want.escape_ascii(),
                got.escape_ascii()
            ));
        }
    }
    assert!(count > 0, "no vectors");
    assert!(
        failures.is_empty(),
        "{} of {count} vectors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn environment_matches_redis_for_resp2_clients() {
    replay(include_str!("vectors/env_resp2.txt"), false);
}

#[test]
fn environment_matches_redis_for_resp3_clients() {
    replay(include_str!("vectors/env_resp3.txt"), true);
}

#[test]
fn cjson_matches_redis() {
    replay(include_str!("vectors/cjson.txt"), false);
}

#[test]
fn cmsgpack_matches_redis() {
    replay(include_str!("vectors/cmsgpack.txt"), false);
}

#[test]
fn bit_matches_redis() {
    replay(include_str!("vectors/bit.txt"), false);
}

#[test]
fn struct_matches_redis() {
    replay(include_str!("vectors/struct.txt"), false);
}
