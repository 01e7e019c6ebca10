//! The `redis` API and the reply conversions, against the fake server.

use super::{Harness, eval, eval3, script_error};
use crate::scripting::{LogLevel, ReplFlags};

#[test]
fn keys_and_argv_are_arrays_of_the_given_strings() {
    let mut h = Harness::new();
    let (reply, _) = h.run(
        "return {KEYS, ARGV, #KEYS}",
        &["a", "b"],
        &["c", "d\r\n"],
        false,
    );
    assert_eq!(
        reply,
        "*3\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n$3\r\nd\r\n\r\n:2\r\n"
    );
    // The tables belong to one run: the next script sees its own.
    let (reply, _) = h.run("return #ARGV", &[], &[], false);
    assert_eq!(reply, ":0\r\n");
}

#[test]
fn redis_call_passes_strings_and_numbers_as_redis_formats_them() {
    let mut h = Harness::new();
    h.eval("redis.call('set', KEYS, 1)");
    h.run("return redis.call('set', 'n', 0.1, 3)", &[], &[], false);
    h.eval("return redis.call('set', 'x', 1e20)");
    h.eval("return redis.call('set', 'y', 0/0)");
    let args: Vec<Vec<Vec<u8>>> = h.bridge.calls.clone();
    assert_eq!(
        args[0],
        vec![
            b"set".to_vec(),
            b"n".to_vec(),
            b"0.10000000000000001".to_vec(),
            b"3".to_vec()
        ]
    );
    assert_eq!(args[1][2], b"1e+20");
    // C's printf spells x86's default NaN "-nan".
    assert_eq!(args[2][2], b"-nan");
}

#[test]
fn redis_call_raises_command_errors_and_pcall_returns_them() {
    let script = "return redis.call('incr', 'k')";
    let mut h = Harness::new();
    h.bridge.keys.insert(b"k".to_vec(), b"x".to_vec());
    let (reply, status) = h.run(script, &[], &[], false);
    assert_eq!(
        reply,
        script_error("ERR value is not an integer or out of range", script)
    );
    assert!(status.error && status.error_already_counted);

    let (reply, status) = h.run("return redis.pcall('incr', 'k')", &[], &[], false);
    assert_eq!(reply, "-ERR value is not an integer or out of range\r\n");
    assert!(status.error && status.error_already_counted);

    // An error the script makes itself is counted as the script's.
    let (reply, status) = h.run("return redis.error_reply('MY_CODE msg')", &[], &[], false);
    assert_eq!(reply, "-MY_CODE msg\r\n");
    assert!(status.error && !status.error_already_counted);
    let (_, status) = h.run("error('x')", &[], &[], false);
    assert!(status.error && !status.error_already_counted);
    let (reply, status) = h.run("return {redis.pcall('incr', 'k')}", &[], &[], false);
    assert_eq!(
        reply,
        "*1\r\n-ERR value is not an integer or out of range\r\n"
    );
    assert!(!status.error && !status.error_already_counted);
}

#[test]
fn command_error_tables_carry_the_stats_flag() {
    let script =
        "local e = redis.pcall('nosuch') return {e.err, tostring(e.ignore_error_stats_update)}";
    assert_eq!(
        eval(script),
        "*2\r\n$44\r\nERR Unknown Redis command called from script\r\n$4\r\ntrue\r\n"
    );
}

#[test]
fn resp2_replies_become_lua_values() {
    let cases = [
        (":42\r\n", "number:42"),
        ("$3\r\nabc\r\n", "string:abc"),
        ("$-1\r\n", "boolean:false"),
        ("*-1\r\n", "boolean:false"),
        ("+OK\r\n", "table:ok=OK"),
        ("-ERR bad thing\r\n", "table:err=ERR bad thing"),
        ("-WRONGTYPE Operation\r\n", "table:err=WRONGTYPE Operation"),
        ("*2\r\n:1\r\n$1\r\nx\r\n", "table:1=1,2=x"),
    ];
    for (raw, want) in cases {
        assert_eq!(
            describe(raw, false),
            format!("${}\r\n{want}\r\n", want.len()),
            "{raw:?}"
        );
    }
}

#[test]
fn resp3_replies_become_lua_values_after_setresp_3() {
    let cases = [
        ("_\r\n", "nil:nil"),
        ("#t\r\n", "boolean:true"),
        ("#f\r\n", "boolean:false"),
        (",1.5\r\n", "table:double=1.5"),
        (
            "(123456789012345678901\r\n",
            "table:big_number=123456789012345678901",
        ),
        (
            "=7\r\ntxt:abc\r\n",
            "table:verbatim_string=table:format=txt,string=abc",
        ),
        ("%1\r\n$1\r\nk\r\n:1\r\n", "table:map=table:k=1"),
        (
            "~2\r\n$1\r\na\r\n$1\r\nb\r\n",
            "table:set=table:a=true,b=true",
        ),
        ("|1\r\n+key\r\n+val\r\n:5\r\n", "number:5"),
        ("*2\r\n_\r\n:2\r\n", "table:2=2"),
    ];
    for (raw, want) in cases {
        assert_eq!(
            describe(raw, true),
            format!("${}\r\n{want}\r\n", want.len()),
            "{raw:?}"
        );
    }
}

/// The Lua value a raw reply converts to, described with sorted keys.
fn describe(raw: &str, resp3: bool) -> String {
    let setresp = if resp3 { "redis.setresp(3)" } else { "" };
    let script = format!(
        "{setresp}
        local function d(v)
          if type(v) ~= 'table' then return type(v) .. ':' .. tostring(v) end
          local keys = {{}}
          for k in pairs(v) do if k ~= 'ignore_error_stats_update' then keys[#keys + 1] = k end end
          table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
          local parts = {{}}
          for _, k in ipairs(keys) do
            local x = v[k]
            parts[#parts + 1] = tostring(k) .. '=' .. (type(x) == 'table' and d(x) or tostring(x))
          end
          return 'table:' .. table.concat(parts, ',')
        end
        return d(redis.pcall('raw', ARGV[1]))"
    );
    Harness::new().run(&script, &[], &[raw], false).0
}

#[test]
fn lua_values_become_replies_in_each_protocol() {
    // (script, RESP2 reply, RESP3 reply) as Redis 7.0.15 gives them.
    let cases = [
        ("return 3.99", ":3\r\n", ":3\r\n"),
        (
            "return 1e30",
            ":-9223372036854775808\r\n",
            ":-9223372036854775808\r\n",
        ),
        ("return 'x'", "$1\r\nx\r\n", "$1\r\nx\r\n"),
        ("return nil", "$-1\r\n", "_\r\n"),
        ("return true", ":1\r\n", ":1\r\n"),
        ("return false", "$-1\r\n", "_\r\n"),
        ("redis.setresp(3) return true", ":1\r\n", "#t\r\n"),
        ("redis.setresp(3) return false", ":0\r\n", "#f\r\n"),
        (
            "return {1, 2, nil, 4}",
            "*2\r\n:1\r\n:2\r\n",
            "*2\r\n:1\r\n:2\r\n",
        ),
        ("return {ok='fine'}", "+fine\r\n", "+fine\r\n"),
        ("return {err='My Error'}", "-My Error\r\n", "-My Error\r\n"),
        ("return {double=3.5}", "$3\r\n3.5\r\n", ",3.5\r\n"),
        ("return {big_number='123'}", "$3\r\n123\r\n", "(123\r\n"),
        (
            "return {map={a=1}}",
            "*2\r\n$1\r\na\r\n:1\r\n",
            "%1\r\n$1\r\na\r\n:1\r\n",
        ),
        (
            "return {set={a=true}}",
            "*1\r\n$1\r\na\r\n",
            "~1\r\n$1\r\na\r\n",
        ),
        (
            "return {verbatim_string={format='txt', string='hi'}}",
            "$2\r\nhi\r\n",
            "=6\r\ntxt:hi\r\n",
        ),
        ("return function() end", "$-1\r\n", "_\r\n"),
    ];
    for (script, resp2, resp3) in cases {
        assert_eq!(eval(script), resp2, "{script} (RESP2)");
        assert_eq!(eval3(script), resp3, "{script} (RESP3)");
    }
}

#[test]
fn status_and_error_texts_lose_their_newlines() {
    assert_eq!(eval("return {ok='a\\r\\nb'}"), "+a  b\r\n");
    assert_eq!(eval("return {err='a\\r\\nb'}"), "-a  b\r\n");
}

#[test]
fn log_reaches_the_bridge_with_its_level() {
    let mut h = Harness::new();
    h.eval(
        "redis.log(redis.LOG_WARNING, 'hello', 'world', 5) redis.log(redis.LOG_DEBUG, nil, 'x')",
    );
    assert_eq!(
        h.bridge.logs,
        vec![
            (LogLevel::Warning, b"hello world 5".to_vec()),
            (LogLevel::Debug, b" x".to_vec())
        ]
    );
}

#[test]
fn set_repl_reaches_the_bridge() {
    let mut h = Harness::new();
    assert_eq!(
        h.eval("redis.set_repl(redis.REPL_AOF) redis.set_repl(redis.REPL_ALL) return 1"),
        ":1\r\n"
    );
    assert_eq!(h.bridge.repl, vec![ReplFlags::AOF, ReplFlags::ALL]);
    assert!(ReplFlags::ALL.aof() && ReplFlags::ALL.replica() && !ReplFlags::AOF.replica());
}

#[test]
fn acl_check_cmd_asks_the_bridge() {
    assert_eq!(eval("return redis.acl_check_cmd('get', 'k')"), ":1\r\n");
    assert_eq!(eval("return redis.acl_check_cmd('flushall')"), "$-1\r\n");
    let script = "return redis.acl_check_cmd('nosuch')";
    assert_eq!(
        eval(script),
        script_error(
            "ERR Invalid command passed to redis.acl_check_cmd()",
            script
        )
    );
}

#[test]
fn version_fields_are_those_of_7_2_4() {
    assert_eq!(eval("return redis.REDIS_VERSION"), "$5\r\n7.2.4\r\n");
    assert_eq!(eval("return redis.REDIS_VERSION_NUM"), ":459268\r\n");
}

#[test]
fn math_random_continues_one_lrand48_sequence_across_scripts() {
    // A fresh Redis 7.0.15 answers 397 then 841: the generator starts
    // from lrand48's initial state and is not reseeded per script.
    let mut h = Harness::new();
    assert_eq!(h.eval("return math.random(1000)"), ":397\r\n");
    assert_eq!(h.eval("return math.random(1000)"), ":841\r\n");
    // It is one sequence for EVAL and FCALL alike.
    h.load("#!lua name=r\nredis.register_function('r', function() return math.random(1000) end)")
        .expect("loads");
    let third = h.fcall("r", &[], &[]);
    let mut fresh = Harness::new();
    fresh.eval("math.random() math.random()");
    assert_eq!(third, fresh.eval("return math.random(1000)"));
    // randomseed restarts it: Redis gives these for seed 42.
    let script =
        "math.randomseed(42) return {tostring(math.random()), math.random(1000), math.random(3,7)}";
    assert_eq!(
        eval(script),
        "*3\r\n$16\r\n0.74452500033403\r\n:343\r\n:3\r\n"
    );
    assert_eq!(h.eval("math.randomseed(42) return 1"), ":1\r\n");
    assert_eq!(h.eval("math.random() return math.random(1000)"), ":343\r\n");
}

#[test]
fn os_offers_only_clock() {
    assert_eq!(eval("return type(os.clock())"), "$6\r\nnumber\r\n");
    assert_eq!(
        eval("local n = 0 for k in pairs(os) do n = n + 1 end return n"),
        ":1\r\n"
    );
    let script = "os.exit = 1";
    assert_eq!(
        eval(script),
        script_error(
            "ERR user_script:1: Attempt to modify a readonly table",
            script
        )
    );
}

#[test]
fn cjson_extra_options_round_trip_arrays_and_empty_tables() {
    assert_eq!(
        eval("return cjson.encode(cjson.decode('{\"a\":[]}'))"),
        "$8\r\n{\"a\":{}}\r\n"
    );
    assert_eq!(
        eval(
            "cjson.decode_array_with_array_mt(true) return cjson.encode(cjson.decode('{\"a\":[],\"b\":[1]}'))"
        ),
        "$16\r\n{\"a\":[],\"b\":[1]}\r\n"
    );
    assert_eq!(
        eval("cjson.encode_empty_table_as_object(false) return cjson.encode({})"),
        "$2\r\n[]\r\n"
    );
    assert_eq!(
        eval("return {cjson.encode_empty_table_as_object()}"),
        "*1\r\n:1\r\n"
    );
}

#[test]
fn script_cache_compiles_once_and_finds_by_sha_in_any_case() {
    let mut h = Harness::new();
    let script = h.engine.load_script(b"return 'loaded'").expect("compiles");
    // SCRIPT LOAD "return 'loaded'" on Redis.
    assert_eq!(&script.sha, b"b534286061d4b9e4026607613b95c06c06015ae8");
    let again = h.engine.load_script(b"return 'loaded'").expect("cached");
    assert_eq!(again, script);
    assert_eq!(h.engine.script_count(), 1);
    let upper = script.sha.to_ascii_uppercase();
    assert_eq!(h.engine.find_script(&upper), Some(script));
    assert_eq!(h.engine.find_script(b"nosuch"), None);
    assert_eq!(h.engine.script_body(&script), Some(&b"return 'loaded'"[..]));
    h.engine.flush_scripts();
    assert_eq!(h.engine.find_script(&script.sha), None);
    assert_eq!(h.engine.script_count(), 0);
}

#[test]
fn an_engine_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<crate::scripting::Engine>();
    let mut h = Harness::new();
    let engine = std::thread::spawn(move || {
        assert_eq!(h.eval("return 'moved'"), "$5\r\nmoved\r\n");
        h.engine
    })
    .join()
    .expect("thread ran");
    drop(engine);
}
