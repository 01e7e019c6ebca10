//! What stops a script: SCRIPT KILL, the memory bound, stack limits. None
//! of them may crash or wedge the engine.

use super::{Harness, eval, script_error};
use crate::scripting::EngineConfig;

const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

#[test]
fn an_infinite_loop_stops_when_the_bridge_says_so() {
    let mut h = Harness::new();
    h.bridge.abort_after = Some(3);
    let script = "while true do end";
    let (reply, status) = h.run(script, &[], &[], false);
    assert_eq!(reply, script_error(KILLED, script));
    assert!(status.aborted && status.error);
    assert_eq!(
        h.bridge.polls, 4,
        "polled every HOOK_INSTRUCTIONS until it said stop"
    );
    // The engine is usable afterwards, and the kill does not stick.
    h.bridge.abort_after = None;
    assert_eq!(h.eval("return 'alive'"), "$5\r\nalive\r\n");
}

#[test]
fn pcall_cannot_swallow_a_kill() {
    let mut h = Harness::new();
    h.bridge.abort_after = Some(0);
    let script = "while true do pcall(function() while true do end end) end";
    let (reply, status) = h.run(script, &[], &[], false);
    assert_eq!(reply, script_error(KILLED, script));
    assert!(status.aborted);
}

#[test]
fn a_kill_reaches_into_coroutines() {
    let mut h = Harness::new();
    h.bridge.abort_after = Some(1);
    let script = "local co = coroutine.wrap(function() while true do end end) co()";
    let (reply, status) = h.run(script, &[], &[], false);
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{reply}"
    );
    assert!(status.aborted);
}

#[test]
fn short_scripts_are_not_polled() {
    let mut h = Harness::new();
    h.bridge.abort_after = Some(0);
    assert_eq!(
        h.eval("local s = 0 for i = 1, 1000 do s = s + i end return s"),
        ":500500\r\n"
    );
    assert_eq!(h.bridge.polls, 0);
}

#[test]
fn running_out_of_memory_is_a_script_error() {
    let mut h = Harness::with_config(EngineConfig {
        memory_limit: 8 << 20,
    });
    let script = "local t = {} for i = 1, 1e7 do t[i] = string.rep('x', 100) .. i end return #t";
    let (reply, status) = h.run(script, &[], &[], false);
    let sha = crate::scripting::redis_api::sha1_hex(script.as_bytes());
    assert_eq!(
        reply,
        format!(
            "-ERR Error running script {}, not enough memory\r\n",
            String::from_utf8_lossy(&sha)
        )
    );
    assert!(status.error);
    // pcall catches it like any error, and memory is returned afterwards.
    assert_eq!(
        h.eval("return {pcall(string.rep, 'x', 64 * 1024 * 1024)}"),
        "*2\r\n$-1\r\n$17\r\nnot enough memory\r\n"
    );
    assert_eq!(
        h.eval("return #string.rep('x', 1024 * 1024)"),
        ":1048576\r\n"
    );
    assert!(h.engine.eval_memory() < 8 << 20);
}

#[test]
fn deep_recursion_is_a_stack_overflow_error() {
    let script = "local function f(n) return 1 + f(n + 1) end return f(1)";
    assert_eq!(
        eval(script),
        script_error("ERR user_script:1: stack overflow", script)
    );
    let script = "local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end return t.x";
    assert!(
        eval(script).contains("stack overflow"),
        "C stack overflow is an error too"
    );
}

#[test]
fn a_table_containing_itself_is_returned_without_crashing() {
    let reply = eval("local t = {} t[1] = t return t");
    assert!(reply.starts_with("*1\r\n*1\r\n"));
    assert!(reply.ends_with("-ERR reached lua stack limit\r\n"));
    let reply = eval("local t = {} t.map = {a = t} return t");
    assert!(reply.ends_with("-ERR reached lua stack limit\r\n"));
}

#[test]
fn huge_results_and_arguments_are_bounded_by_memory_not_trust() {
    let mut h = Harness::with_config(EngineConfig {
        memory_limit: 16 << 20,
    });
    let r = h.eval("return string.rep('x', 2^30)");
    assert!(r.contains("not enough memory"), "{r}");
    assert!(
        h.eval("return struct.pack('c0', string.rep('x', 2^30))")
            .contains("not enough memory")
    );
    assert!(
        h.eval("return cmsgpack.unpack('\\219\\255\\255\\255\\255')")
            .contains("Missing bytes in input.")
    );
    assert!(
        h.eval("return #cmsgpack.pack(string.rep('a', 100000))")
            .contains(":100005")
    );
    let deep = "return cmsgpack.unpack(string.rep('\\145', 100000) .. '\\1')";
    assert!(
        h.eval(deep)
            .contains("stack overflow (in function mp_decode_to_lua_array)")
    );
    let deep_json = "return cjson.decode(string.rep('[', 100000))";
    assert!(
        h.eval(deep_json)
            .contains("Found too many nested data structures (1001)")
    );
    let deep_json = "cjson.decode_max_depth(1000000) return cjson.decode(string.rep('[', 100000))";
    assert!(
        h.eval(deep_json)
            .contains("Found too many nested data structures")
    );
    let deep_encode =
        "cjson.encode_max_depth(1000000) local t = {} t[1] = t return cjson.encode(t)";
    assert!(
        h.eval(deep_encode)
            .contains("Cannot serialise, excessive nesting")
    );
}

#[test]
fn function_load_times_out() {
    let mut h = Harness::new();
    let err = h
        .load("#!lua name=slow\nwhile true do end")
        .expect_err("times out");
    assert_eq!(
        err,
        "ERR Error registering functions: ERR FUNCTION LOAD timeout"
    );
    assert_eq!(h.engine.libraries().count(), 0);
}
