//! The `redis` table: `redis.call`/`pcall` and the helpers around them,
//! with Redis 7's argument rules and error texts. Errors are Lua tables
//! with an `err` field (`{err="ERR ..."}`), raised or returned as Redis does.

use std::ffi::{CStr, c_int, c_void};

use super::bridge::{LogLevel, ReplFlags};
use super::convert;
use super::flags::ScriptFlags;
use super::lua::{self, L, ffi, lua_functions};
use super::number;
use super::sandbox;
use super::vm::{Flavor, Registered, Shared};

/// The version scripts see (`redis.REDIS_VERSION`, `REDIS_VERSION_NUM`).
const VERSION: &[u8] = crate::REDIS_VERSION.as_bytes();
const VERSION_NUM: f64 = 0x07_02_04 as f64;

/// Pushes Redis's error table for `msg`. A leading `-CODE ` gives the
/// error code, otherwise the code is ERR; CR and LF at either end go.
pub(crate) unsafe fn push_error_table(l: L, msg: &[u8]) {
    unsafe {
        let (code, text): (&[u8], &[u8]) = match msg.strip_prefix(b"-") {
            Some(rest) => match memchr::memchr(b' ', rest) {
                Some(sp) => (&rest[..sp], &rest[sp + 1..]),
                None => (b"ERR", rest),
            },
            None => (b"ERR", msg),
        };
        let not_crlf = |b: &u8| *b != b'\r' && *b != b'\n';
        let start = text.iter().position(not_crlf).unwrap_or(text.len());
        let end = text.iter().rposition(not_crlf).map_or(start, |i| i + 1);
        ffi::lua_createtable(l, 0, 2);
        lua::push_bytes(l, code);
        lua::push_bytes(l, b" ");
        lua::push_bytes(l, &text[start..end]);
        ffi::lua_concat(l, 3);
        lua::set_top(l, -2, c"err");
    }
}

/// Raises Redis's error table for `msg`.
pub(crate) unsafe fn raise_error_table(l: L, msg: &[u8]) -> ! {
    unsafe {
        push_error_table(l, msg);
        ffi::lua_error(l)
    }
}

lua_functions! {
    call_fn => call_impl;
    pcall_fn => pcall_impl;
    log_fn => log_impl;
    setresp_fn => setresp_impl;
    set_repl_fn => set_repl_impl;
    sha1hex_fn => sha1hex_impl;
    error_reply_fn => error_reply_impl;
    status_reply_fn => status_reply_impl;
    acl_check_cmd_fn => acl_check_cmd_impl;
    breakpoint_fn => breakpoint_impl;
    debug_fn => debug_impl;
    replicate_commands_fn => replicate_commands_impl;
    register_function_fn => register_function_impl;
}

/// Sets the global `redis` table of `flavor` (and, for function
/// libraries, the restricted table their top-level code sees).
pub(crate) unsafe fn open(l: L, up: *mut c_void, flavor: Flavor) {
    unsafe {
        if flavor == Flavor::Functions {
            ffi::lua_createtable(l, 0, 8);
            lua::set_function(l, -1, c"register_function", register_function_fn, up);
            set_log_api(l, up);
            sandbox::set_load_globals(l);
        }
        ffi::lua_createtable(l, 0, 24);
        let functions: [(&CStr, ffi::lua_CFunction); 10] = [
            (c"call", call_fn),
            (c"pcall", pcall_fn),
            (c"setresp", setresp_fn),
            (c"set_repl", set_repl_fn),
            (c"sha1hex", sha1hex_fn),
            (c"error_reply", error_reply_fn),
            (c"status_reply", status_reply_fn),
            (c"acl_check_cmd", acl_check_cmd_fn),
            (c"breakpoint", breakpoint_fn),
            (c"debug", debug_fn),
        ];
        let eval_only = [c"breakpoint", c"debug"];
        for (name, f) in functions {
            if flavor == Flavor::Eval || !eval_only.contains(&name) {
                lua::set_function(l, -1, name, f, up);
            }
        }
        if flavor == Flavor::Eval {
            lua::set_function(l, -1, c"replicate_commands", replicate_commands_fn, up);
        }
        set_log_api(l, up);
        let repl = [
            (c"REPL_NONE", ReplFlags::NONE),
            (c"REPL_AOF", ReplFlags::AOF),
            (c"REPL_SLAVE", ReplFlags::REPLICA),
            (c"REPL_REPLICA", ReplFlags::REPLICA),
            (c"REPL_ALL", ReplFlags::ALL),
        ];
        for (name, flags) in repl {
            lua::set_number(l, -1, name, flags.0 as f64);
        }
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"redis");
    }
}

/// `log`, the `LOG_*` levels and the version fields, which both API tables have.
unsafe fn set_log_api(l: L, up: *mut c_void) {
    unsafe {
        lua::set_function(l, -1, c"log", log_fn, up);
        let levels = [
            (c"LOG_DEBUG", LogLevel::Debug),
            (c"LOG_VERBOSE", LogLevel::Verbose),
            (c"LOG_NOTICE", LogLevel::Notice),
            (c"LOG_WARNING", LogLevel::Warning),
        ];
        for (name, level) in levels {
            lua::set_number(l, -1, name, level as u8 as f64);
        }
        lua::set_string(l, -1, c"REDIS_VERSION", VERSION);
        lua::set_number(l, -1, c"REDIS_VERSION_NUM", VERSION_NUM);
    }
}

unsafe fn shared(l: L) -> *mut Shared {
    unsafe { lua::upvalue::<Shared>(l) }
}

/// Builds `shared.argv` from the call's arguments: strings as they are,
/// numbers as `%.17g`. `Err` is the error message.
unsafe fn collect_argv(l: L, shared: *mut Shared) -> Result<(), &'static [u8]> {
    unsafe {
        let argc = ffi::lua_gettop(l);
        if argc == 0 {
            return Err(b"Please specify at least one argument for this redis lib call");
        }
        let sh = &mut *shared;
        sh.numbers.clear();
        sh.argv.clear();
        // Numbers are formatted first: `numbers` must not move once sliced.
        for i in 1..=argc {
            match ffi::lua_type(l, i) {
                ffi::LUA_TNUMBER => {
                    number::write_g(&mut sh.numbers, ffi::lua_tonumber(l, i), 17);
                    sh.numbers.push(0);
                }
                ffi::LUA_TSTRING => {}
                _ => return Err(b"Lua redis lib command arguments must be strings or integers"),
            }
        }
        let mut numbers: &'static [u8] =
            std::slice::from_raw_parts(sh.numbers.as_ptr(), sh.numbers.len());
        for i in 1..=argc {
            let arg: &'static [u8] = if ffi::lua_type(l, i) == ffi::LUA_TNUMBER {
                let end = memchr::memchr(0, numbers).unwrap_or(numbers.len());
                let text = &numbers[..end];
                numbers = numbers.get(end + 1..).unwrap_or_default();
                text
            } else {
                let s = lua::bytes_at(l, i).unwrap_or_default();
                std::slice::from_raw_parts(s.as_ptr(), s.len())
            };
            sh.argv.push(arg);
        }
        Ok(())
    }
}

/// `redis.call` (raise errors) and `redis.pcall` (return them).
unsafe fn generic_call(l: L, raise: bool) -> c_int {
    unsafe {
        let shared = shared(l);
        if (*shared).run.is_none() {
            raise_error_table(
                l,
                b"redis.call/pcall can only be called inside a script invocation",
            );
        }
        if let Err(msg) = collect_argv(l, shared) {
            push_error_table(l, msg);
            if raise {
                ffi::lua_error(l);
            }
            return 1;
        }
        let sh = &mut *shared;
        let Some(run) = sh.run.as_mut() else { return 0 };
        let resp3 = run.resp3;
        sh.reply.clear();
        run.bridge().call(&sh.argv, resp3, &mut sh.reply);
        sh.argv.clear();
        ffi::lua_settop(l, 0);
        let is_error = convert::push_reply(l, &sh.reply);
        if raise && is_error {
            ffi::lua_error(l);
        }
        1
    }
}

unsafe fn call_impl(l: L) -> c_int {
    unsafe { generic_call(l, true) }
}

unsafe fn pcall_impl(l: L) -> c_int {
    unsafe { generic_call(l, false) }
}

unsafe fn acl_check_cmd_impl(l: L) -> c_int {
    unsafe {
        let shared = shared(l);
        if (*shared).run.is_none() {
            raise_error_table(
                l,
                b"redis.acl_check_cmd can only be called inside a script invocation",
            );
        }
        if let Err(msg) = collect_argv(l, shared) {
            raise_error_table(l, msg);
        }
        let sh = &mut *shared;
        let Some(run) = sh.run.as_mut() else { return 0 };
        let verdict = run.bridge().acl_check_cmd(&sh.argv);
        sh.argv.clear();
        match verdict {
            Some(allowed) => {
                ffi::lua_pushboolean(l, allowed as c_int);
                1
            }
            None => raise_error_table(l, b"Invalid command passed to redis.acl_check_cmd()"),
        }
    }
}

unsafe fn log_impl(l: L) -> c_int {
    unsafe {
        let argc = ffi::lua_gettop(l);
        if argc < 2 {
            raise_error_table(l, b"redis.log() requires two arguments or more.");
        }
        if ffi::lua_isnumber(l, 1) == 0 {
            raise_error_table(l, b"First argument must be a number (log level).");
        }
        let Some(level) = LogLevel::from_number(number::c_i32(ffi::lua_tonumber(l, 1))) else {
            raise_error_table(l, b"Invalid debug level.");
        };
        let sh = &mut *shared(l);
        sh.scratch.clear();
        for i in 2..=argc {
            if let Some(part) = lua::tolstring(l, i) {
                if i != 2 {
                    sh.scratch.push(b' ');
                }
                sh.scratch.extend_from_slice(part);
            }
        }
        if let Some(run) = sh.run.as_mut() {
            run.bridge().log(level, &sh.scratch);
        }
        0
    }
}

/// The running script and the number given to a one-argument setting
/// function (`redis.setresp`, `redis.set_repl`), or Redis's error.
unsafe fn setting<'a>(l: L, function: &str, arity_error: &[u8]) -> (&'a mut super::vm::Run, i32) {
    unsafe {
        let Some(run) = (*shared(l)).run.as_mut() else {
            let msg = lua::StackText::new(format_args!(
                "{function} can only be called inside a script invocation"
            ));
            raise_error_table(l, msg.as_bytes());
        };
        if ffi::lua_gettop(l) != 1 {
            raise_error_table(l, arity_error);
        }
        (run, number::c_i32(ffi::lua_tonumber(l, 1)))
    }
}

unsafe fn setresp_impl(l: L) -> c_int {
    unsafe {
        let (run, resp) = setting(
            l,
            "redis.setresp",
            b"redis.setresp() requires one argument.",
        );
        if resp != 2 && resp != 3 {
            raise_error_table(l, b"RESP version must be 2 or 3.");
        }
        run.resp3 = resp == 3;
        0
    }
}

unsafe fn set_repl_impl(l: L) -> c_int {
    unsafe {
        let (run, flags) = setting(
            l,
            "redis.set_repl",
            b"redis.set_repl() requires two arguments.",
        );
        if flags & !(ReplFlags::ALL.0 as i32) != 0 {
            raise_error_table(
                l,
                b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
            );
        }
        run.bridge().set_repl(ReplFlags(flags as u8));
        0
    }
}

unsafe fn sha1hex_impl(l: L) -> c_int {
    unsafe {
        if ffi::lua_gettop(l) != 1 {
            raise_error_table(l, b"wrong number of arguments");
        }
        let data = lua::tolstring(l, 1).unwrap_or_default();
        let digest = sha1_hex(data);
        lua::push_bytes(l, &digest);
        1
    }
}

/// The lowercase hex SHA1 Redis names scripts by.
pub(crate) fn sha1_hex(data: &[u8]) -> [u8; 40] {
    let digest = sha1_smol::Sha1::from(data).digest().bytes();
    let mut hex = [0u8; 40];
    for (i, byte) in digest.iter().enumerate() {
        hex[2 * i] = b"0123456789abcdef"[(byte >> 4) as usize];
        hex[2 * i + 1] = b"0123456789abcdef"[(byte & 15) as usize];
    }
    hex
}

/// The one string argument of `error_reply`/`status_reply`; a wrong call
/// returns (does not raise) an error table.
unsafe fn single_string<'a>(l: L) -> Option<&'a [u8]> {
    unsafe {
        if ffi::lua_gettop(l) != 1 {
            return None;
        }
        lua::bytes_at(l, 1)
    }
}

unsafe fn error_reply_impl(l: L) -> c_int {
    unsafe {
        let Some(msg) = single_string(l) else {
            push_error_table(l, b"wrong number or type of arguments");
            return 1;
        };
        // Redis treats the argument as a C string.
        let msg = lua::c_str_prefix(msg);
        if msg.first() == Some(&b'-') {
            push_error_table(l, msg);
        } else {
            lua::push_bytes(l, b"-");
            lua::push_bytes(l, msg);
            ffi::lua_concat(l, 2);
            let joined = lua::bytes_at(l, -1).unwrap_or_default();
            push_error_table(l, joined);
        }
        1
    }
}

unsafe fn status_reply_impl(l: L) -> c_int {
    unsafe {
        if single_string(l).is_none() {
            push_error_table(l, b"wrong number or type of arguments");
            return 1;
        }
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushvalue(l, 1);
        lua::set_top(l, -2, c"ok");
        1
    }
}

unsafe fn breakpoint_impl(l: L) -> c_int {
    unsafe {
        ffi::lua_pushboolean(l, 0);
        1
    }
}

unsafe fn debug_impl(_l: L) -> c_int {
    0
}

unsafe fn replicate_commands_impl(l: L) -> c_int {
    unsafe {
        ffi::lua_pushboolean(l, 1);
        1
    }
}

/// Stack slots `register_function` parses its arguments into.
const NAME: c_int = 1;
const CALLBACK: c_int = 2;
const DESCRIPTION: c_int = 3;

unsafe fn register_function_impl(l: L) -> c_int {
    unsafe {
        let sh = &mut *shared(l);
        if sh.run.as_ref().is_none_or(|r| r.load.is_none()) {
            raise_error_table(
                l,
                b"redis.register_function can only be called on FUNCTION LOAD command",
            );
        }
        let mut flags = ScriptFlags::default();
        match ffi::lua_gettop(l) {
            1 if ffi::lua_type(l, 1) == ffi::LUA_TTABLE => read_named_arguments(l, &mut flags),
            1 => raise_error_table(
                l,
                b"calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            ),
            2 => {
                if ffi::lua_isstring(l, 1) == 0 {
                    raise_error_table(l, b"first argument to redis.register_function must be a string");
                }
                if ffi::lua_type(l, 2) != ffi::LUA_TFUNCTION {
                    raise_error_table(l, b"second argument to redis.register_function must be a function");
                }
                ffi::lua_pushnil(l);
            }
            _ => raise_error_table(l, b"wrong number of arguments to redis.register_function"),
        }
        let name = lua::tolstring(l, NAME).unwrap_or_default();
        if !super::function::valid_name(name) {
            raise_error_table(
                l,
                b"Function names can only contain letters, numbers, or underscores(_) and must be at least one character long",
            );
        }
        let Some(load) = sh.run.as_mut().and_then(|r| r.load.as_mut()) else {
            return 0;
        };
        if load.functions.iter().any(|f| f.name == name) {
            raise_error_table(l, b"Function already exists in the library");
        }
        ffi::lua_settop(l, DESCRIPTION);
        ffi::lua_pushvalue(l, CALLBACK);
        let callback = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
        let name = lua::tolstring(l, NAME).unwrap_or_default().to_vec();
        let description = lua::tolstring(l, DESCRIPTION).map(<[u8]>::to_vec);
        load.functions.push(Registered {
            name,
            callback,
            flags,
            description,
        });
        0
    }
}

/// The named arguments of `register_function{...}`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Named {
    FunctionName,
    Description,
    Callback,
    Flags,
}

impl Named {
    fn from_key(key: &[u8]) -> Option<Named> {
        [
            (&b"function_name"[..], Named::FunctionName),
            (b"description", Named::Description),
            (b"callback", Named::Callback),
            (b"flags", Named::Flags),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, arg)| arg)
    }
}

/// `register_function{function_name=..., callback=..., flags=..., description=...}`:
/// leaves name, callback and description (or nil) in slots 1 to 3.
unsafe fn read_named_arguments(l: L, flags: &mut ScriptFlags) {
    unsafe {
        ffi::lua_settop(l, 1);
        for _ in 0..3 {
            ffi::lua_pushnil(l);
        }
        let (table, name, callback, description) = (1, 2, 3, 4);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, table) != 0 {
            if ffi::lua_isstring(l, -2) == 0 {
                raise_error_table(
                    l,
                    b"named argument key given to redis.register_function is not a string",
                );
            }
            // A copy: converting a number key in place would break lua_next.
            ffi::lua_pushvalue(l, -2);
            let arg = Named::from_key(lua::tolstring(l, -1).unwrap_or_default());
            ffi::lua_pop(l, 1);
            match arg {
                Some(Named::FunctionName) if ffi::lua_isstring(l, -1) == 0 => {
                    raise_error_table(l, b"function_name argument given to redis.register_function must be a string")
                }
                Some(Named::Description) if ffi::lua_isstring(l, -1) == 0 => {
                    raise_error_table(l, b"description argument given to redis.register_function must be a string")
                }
                Some(Named::Callback) if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION => {
                    raise_error_table(l, b"callback argument given to redis.register_function must be a function")
                }
                Some(Named::Flags) if ffi::lua_type(l, -1) != ffi::LUA_TTABLE => raise_error_table(
                    l,
                    b"flags argument to redis.register_function must be a table representing function flags",
                ),
                Some(Named::FunctionName) => ffi::lua_replace(l, name),
                Some(Named::Description) => ffi::lua_replace(l, description),
                Some(Named::Callback) => ffi::lua_replace(l, callback),
                Some(Named::Flags) => {
                    if !read_flags(l, flags) {
                        raise_error_table(l, b"unknown flag given");
                    }
                    ffi::lua_pop(l, 1);
                }
                None => raise_error_table(l, b"unknown argument given to redis.register_function"),
            }
        }
        if ffi::lua_type(l, name) == ffi::LUA_TNIL {
            raise_error_table(
                l,
                b"redis.register_function must get a function name argument",
            );
        }
        if ffi::lua_type(l, callback) == ffi::LUA_TNIL {
            raise_error_table(l, b"redis.register_function must get a callback argument");
        }
        ffi::lua_remove(l, table);
    }
}

/// Reads the flags table on top of the stack; false on an unknown flag.
unsafe fn read_flags(l: L, flags: &mut ScriptFlags) -> bool {
    unsafe {
        let t = ffi::lua_gettop(l);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, t) != 0 {
            let known = lua::bytes_at(l, -1).and_then(ScriptFlags::from_name_ignore_case);
            ffi::lua_pop(l, 1);
            match known {
                Some(f) => flags.insert(f),
                None => {
                    ffi::lua_pop(l, 1);
                    return false;
                }
            }
        }
        true
    }
}
