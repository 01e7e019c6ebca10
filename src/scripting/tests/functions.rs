//! Function libraries: FUNCTION LOAD's rules and errors, and FCALL; the
//! texts are those of Redis 7.0.15 unless noted as 7.2's.

use super::Harness;
use crate::scripting::ScriptFlags;

fn loaded(code: &str) -> Harness {
    let mut h = Harness::new();
    h.load(code).expect("library loads");
    h
}

fn register_error(msg: &str) -> String {
    format!("ERR Error registering functions: ERR {msg}")
}

#[test]
fn a_function_gets_keys_and_args_as_its_two_arguments() {
    let mut h = loaded(
        "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {keys, args} end)",
    );
    assert_eq!(
        h.fcall("f1", &["k"], &["a", "b"]),
        "*2\r\n*1\r\n$1\r\nk\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(h.fcall("nosuch", &[], &[]), "-ERR Function not found\r\n");
}

#[test]
fn functions_run_with_the_full_api_but_without_keys_globals() {
    let mut h = loaded(
        "#!lua name=lib\n\
         redis.register_function('set', function(k, a) return redis.call('set', k[1], a[1]) end)\n\
         redis.register_function('env', function() return {type(cjson), type(redis.register_function), type(redis.debug)} end)\n\
         redis.register_function('keys', function() return KEYS end)",
    );
    assert_eq!(h.fcall("set", &["k"], &["v"]), "+OK\r\n");
    assert_eq!(h.bridge.keys.get(&b"k"[..]), Some(&b"v".to_vec()));
    assert_eq!(
        h.fcall("env", &[], &[]),
        "*3\r\n$5\r\ntable\r\n$3\r\nnil\r\n$3\r\nnil\r\n"
    );
    assert_eq!(
        h.fcall("keys", &[], &[]),
        "-ERR user_function:4: Script attempted to access nonexistent global variable 'KEYS' script: keys, on @user_function:4.\r\n"
    );
}

#[test]
fn errors_name_the_function_and_its_line() {
    let mut h = loaded(
        "#!lua name=lib\n\
         redis.register_function('f45', function() return redis.call('nosuch') end)\n\
         redis.register_function('f46', function() error('boom') end)",
    );
    assert_eq!(
        h.fcall("f45", &[], &[]),
        "-ERR Unknown Redis command called from script script: f45, on @user_function:2.\r\n"
    );
    assert_eq!(
        h.fcall("f46", &[], &[]),
        "-ERR user_function:3: boom script: f46, on @user_function:3.\r\n"
    );
}

#[test]
fn top_level_code_sees_only_the_loading_api() {
    let mut h = Harness::new();
    let cases = [
        (
            "redis.call('ping')",
            "user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        (
            "local x = redis.setresp",
            "user_function:2: Script attempted to access nonexistent global variable 'setresp'",
        ),
        (
            "local t = string",
            "user_function:2: Script attempted to access nonexistent global variable 'string'",
        ),
        (
            "x = 1",
            "user_function:2: Attempt to modify a readonly table",
        ),
        (
            "redis.x = 1",
            "user_function:2: Attempt to modify a readonly table",
        ),
    ];
    for (body, msg) in cases {
        let code = format!("#!lua name=probe\n{body}");
        assert_eq!(h.load(&code), Err(register_error(msg)), "{body}");
    }
    // What is there: register_function, log, the levels and the version.
    let code = "#!lua name=ok\nredis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION)\n\
                redis.register_function('f', function() return 1 end)";
    assert_eq!(h.load(code), Ok("ok".to_string()));
    assert_eq!(
        h.bridge.logs.last().map(|l| l.1.clone()),
        Some(b"loading 7.2.4".to_vec())
    );
    // Captured, register_function refuses to run later.
    let code = "#!lua name=late\nlocal rf = redis.register_function\n\
                redis.register_function('p', function() return rf('q', function() end) end)";
    h.load(code).expect("loads");
    assert_eq!(
        h.fcall("p", &[], &[]),
        "-ERR redis.register_function can only be called on FUNCTION LOAD command script: p, on @user_function:3.\r\n"
    );
}

#[test]
fn register_function_arguments_are_checked_like_redis() {
    let mut h = Harness::new();
    let cases = [
        (
            "redis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
            "unknown flag given",
        ),
        (
            "redis.register_function{function_name='f', callback=function() end, flags='no-writes'}",
            "flags argument to redis.register_function must be a table representing function flags",
        ),
        (
            "redis.register_function{function_name='f', callback=5}",
            "callback argument given to redis.register_function must be a function",
        ),
        (
            "redis.register_function{function_name='f'}",
            "redis.register_function must get a callback argument",
        ),
        (
            "redis.register_function{callback=function() end}",
            "redis.register_function must get a function name argument",
        ),
        (
            "redis.register_function{function_name='f', callback=function() end, extra=1}",
            "unknown argument given to redis.register_function",
        ),
        (
            "redis.register_function{[1]='x'}",
            "unknown argument given to redis.register_function",
        ),
        (
            "redis.register_function('f')",
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ),
        (
            "redis.register_function('f', 5)",
            "second argument to redis.register_function must be a function",
        ),
        (
            "redis.register_function({function_name='f', callback=function() end}, 'x')",
            "first argument to redis.register_function must be a string",
        ),
        (
            "redis.register_function('f', function() end, 'x')",
            "wrong number of arguments to redis.register_function",
        ),
        (
            "redis.register_function()",
            "wrong number of arguments to redis.register_function",
        ),
        (
            "redis.register_function('f', function() end) redis.register_function('f', function() end)",
            "Function already exists in the library",
        ),
        // Redis 7.0 says "Library names ..." here; 7.2 fixed the wording.
        (
            "redis.register_function('f 12', function() end)",
            "Function names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
    ];
    for (body, msg) in cases {
        let code = format!("#!lua name=probe\n{body}");
        assert_eq!(h.load(&code), Err(register_error(msg)), "{body}");
    }
    assert_eq!(h.engine.libraries().count(), 0);
}

#[test]
fn named_registration_keeps_flags_and_description() {
    let h = loaded(
        "#!lua name=lib3\nredis.register_function{FUNCTION_NAME='f3', callback=function() return 3 end, \
         flags={'allow-oom', 'NO-WRITES', 'no-cluster'}, description='desc here'}\n\
         redis.register_function(5, function() end)",
    );
    let library = h.engine.library(b"lib3").expect("loaded");
    let f = &library.functions[0];
    assert_eq!(f.name, b"f3");
    assert_eq!(f.description.as_deref(), Some(&b"desc here"[..]));
    assert_eq!(
        f.flags.names().collect::<Vec<_>>(),
        ["no-writes", "allow-oom", "no-cluster"]
    );
    assert_eq!(library.functions[1].name, b"5");
    let info = h.engine.find_function(b"f3").expect("registered");
    assert!(info.flags.contains(ScriptFlags::NO_WRITES));
    assert_eq!(h.engine.function_count(), 2);
}

#[test]
fn load_refuses_existing_names_and_empty_libraries() {
    let mut h = loaded("#!lua name=mylib\nredis.register_function('f1', function() return 1 end)");
    let code = "#!lua name=mylib\nredis.register_function('f1', function() return 2 end)";
    assert_eq!(
        h.load(code),
        Err("ERR Library 'mylib' already exists".to_string())
    );
    assert_eq!(
        h.load("#!lua name=other\nredis.register_function('f1', function() end)"),
        Err("ERR Function f1 already exists".to_string())
    );
    assert_eq!(
        h.load("#!lua name=empty\nreturn 1"),
        Err("ERR No functions registered".to_string())
    );
    assert_eq!(
        h.load("#!lua name=bad\nredis.register_function('x', function() end"),
        Err("ERR Error compiling function: user_function:2: ')' expected near '<eof>'".to_string())
    );
    assert_eq!(
        h.fcall("f1", &[], &[]),
        ":1\r\n",
        "failed loads leave the library as it was"
    );
    // REPLACE swaps the library, its own function names included.
    assert_eq!(h.load_with(code, true), Ok("mylib".to_string()));
    assert_eq!(h.fcall("f1", &[], &[]), ":2\r\n");
    assert_eq!(
        h.engine.library(b"mylib").map(|l| l.code.clone()),
        Some(code.as_bytes().to_vec())
    );
}

#[test]
fn delete_and_flush_forget_libraries() {
    let mut h = loaded("#!lua name=a\nredis.register_function('fa', function() return 1 end)");
    h.load("#!lua name=b\nredis.register_function('fb', function() return 2 end)")
        .expect("loads");
    assert!(h.engine.delete_library(b"a"));
    assert!(!h.engine.delete_library(b"a"));
    assert_eq!(h.fcall("fa", &[], &[]), "-ERR Function not found\r\n");
    assert_eq!(h.fcall("fb", &[], &[]), ":2\r\n");
    h.load("#!lua name=a\nredis.register_function('fa', function() return 3 end)")
        .expect("the name is free again");
    h.engine.flush_functions();
    assert_eq!(h.engine.libraries().count(), 0);
    assert_eq!(h.fcall("fb", &[], &[]), "-ERR Function not found\r\n");
}
