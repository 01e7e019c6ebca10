//! The sandbox scripts run in: which globals exist, and the read-only
//! protection Redis 7 puts on the global table and every library table.
//!
//! Redis patches its Lua so a table can be flagged read-only. Stock Lua 5.1
//! cannot do that, so each protected table becomes a *proxy*: an empty
//! table whose metatable sends reads to the real (backing) table and every
//! write to an error. A proxy is recognised by a light-userdata key in its
//! metatable, which scripts can neither forge nor reach. The
//! base functions that bypass metamethods (`rawset`, `rawget`, `next`,
//! `pairs`, `setmetatable`, `getmetatable`, `table.insert`,
//! `table.foreach`) are replaced by versions that see through proxies for
//! reading and refuse to write, with Redis's messages. Backing tables hold
//! proxies, never other backing tables, so no path leads a script to a
//! writable library table. Reads cost one extra table hop; nothing is
//! copied.

use std::ffi::{CStr, c_int, c_void};
use std::sync::atomic::Ordering;

use super::lua::{self, L, ffi, lua_functions};
use super::vm::Shared;

/// Registry keys (addresses of these statics) for tables the sandbox keeps.
static GLOBALS_BACKING: u8 = 0;
static GLOBALS_META: u8 = 0;
static STRING_META_VIEW: u8 = 0;
static GLOBALS_META_VIEW: u8 = 0;
static LOAD_GLOBALS: u8 = 0;
/// Key (a light userdata scripts cannot forge) that marks a proxy's metatable.
static PROXY_MARK: u8 = 0;

pub(crate) const READONLY: &[u8] = b"Attempt to modify a readonly table";

/// Pushes the registry value stored under `key`.
pub(crate) unsafe fn push_registry(l: L, key: &'static u8) {
    unsafe {
        ffi::lua_pushlightuserdata(l, key as *const u8 as *mut c_void);
        ffi::lua_rawget_(l, ffi::LUA_REGISTRYINDEX);
    }
}

/// Stores the value on top under `key` in the registry; pops it.
unsafe fn set_registry(l: L, key: &'static u8) {
    unsafe {
        ffi::lua_pushlightuserdata(l, key as *const u8 as *mut c_void);
        ffi::lua_insert(l, -2);
        ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
    }
}

/// Pushes the backing table of the globals (where KEYS and ARGV go).
pub(crate) unsafe fn push_globals_backing(l: L) {
    unsafe { push_registry(l, &GLOBALS_BACKING) }
}

/// Points global lookups at the library-loading globals (only the
/// restricted `redis` table) or back at the runtime ones.
pub(crate) unsafe fn use_load_globals(l: L, loading: bool) {
    unsafe {
        push_registry(l, &GLOBALS_META);
        push_registry(
            l,
            if loading {
                &LOAD_GLOBALS
            } else {
                &GLOBALS_BACKING
            },
        );
        lua::set_top(l, -2, c"__index");
        ffi::lua_pop(l, 1);
    }
}

/// If the value at `idx` is a proxy, pushes its backing table and returns true.
unsafe fn push_backing(l: L, idx: c_int) -> bool {
    unsafe {
        if ffi::lua_type(l, idx) != ffi::LUA_TTABLE || ffi::lua_getmetatable(l, idx) == 0 {
            return false;
        }
        ffi::lua_pushlightuserdata(l, &PROXY_MARK as *const u8 as *mut c_void);
        ffi::lua_rawget_(l, -2);
        let is_proxy = ffi::lua_type(l, -1) == ffi::LUA_TBOOLEAN;
        ffi::lua_pop(l, 1);
        if !is_proxy {
            ffi::lua_pop(l, 1);
            return false;
        }
        lua::get_field(l, -1, c"__index");
        ffi::lua_remove(l, -2);
        true
    }
}

unsafe fn is_proxy(l: L, idx: c_int) -> bool {
    unsafe {
        let found = push_backing(l, idx);
        if found {
            ffi::lua_pop(l, 1);
        }
        found
    }
}

/// Replaces the table argument at `idx` by its backing table when it is a proxy.
unsafe fn see_through(l: L, idx: c_int) {
    unsafe {
        if push_backing(l, idx) {
            ffi::lua_replace(l, idx);
        }
    }
}

lua_functions! {
    ro_newindex => ro_newindex_impl;
    missing_global => missing_global_impl;
    next_fn => next_impl;
    pairs_fn => pairs_impl;
    rawget_fn => rawget_impl;
    rawset_fn => rawset_impl;
    setmetatable_fn => setmetatable_impl;
    getmetatable_fn => getmetatable_impl;
    insert_fn => insert_impl;
    foreach_fn => foreach_impl;
    pcall_fn => pcall_impl;
    loadstring_fn => loadstring_impl;
    load_fn => load_impl;
    random_fn => random_impl;
    randomseed_fn => randomseed_impl;
    clock_fn => clock_impl;
}

unsafe fn ro_newindex_impl(l: L) -> c_int {
    unsafe { lua::raise(l, READONLY) }
}

unsafe fn missing_global_impl(l: L) -> c_int {
    unsafe {
        let t = ffi::lua_type(l, 2);
        if t != ffi::LUA_TSTRING && t != ffi::LUA_TNUMBER {
            lua::raise(
                l,
                b"Second argument to luaProtectedTableError must be a string or number",
            );
        }
        let name = lua::c_str_prefix(lua::tolstring(l, 2).unwrap_or_default());
        ffi::luaL_where(l, 1);
        lua::push_bytes(
            l,
            b"Script attempted to access nonexistent global variable '",
        );
        lua::push_bytes(l, name);
        lua::push_bytes(l, b"'");
        ffi::lua_concat(l, 4);
        ffi::lua_error(l)
    }
}

unsafe fn next_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        ffi::lua_settop(l, 2);
        see_through(l, 1);
        if ffi::lua_next(l, 1) != 0 {
            2
        } else {
            ffi::lua_pushnil(l);
            1
        }
    }
}

unsafe fn pairs_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(2));
        ffi::lua_pushvalue(l, 1);
        ffi::lua_pushnil(l);
        3
    }
}

unsafe fn rawget_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        ffi::luaL_checkany(l, 2);
        ffi::lua_settop(l, 2);
        see_through(l, 1);
        ffi::lua_rawget_(l, 1);
        1
    }
}

unsafe fn rawset_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        ffi::luaL_checkany(l, 2);
        ffi::luaL_checkany(l, 3);
        ffi::lua_settop(l, 3);
        if is_proxy(l, 1) {
            lua::raise_plain(l, READONLY);
        }
        ffi::lua_rawset(l, 1);
        1
    }
}

unsafe fn setmetatable_impl(l: L) -> c_int {
    unsafe {
        let t = ffi::lua_type(l, 2);
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        if t != ffi::LUA_TNIL && t != ffi::LUA_TTABLE {
            ffi::luaL_argerror(l, 2, c"nil or table expected".as_ptr());
        }
        if ffi::luaL_getmetafield_(l, 1, c"__metatable".as_ptr()) != 0 {
            lua::raise(l, b"cannot change a protected metatable");
        }
        if is_proxy(l, 1) {
            lua::raise_plain(l, READONLY);
        }
        ffi::lua_settop(l, 2);
        ffi::lua_setmetatable(l, 1);
        1
    }
}

unsafe fn getmetatable_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checkany(l, 1);
        if ffi::lua_type(l, 1) == ffi::LUA_TSTRING {
            push_registry(l, &STRING_META_VIEW);
            return 1;
        }
        if is_proxy(l, 1) {
            if ffi::lua_rawequal(l, 1, ffi::LUA_GLOBALSINDEX) != 0 {
                push_registry(l, &GLOBALS_META_VIEW);
            } else {
                ffi::lua_pushnil(l);
            }
            return 1;
        }
        if ffi::lua_getmetatable(l, 1) == 0 {
            ffi::lua_pushnil(l);
            return 1;
        }
        ffi::luaL_getmetafield_(l, 1, c"__metatable".as_ptr());
        1
    }
}

unsafe fn insert_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        let mut end = ffi::lua_objlen(l, 1) as c_int + 1;
        let pos = match ffi::lua_gettop(l) {
            2 => end,
            3 => {
                let pos = lua::check_int(l, 2);
                end = end.max(pos);
                pos
            }
            _ => lua::raise(l, b"wrong number of arguments to 'insert'"),
        };
        if is_proxy(l, 1) {
            lua::raise_plain(l, READONLY);
        }
        let mut i = end;
        while i > pos {
            ffi::lua_rawgeti_(l, 1, i - 1);
            ffi::lua_rawseti_(l, 1, i);
            i -= 1;
        }
        ffi::lua_rawseti_(l, 1, pos);
        0
    }
}

unsafe fn foreach_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
        ffi::luaL_checktype(l, 2, ffi::LUA_TFUNCTION);
        see_through(l, 1);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, 1) != 0 {
            ffi::lua_pushvalue(l, 2);
            ffi::lua_pushvalue(l, -3);
            ffi::lua_pushvalue(l, -3);
            ffi::lua_call(l, 2, 1);
            if ffi::lua_type(l, -1) != ffi::LUA_TNIL {
                return 1;
            }
            ffi::lua_pop(l, 2);
        }
        0
    }
}

/// Redis's `pcall`: as Lua's, except that an error table carrying an `err`
/// string is returned as that string, as scripts written for Redis 6 expect.
unsafe fn pcall_impl(l: L) -> c_int {
    unsafe {
        if ffi::lua_gettop(l) == 0 {
            // Redis's pcall then calls its own result placeholder.
            ffi::lua_pushboolean(l, 0);
            lua::push_bytes(l, b"attempt to call a boolean value");
            return 2;
        }
        let nargs = ffi::lua_gettop(l) - 1;
        if ffi::lua_pcall(l, nargs, ffi::LUA_MULTRET, 0) == 0 {
            ffi::lua_pushboolean(l, 1);
            ffi::lua_insert(l, 1);
            return ffi::lua_gettop(l);
        }
        if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
            lua::get_field(l, -1, c"err");
            if ffi::lua_isstring(l, -1) != 0 {
                ffi::lua_replace(l, -2);
            } else {
                ffi::lua_pop(l, 1);
            }
        }
        ffi::lua_pushboolean(l, 0);
        ffi::lua_insert(l, -2);
        2
    }
}

unsafe fn loadstring_impl(l: L) -> c_int {
    unsafe {
        let mut len = 0;
        let p = ffi::luaL_checklstring(l, 1, &mut len);
        let code = std::slice::from_raw_parts(p.cast::<u8>(), len);
        let name = ffi::luaL_optlstring(l, 2, p, std::ptr::null_mut());
        load_result(l, lua::load_text(l, code, name))
    }
}

/// `load(reader [, chunkname])`: the pieces are gathered into one string
/// first, so the bytecode check sees the chunk's first byte.
unsafe fn load_impl(l: L) -> c_int {
    unsafe {
        ffi::luaL_checktype(l, 1, ffi::LUA_TFUNCTION);
        let name = ffi::luaL_optlstring(l, 2, c"=(load)".as_ptr(), std::ptr::null_mut());
        ffi::lua_settop(l, 3);
        lua::push_bytes(l, b"");
        ffi::lua_replace(l, 3);
        loop {
            ffi::lua_pushvalue(l, 1);
            ffi::lua_call(l, 0, 1);
            match ffi::lua_type(l, -1) {
                ffi::LUA_TNIL => break,
                // Numbers count as strings, as for Lua's own load.
                ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                    if lua::tolstring(l, -1).is_some_and(<[u8]>::is_empty) {
                        break;
                    }
                    ffi::lua_concat(l, 2);
                    ffi::lua_pushvalue(l, -1);
                    ffi::lua_replace(l, 3);
                    ffi::lua_settop(l, 3);
                }
                _ => {
                    ffi::lua_pushnil(l);
                    lua::push_bytes(l, b"reader function must return a string");
                    return 2;
                }
            }
        }
        let code = lua::bytes_at(l, 3).unwrap_or_default();
        load_result(l, lua::load_text(l, code, name))
    }
}

/// `loadstring`'s results: the function, or nil and the message.
unsafe fn load_result(l: L, status: c_int) -> c_int {
    unsafe {
        if status == 0 {
            return 1;
        }
        ffi::lua_pushnil(l);
        ffi::lua_insert(l, -2);
        2
    }
}

/// The lrand48 generator Redis's `math.random` uses, one sequence per
/// server: it starts from lrand48's own initial state and continues across
/// scripts; `math.randomseed` restarts it.
pub(crate) const RNG_INITIAL: u64 = 0x1234_ABCD_330E;

fn rng_next(state: u64) -> (u64, i32) {
    let next = 0x5_DEEC_E66D_u64.wrapping_mul(state).wrapping_add(0xB) & ((1 << 48) - 1);
    (next, (next >> 17) as i32)
}

pub(crate) fn rng_seed(seed: i32) -> u64 {
    ((seed as u32 as u64) << 16) | 0x330E
}

/// The VM's shared state, raising unless a script is running.
unsafe fn running<'a>(l: L, function: &str) -> &'a Shared {
    unsafe {
        let shared = &*lua::upvalue::<Shared>(l);
        if shared.run.is_none() {
            lua::raise_fmt(
                l,
                format_args!("{function} can only be called inside a script invocation"),
            );
        }
        shared
    }
}

unsafe fn random_impl(l: L) -> c_int {
    unsafe {
        let rng = &running(l, "math.random").rng;
        let (state, value) = rng_next(rng.load(Ordering::Relaxed));
        rng.store(state, Ordering::Relaxed);
        let r = (value % i32::MAX) as f64 / i32::MAX as f64;
        match ffi::lua_gettop(l) {
            0 => ffi::lua_pushnumber(l, r),
            1 => {
                let u = lua::check_int(l, 1);
                if u < 1 {
                    ffi::luaL_argerror(l, 1, c"interval is empty".as_ptr());
                }
                ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
            }
            2 => {
                let low = lua::check_int(l, 1);
                let up = lua::check_int(l, 2);
                if low > up {
                    ffi::luaL_argerror(l, 2, c"interval is empty".as_ptr());
                }
                let span = up as f64 - low as f64 + 1.0;
                ffi::lua_pushnumber(l, (r * span).floor() + low as f64);
            }
            _ => lua::raise(l, b"wrong number of arguments"),
        }
        1
    }
}

unsafe fn randomseed_impl(l: L) -> c_int {
    unsafe {
        let shared = running(l, "math.randomseed");
        let seed = lua::check_int(l, 1);
        shared.rng.store(rng_seed(seed), Ordering::Relaxed);
        0
    }
}

unsafe fn clock_impl(l: L) -> c_int {
    unsafe {
        // C's clock(): process CPU time in microsecond ticks.
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts);
        let ticks = ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000;
        ffi::lua_pushnumber(l, ticks as f64 / 1e6);
        1
    }
}

/// Base-library globals Redis does not offer.
const REMOVED_GLOBALS: [&CStr; 6] = [
    c"dofile",
    c"loadfile",
    c"print",
    c"getfenv",
    c"setfenv",
    c"newproxy",
];

/// Opens the standard libraries Redis offers and replaces the functions
/// the sandbox needs to control. Leaves the stack as it found it.
pub(crate) unsafe fn open_standard_libraries(l: L, shared: *mut Shared) {
    unsafe {
        let libs: [(ffi::lua_CFunction, &CStr); 4] = [
            (ffi::luaopen_base, c""),
            (ffi::luaopen_table, c"table"),
            (ffi::luaopen_string, c"string"),
            (ffi::luaopen_math, c"math"),
        ];
        for (open, name) in libs {
            ffi::lua_pushcfunction(l, open);
            ffi::lua_pushstring_(l, name.as_ptr());
            ffi::lua_call(l, 1, 0);
        }
        let up = shared.cast::<c_void>();
        for name in REMOVED_GLOBALS {
            ffi::lua_pushnil(l);
            lua::set_top(l, ffi::LUA_GLOBALSINDEX, name);
        }
        let globals: [(&CStr, ffi::lua_CFunction); 8] = [
            (c"next", next_fn),
            (c"rawget", rawget_fn),
            (c"rawset", rawset_fn),
            (c"setmetatable", setmetatable_fn),
            (c"getmetatable", getmetatable_fn),
            (c"pcall", pcall_fn),
            (c"loadstring", loadstring_fn),
            (c"load", load_fn),
        ];
        for (name, f) in globals {
            lua::set_function(l, ffi::LUA_GLOBALSINDEX, name, f, up);
        }
        // pairs hands out the replaced next.
        ffi::lua_pushlightuserdata(l, up);
        lua::get_field(l, ffi::LUA_GLOBALSINDEX, c"next");
        ffi::lua_pushcclosure(l, pairs_fn, 2);
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"pairs");

        lua::get_field(l, ffi::LUA_GLOBALSINDEX, c"table");
        lua::set_function(l, -1, c"insert", insert_fn, up);
        lua::set_function(l, -1, c"foreach", foreach_fn, up);
        ffi::lua_pop(l, 1);

        lua::get_field(l, ffi::LUA_GLOBALSINDEX, c"math");
        lua::set_function(l, -1, c"random", random_fn, up);
        lua::set_function(l, -1, c"randomseed", randomseed_fn, up);
        ffi::lua_pop(l, 1);

        ffi::lua_createtable(l, 0, 1);
        lua::set_function(l, -1, c"clock", clock_fn, up);
        lua::set_top(l, ffi::LUA_GLOBALSINDEX, c"os");
    }
}

/// Builds the table scripts see while a library loads: `redis` (the
/// loading API table, on top of the stack, popped) and nothing else.
pub(crate) unsafe fn set_load_globals(l: L) {
    unsafe {
        let api = lua::absolute(l, -1);
        set_missing_global_error(l, api);
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushvalue(l, api);
        lua::set_top(l, -2, c"redis");
        let load_globals = lua::absolute(l, -1);
        set_missing_global_error(l, load_globals);
        let mut visited = Visited::new(l);
        protect_fields(l, load_globals, &mut visited);
        ffi::lua_pushvalue(l, load_globals);
        set_registry(l, &LOAD_GLOBALS);
        ffi::lua_settop(l, api - 1);
    }
}

/// Gives the table at `idx` a metatable that raises on reading a missing key.
unsafe fn set_missing_global_error(l: L, idx: c_int) {
    unsafe {
        let idx = lua::absolute(l, idx);
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushcfunction(l, missing_global);
        lua::set_top(l, -2, c"__index");
        ffi::lua_setmetatable(l, idx);
    }
}

/// Makes the globals and everything reachable from them read-only, and
/// installs the proxy of the globals as the state's global table.
pub(crate) unsafe fn protect_globals(l: L) {
    unsafe {
        ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
        let backing = lua::absolute(l, -1);
        ffi::lua_pushvalue(l, backing);
        set_registry(l, &GLOBALS_BACKING);

        let mut visited = Visited::new(l);
        push_proxy(l, backing, &mut visited);
        let proxy = lua::absolute(l, -1);
        ffi::lua_getmetatable(l, proxy);
        set_registry(l, &GLOBALS_META);
        set_missing_global_error(l, backing);

        // The view getmetatable(_G) returns: read-only, like Redis's.
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushcfunction(l, missing_global);
        lua::set_top(l, -2, c"__index");
        let view = lua::absolute(l, -1);
        push_proxy(l, view, &mut visited);
        set_registry(l, &GLOBALS_META_VIEW);
        ffi::lua_pop(l, 1);

        lua::push_bytes(l, b"");
        ffi::lua_getmetatable(l, -1);
        let string_meta = lua::absolute(l, -1);
        push_proxy(l, string_meta, &mut visited);
        set_registry(l, &STRING_META_VIEW);
        ffi::lua_pop(l, 2);

        ffi::lua_replace(l, ffi::LUA_GLOBALSINDEX);
        ffi::lua_settop(l, backing - 1);
    }
}

/// Tables already given a proxy (the globals reach themselves through `_G`).
struct Visited {
    idx: c_int,
}

impl Visited {
    unsafe fn new(l: L) -> Visited {
        unsafe {
            ffi::lua_createtable(l, 0, 16);
            Visited {
                idx: ffi::lua_gettop(l),
            }
        }
    }
}

/// Pushes the proxy of the table at `idx`, protecting what it reaches.
unsafe fn push_proxy(l: L, idx: c_int, visited: &mut Visited) {
    unsafe {
        let idx = lua::absolute(l, idx);
        ffi::lua_pushvalue(l, idx);
        ffi::lua_rawget_(l, visited.idx);
        if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
            return;
        }
        ffi::lua_pop(l, 1);
        ffi::lua_createtable(l, 0, 0);
        let proxy = ffi::lua_gettop(l);
        ffi::lua_createtable(l, 0, 2);
        ffi::lua_pushvalue(l, idx);
        lua::set_top(l, -2, c"__index");
        ffi::lua_pushcfunction(l, ro_newindex);
        lua::set_top(l, -2, c"__newindex");
        ffi::lua_pushlightuserdata(l, &PROXY_MARK as *const u8 as *mut c_void);
        ffi::lua_pushboolean(l, 1);
        ffi::lua_rawset(l, -3);
        ffi::lua_setmetatable(l, proxy);
        ffi::lua_pushvalue(l, idx);
        ffi::lua_pushvalue(l, proxy);
        ffi::lua_rawset(l, visited.idx);
        protect_fields(l, idx, visited);
    }
}

/// Replaces every table value of the table at `idx` by its proxy.
unsafe fn protect_fields(l: L, idx: c_int, visited: &mut Visited) {
    unsafe {
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, idx) != 0 {
            if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
                push_proxy(l, -1, visited);
                ffi::lua_pushvalue(l, -3);
                ffi::lua_insert(l, -2);
                ffi::lua_rawset(l, idx);
            }
            ffi::lua_pop(l, 1);
        }
    }
}
