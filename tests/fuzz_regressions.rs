//! Replays every input the fuzzers ever crashed on, and their seed corpora,
//! through the fuzz targets' own checks (`fuzz/src/lib.rs`, included here
//! as a module), so plain `cargo test` on stable keeps them fixed.
//!
//! Inputs live in `tests/fuzz_regressions/<target>/` as raw files, exactly
//! as libFuzzer wrote them (or minimized): the first byte(s) select the
//! target's mode, see `check_parse` and `check_dispatch`.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

/// Every file in `dir` (relative to the crate root), sorted, with its name;
/// none if the folder does not exist (git keeps no empty folders).
fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    if !dir.exists() {
        return Vec::new();
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// Runs `check` on each input, naming the one that fails.
fn replay(dirs: &[&str], check: fn(&[u8])) {
    let mut count = 0;
    for dir in dirs {
        for (name, data) in inputs(dir) {
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{dir}/{name} fails again");
            count += 1;
        }
    }
    assert!(count > 0, "no inputs found in {dirs:?}");
}

#[test]
fn parser_crash_inputs_and_seeds_keep_every_invariant() {
    replay(
        &["tests/fuzz_regressions/parse", "fuzz/corpus/parse"],
        harness::check_parse,
    );
}

#[test]
fn dispatch_crash_inputs_and_seeds_keep_every_invariant() {
    replay(
        &["tests/fuzz_regressions/dispatch", "fuzz/corpus/dispatch"],
        harness::check_dispatch,
    );
}

#[test]
fn a_protocol_error_quoting_a_newline_stays_one_resp_line() {
    let mut harness = ferrodis::testing::Harness::default();
    let out = harness.run_stream(b"*1\r\n\n\r\n");
    assert_eq!(out, b"-ERR Protocol error: expected '$', got ' '\r\n");
}
