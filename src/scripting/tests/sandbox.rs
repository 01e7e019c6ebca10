//! Ways out of the sandbox, each closed with Redis's error.

use super::{Harness, eval, script_error};

fn readonly(script: &str) -> String {
    script_error(
        "ERR user_script:1: Attempt to modify a readonly table",
        script,
    )
}

/// The error of a C function refusing the write (no position).
fn readonly_raw(script: &str) -> String {
    script_error("ERR Attempt to modify a readonly table", script)
}

#[test]
fn globals_cannot_be_created_or_overwritten() {
    for script in [
        "x = 1",
        "redis = nil",
        "_G.cjson = 1",
        "KEYS = {}",
        "tostring = print",
    ] {
        let want = if script == "tostring = print" {
            script_error(
                "ERR user_script:1: Script attempted to access nonexistent global variable 'print'",
                script,
            )
        } else {
            readonly(script)
        };
        assert_eq!(eval(script), want, "{script}");
    }
    let script = "return undefined_name";
    assert_eq!(
        eval(script),
        script_error(
            "ERR user_script:1: Script attempted to access nonexistent global variable 'undefined_name'",
            script
        )
    );
}

#[test]
fn library_tables_are_read_only_even_through_raw_access() {
    for script in [
        "string.upper = nil",
        "math.pi = 3",
        "redis.call = 1",
        "cjson.null = 1",
    ] {
        assert_eq!(eval(script), readonly(script), "{script}");
    }
    for script in [
        "rawset(string, 'upper', 1)",
        "rawset(_G, 'x', 1)",
        "setmetatable(redis, nil)",
        "setmetatable(_G, {})",
        "table.insert(math, 1)",
        "table.insert(struct, 1, 2)",
    ] {
        assert_eq!(eval(script), readonly_raw(script), "{script}");
    }
}

#[test]
fn protection_survives_being_reached_indirectly() {
    // Through the string metatable, _G._G, a loaded chunk, a coroutine.
    for script in [
        "getmetatable('').__index.upper = nil",
        "getmetatable('').__index = {}",
        "_G._G._G.x = 1",
        "getmetatable(_G).__index = nil",
    ] {
        assert_eq!(eval(script), readonly(script), "{script}");
    }
    let script = "loadstring('y = 1')()";
    let sha = crate::scripting::redis_api::sha1_hex(script.as_bytes());
    assert_eq!(
        eval(script),
        format!(
            "-ERR [string \"y = 1\"]:1: Attempt to modify a readonly table script: {}, on y = 1:1.\r\n",
            String::from_utf8_lossy(&sha)
        )
    );
    assert_eq!(
        eval("return {coroutine.resume(coroutine.create(function() z = 1 end))}"),
        "*2\r\n$-1\r\n$49\r\nuser_script:1: Attempt to modify a readonly table\r\n"
    );
}

#[test]
fn reads_see_through_the_protection() {
    assert_eq!(
        eval("return rawget(string, 'upper') == string.upper"),
        ":1\r\n"
    );
    assert_eq!(eval("return next(redis) ~= nil"), ":1\r\n");
    assert_eq!(
        eval("local n = 0 for _ in pairs(math) do n = n + 1 end return n"),
        ":31\r\n"
    );
    assert_eq!(eval("return ('abc'):upper()"), "$3\r\nABC\r\n");
    assert_eq!(eval("return getmetatable('').__index == string"), ":1\r\n");
    // Scripts' own tables are untouched by all this.
    assert_eq!(
        eval(
            "local t = setmetatable({}, {}) rawset(t, 'a', 1) table.insert(t, 2) return {t.a, t[1]}"
        ),
        "*2\r\n:1\r\n:2\r\n"
    );
}

#[test]
fn escape_hatches_are_absent() {
    for name in [
        "setfenv", "getfenv", "debug", "io", "require", "dofile", "loadfile", "print", "newproxy",
        "module",
    ] {
        let script = format!("return type({name})");
        let msg = format!(
            "ERR user_script:1: Script attempted to access nonexistent global variable '{name}'"
        );
        assert_eq!(eval(&script), script_error(&msg, &script), "{name}");
    }
    assert_eq!(eval("return type(os.execute)"), "$3\r\nnil\r\n");
}

#[test]
fn bytecode_is_refused_everywhere() {
    let dump = "string.dump(function() return 1 end)";
    assert_eq!(
        eval(&format!(
            "local f, e = loadstring({dump}) return {{tostring(f), e}}"
        )),
        "*2\r\n$3\r\nnil\r\n$53\r\n[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'\r\n"
    );
    assert_eq!(
        eval(&format!(
            "local d = {dump} local f, e = load(function() local x = d d = nil return x end) return e"
        )),
        "$43\r\n(load):1: unexpected symbol near 'char(27)'\r\n"
    );
    assert_eq!(
        eval("\x1bLuaQ"),
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'\r\n"
    );
    let mut h = Harness::new();
    let err = h.load("#!lua name=b\n\x1bLuaQ").expect_err("refused");
    assert_eq!(
        err,
        "ERR Error compiling function: user_function:2: unexpected symbol near 'char(27)'"
    );
}

#[test]
fn pcall_returns_the_message_of_error_tables() {
    assert_eq!(
        eval("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}"),
        "*2\r\n$5\r\nfalse\r\n$44\r\nERR Unknown Redis command called from script\r\n"
    );
    // xpcall's handler sees the table itself.
    assert_eq!(
        eval(
            "return select(2, xpcall(function() redis.call('nosuch') end, function(e) return type(e) end))"
        ),
        "$5\r\ntable\r\n"
    );
}
