//! The few primitives every part of the engine builds on: a Lua 5.1 state
//! with a bounded allocator, pushing and reading bytes, raising errors the
//! way Lua's own libraries do, and registering Rust functions.
//!
//! Everything the engine exposes to scripts is a plain `lua_CFunction`, so
//! argument errors, error positions and messages come out of Lua's own
//! `luaL_check*` helpers exactly as Redis's C libraries produce them. A Lua
//! error is a `longjmp`; the rule that keeps that sound is that a function
//! never holds an owned Rust value (a `String`, a `Vec`) on its frame across
//! a call into Lua that may raise. Buffers that must live across such calls
//! belong to the VM's shared state instead, and messages are pushed onto the
//! Lua stack before raising.

use std::cell::Cell;
use std::ffi::{CStr, c_char, c_int, c_void};

pub(crate) use mlua_sys as ffi;

pub(crate) type L = *mut ffi::lua_State;

/// Bytes the Lua heap holds, and the most it may hold (0: no limit). An
/// allocation past the limit fails, which Lua turns into a catchable
/// "not enough memory" error instead of the process running out.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    pub used: Cell<usize>,
    pub limit: Cell<usize>,
}

unsafe extern "C" fn allocate(
    ud: *mut c_void,
    ptr: *mut c_void,
    osize: usize,
    nsize: usize,
) -> *mut c_void {
    // SAFETY: `ud` is the `Memory` the state was created with; it outlives the state.
    let mem = unsafe { &*(ud as *const Memory) };
    let old = if ptr.is_null() { 0 } else { osize };
    if nsize == 0 {
        if !ptr.is_null() {
            // SAFETY: Lua hands back only blocks this function allocated.
            unsafe { libc::free(ptr) };
        }
        mem.used.set(mem.used.get() - old);
        return std::ptr::null_mut();
    }
    let limit = mem.limit.get();
    if nsize > old && limit != 0 && mem.used.get() - old + nsize > limit {
        return std::ptr::null_mut();
    }
    // SAFETY: `ptr` is null or a block from this allocator.
    let new = unsafe { libc::realloc(ptr, nsize) };
    if !new.is_null() {
        mem.used.set(mem.used.get() - old + nsize);
    }
    new
}

unsafe extern "C-unwind" fn panic_handler(l: L) -> c_int {
    // Every call into Lua is protected, so this is a bug, not bad input.
    let msg = unsafe { bytes_at(l, -1) }.unwrap_or(b"?");
    eprintln!("unprotected Lua error: {}", String::from_utf8_lossy(msg));
    std::process::abort()
}

/// A fresh state whose allocations are accounted in `mem`, which must stay
/// at its address until the state is closed.
pub(crate) fn new_state(mem: &Memory) -> L {
    // SAFETY: `allocate` honours the lua_Alloc contract.
    let l = unsafe { ffi::lua_newstate(allocate, mem as *const Memory as *mut c_void) };
    assert!(!l.is_null(), "a new Lua state needs only a few kilobytes");
    // SAFETY: `l` is a valid state.
    unsafe { ffi::lua_atpanic(l, panic_handler) };
    l
}

/// Pushes a byte string.
pub(crate) unsafe fn push_bytes(l: L, b: &[u8]) {
    let ptr = if b.is_empty() {
        c"".as_ptr()
    } else {
        b.as_ptr().cast()
    };
    unsafe { ffi::lua_pushlstring_(l, ptr, b.len()) }
}

/// The bytes of a string value, without converting numbers.
pub(crate) unsafe fn bytes_at<'a>(l: L, idx: c_int) -> Option<&'a [u8]> {
    unsafe {
        if ffi::lua_type(l, idx) != ffi::LUA_TSTRING {
            return None;
        }
        tolstring(l, idx)
    }
}

/// `lua_tolstring`: strings, and numbers converted in place to their text.
pub(crate) unsafe fn tolstring<'a>(l: L, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = unsafe { ffi::lua_tolstring(l, idx, &mut len) };
    if p.is_null() {
        None
    } else {
        // SAFETY: Lua keeps the string alive while it is on the stack.
        Some(unsafe { std::slice::from_raw_parts(p.cast(), len) })
    }
}

/// Bytes up to the first NUL, as C code reading a Lua string sees them.
pub(crate) fn c_str_prefix(b: &[u8]) -> &[u8] {
    &b[..memchr::memchr(0, b).unwrap_or(b.len())]
}

/// Makes room for an error message: an error may be raised exactly
/// because the stack is full, and what is on it no longer matters.
unsafe fn room_for_error(l: L) {
    unsafe {
        if ffi::lua_checkstack(l, 4) == 0 {
            ffi::lua_settop(l, 0);
        }
    }
}

/// Raises `msg` prefixed with the caller's position, like `luaL_error`.
pub(crate) unsafe fn raise(l: L, msg: &[u8]) -> ! {
    unsafe {
        room_for_error(l);
        ffi::luaL_where(l, 1);
        push_bytes(l, msg);
        ffi::lua_concat(l, 2);
        ffi::lua_error(l)
    }
}

/// Raises `msg` as is, with no position.
pub(crate) unsafe fn raise_plain(l: L, msg: &[u8]) -> ! {
    unsafe {
        room_for_error(l);
        push_bytes(l, msg);
        ffi::lua_error(l)
    }
}

/// `luaL_argerror` with a message that need not be static.
pub(crate) unsafe fn arg_error(l: L, narg: c_int, msg: &[u8]) -> ! {
    unsafe {
        room_for_error(l);
        push_bytes(l, msg);
        // The pushed string keeps the pointer valid; Lua strings end in NUL.
        ffi::luaL_argerror(l, narg, ffi::lua_tolstring(l, -1, std::ptr::null_mut()));
        unreachable!("luaL_argerror raises")
    }
}

/// `luaL_checkint`: the C `int` a number argument truncates to.
pub(crate) unsafe fn check_int(l: L, narg: c_int) -> i32 {
    unsafe { ffi::luaL_checkinteger(l, narg) as i32 }
}

/// Pushes a Rust function as a C closure whose first upvalue is `up`
/// (the VM's shared state, or a library's configuration).
pub(crate) unsafe fn push_function(l: L, f: ffi::lua_CFunction, up: *mut c_void) {
    unsafe {
        ffi::lua_pushlightuserdata(l, up);
        ffi::lua_pushcclosure(l, f, 1);
    }
}

/// The first upvalue of the running C function.
pub(crate) unsafe fn upvalue<T>(l: L) -> *mut T {
    unsafe { ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)).cast() }
}

/// `t[name] = f` (raw) for the table at `t`.
pub(crate) unsafe fn set_function(
    l: L,
    t: c_int,
    name: &CStr,
    f: ffi::lua_CFunction,
    up: *mut c_void,
) {
    unsafe {
        let t = absolute(l, t);
        ffi::lua_pushstring_(l, name.as_ptr());
        push_function(l, f, up);
        ffi::lua_rawset(l, t);
    }
}

/// Pushes a library table of `functions`, each with upvalue `up`.
pub(crate) unsafe fn push_library(
    l: L,
    functions: &[(&CStr, ffi::lua_CFunction)],
    up: *mut c_void,
) {
    unsafe {
        ffi::lua_createtable(l, 0, functions.len() as c_int + 4);
        for &(name, f) in functions {
            set_function(l, -1, name, f, up);
        }
    }
}

/// `t[name] = n` (raw).
pub(crate) unsafe fn set_number(l: L, t: c_int, name: &CStr, n: f64) {
    unsafe {
        let t = absolute(l, t);
        ffi::lua_pushstring_(l, name.as_ptr());
        ffi::lua_pushnumber(l, n);
        ffi::lua_rawset(l, t);
    }
}

/// `t[name] = s` (raw).
pub(crate) unsafe fn set_string(l: L, t: c_int, name: &CStr, s: &[u8]) {
    unsafe {
        let t = absolute(l, t);
        ffi::lua_pushstring_(l, name.as_ptr());
        push_bytes(l, s);
        ffi::lua_rawset(l, t);
    }
}

/// `t[name] = <value on top>` (raw); pops the value.
pub(crate) unsafe fn set_top(l: L, t: c_int, name: &CStr) {
    unsafe {
        let t = absolute(l, t);
        ffi::lua_pushstring_(l, name.as_ptr());
        ffi::lua_insert(l, -2);
        ffi::lua_rawset(l, t);
    }
}

/// Pushes `t[name]` (raw) and returns its type.
pub(crate) unsafe fn get_field(l: L, t: c_int, name: &CStr) -> c_int {
    unsafe {
        let t = absolute(l, t);
        ffi::lua_pushstring_(l, name.as_ptr());
        ffi::lua_rawget_(l, t);
        ffi::lua_type(l, -1)
    }
}

/// A stack index that stays valid while values are pushed.
pub(crate) unsafe fn absolute(l: L, idx: c_int) -> c_int {
    if idx < 0 && idx > ffi::LUA_REGISTRYINDEX {
        unsafe { ffi::lua_gettop(l) + idx + 1 }
    } else {
        idx
    }
}

/// Compiles `code` as a text chunk and pushes the function, or pushes the
/// error message and returns the failing status. Redis's Lua refuses
/// precompiled bytecode by parsing everything as text; a chunk starting
/// with the bytecode signature therefore fails at its first character,
/// and the message is the one the parser gives for that character.
pub(crate) unsafe fn load_text(l: L, code: &[u8], chunkname: *const c_char) -> c_int {
    unsafe {
        if code.first() == Some(&ffi::LUA_SIGNATURE[0]) {
            // The parser names an unexpected control character `char(N)`;
            // parse a stand-in to get the chunk's exact position prefix.
            let status = ffi::luaL_loadbuffer(l, c"\x01".as_ptr(), 1, chunkname);
            let msg = bytes_at(l, -1).unwrap_or_default();
            let prefix = msg.strip_suffix(b"char(1)'").unwrap_or(msg);
            push_bytes(l, prefix);
            push_bytes(l, b"char(27)'");
            ffi::lua_concat(l, 2);
            ffi::lua_remove(l, -2);
            return status;
        }
        let ptr = if code.is_empty() {
            c"".as_ptr()
        } else {
            code.as_ptr().cast()
        };
        ffi::luaL_loadbuffer(l, ptr, code.len(), chunkname)
    }
}

/// Declares `lua_CFunction`s that run a Rust body with a panic guard: a
/// panic must not unwind into Lua's C frames, so it becomes a Lua error.
macro_rules! lua_functions {
    ($($(#[$meta:meta])* $name:ident => $body:path;)*) => {
        $(
            $(#[$meta])*
            pub(crate) unsafe extern "C-unwind" fn $name(l: $crate::scripting::lua::L) -> std::ffi::c_int {
                unsafe { $crate::scripting::lua::guarded(l, $body) }
            }
        )*
    };
}
pub(crate) use lua_functions;

/// Runs `body`, turning a Rust panic into a Lua error.
pub(crate) unsafe fn guarded(l: L, body: unsafe fn(L) -> c_int) -> c_int {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { body(l) }));
    match result {
        Ok(n) => n,
        Err(_) => unsafe { raise_plain(l, b"internal error in a Rust Lua function") },
    }
}

/// A message formatted on the stack (no heap allocation, so nothing leaks
/// when Lua's error unwinds the frame); long messages are cut at 256 bytes.
pub(crate) struct StackText {
    buf: [u8; 256],
    len: usize,
}

impl StackText {
    pub(crate) fn new(args: std::fmt::Arguments) -> StackText {
        let mut text = StackText {
            buf: [0; 256],
            len: 0,
        };
        let _ = std::fmt::Write::write_fmt(&mut text, args);
        text
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// `luaL_error` with a formatted message.
pub(crate) unsafe fn raise_fmt(l: L, args: std::fmt::Arguments) -> ! {
    let text = StackText::new(args);
    unsafe { raise(l, text.as_bytes()) }
}
